/** Plugin requests as kept: numbered, with every teacher who asked (merged, not duplicated). */
import type { Locale } from '../core/i18n.ts';

/** `installed` / `failed`: what the installer did once it was approved. */
export type RequestState = 'pending' | 'approved' | 'rejected' | 'expired' | 'installed' | 'failed';

/** What the directory and the site said when the request was made (shown on the card). */
export interface PluginFacts {
  readonly component: string;
  readonly name: string;
  /** The newest version that supports the site's release; absent when none does. */
  readonly version?: number;
  readonly release?: string;
  readonly maturity?: number;
  readonly md5?: string;
  readonly downloadUrl?: string;
  /** The size of the download in bytes, when the directory said it. */
  readonly size?: number;
  /** Moodle releases the plugin supports (any version). */
  readonly supports: readonly string[];
  /** The site's release, e.g. `4.5`. */
  readonly siteBranch: string;
  /** ISO time: the directory could not be asked, and this is when the cache was filled. */
  readonly cachedAt?: string;
}

export interface Supporter {
  readonly actor: string;
  readonly room: string;
  readonly locale: Locale;
  readonly reason: string;
  readonly at: Date;
}

export interface PluginRequest {
  readonly id: number;
  readonly component: string;
  readonly name: string;
  readonly facts: PluginFacts;
  readonly state: RequestState;
  readonly approval: number | undefined;
  readonly createdAt: Date;
  /** The first is the teacher who asked first. */
  readonly supporters: readonly Supporter[];
}

export interface Asked {
  readonly request: PluginRequest;
  /** 'new': a new request; 'joined': a +1 on an open one; 'again': this person had asked. */
  readonly how: 'new' | 'joined' | 'again';
}

export interface RequestStore {
  /** A new request, or this person added to the open request for the same plugin. */
  ask(facts: PluginFacts, supporter: Supporter): Asked;
  get(id: number): PluginRequest | undefined;
  byApproval(approval: number): PluginRequest | undefined;
  list(filter: { state?: RequestState; actor?: string; limit?: number }): PluginRequest[];
  attachApproval(id: number, approval: number): void;
  setState(id: number, state: RequestState): void;
}

export function requestedBy(request: PluginRequest, actor: string): boolean {
  return request.supporters.some((s) => s.actor === actor);
}
