/**
 * The port the alert commands use: Alertmanager's API v2 and the alert posts the bot made.
 * `pes serve` connects the delivery (acknowledge, show a silence on its post); a one-shot
 * `pes` has only the API.
 */
import { UserError } from './errors.ts';

export interface Matcher {
  readonly name: string;
  readonly value: string;
  readonly isRegex: boolean;
  readonly isEqual: boolean;
}

export interface Silence {
  readonly id: string;
  readonly matchers: readonly Matcher[];
  readonly startsAt: string;
  readonly endsAt: string;
  readonly createdBy: string;
  readonly comment: string;
  readonly status: { readonly state: string };
}

export interface ActiveAlert {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly startsAt: string;
  readonly fingerprint: string;
  readonly status: { readonly state: string; readonly silencedBy?: readonly string[] };
}

export interface NewSilence {
  readonly matchers: readonly Matcher[];
  readonly startsAt: Date;
  readonly endsAt: Date;
  readonly createdBy: string;
  readonly comment: string;
}

export interface AlertmanagerApi {
  alerts(filters: readonly string[]): Promise<ActiveAlert[]>;
  silences(): Promise<Silence[]>;
  createSilence(silence: NewSilence): Promise<string>;
  expireSilence(id: string): Promise<void>;
}

export interface AlertsPort {
  /** Throws alerts-not-configured when no Alertmanager is configured. */
  alertmanager(): AlertmanagerApi;
  /** Records an acknowledgement and edits the root; the group key, or undefined if unknown. */
  acknowledge(threadId: number, who: string): string | undefined;
  /** Shows a silence on the alert post it was made from; false when there is no such post. */
  noteSilence(threadId: number, until: Date, who: string): boolean;
  /** Shows a silence on the posts of the firing alert groups it covers; how many. */
  noteSilenceMatching(matchers: readonly Matcher[], until: Date, who: string): number;
}

/** For a bot without an `alerts:` section. */
export const noAlerts: AlertsPort = {
  alertmanager: () => {
    throw new UserError('alerts-not-configured');
  },
  acknowledge: () => {
    throw new UserError('alerts-not-configured');
  },
  noteSilence: () => false,
  noteSilenceMatching: () => 0,
};
