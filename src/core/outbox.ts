/**
 * The durable outbox port: every post and edit a messenger adapter makes is written here
 * first and delivered by that adapter's dispatcher, so a restart loses nothing and a retry
 * never posts twice. The payload is the adapter's own (opaque JSON text).
 */
export type OutboxKind = 'post' | 'patch' | 'ephemeral';

export type OutboxState = 'pending' | 'sending' | 'sent' | 'failed' | 'superseded';

export interface OutboxItem {
  readonly id: number;
  /** Unique; the adapter also puts it into what it sends, to find a send of unknown outcome. */
  readonly key: string;
  /** The room id (`mattermost:<channel id>`); delivery is in order per room. */
  readonly room: string;
  readonly kind: OutboxKind;
  readonly payload: string;
  /** For a patch: the key of the post it edits. */
  readonly targetKey: string | undefined;
  readonly state: OutboxState;
  readonly attempts: number;
  /** A previous attempt may have been delivered without the sender learning so. */
  readonly uncertain: boolean;
  readonly nextAttemptAt: Date;
  readonly remoteId: string | undefined;
  readonly lastError: string | undefined;
  readonly createdAt: Date;
}

export interface NewOutboxItem {
  readonly key: string;
  readonly room: string;
  readonly kind: OutboxKind;
  readonly payload: string;
  readonly targetKey?: string;
  /** Not to be sent before this time (progress edits are spaced out). */
  readonly notBefore?: Date;
}

export interface OutboxStore {
  /** Adds an item; a second item with the same key is ignored and the first returned. */
  enqueue(item: NewOutboxItem): OutboxItem;
  /** The head of every room's queue under `roomPrefix` that is due at `now`, oldest first. */
  due(roomPrefix: string, now: Date, limit: number): OutboxItem[];
  /** When the next item under `roomPrefix` becomes due, if any is waiting. */
  nextDue(roomPrefix: string): Date | undefined;
  /** Claims an item for sending: counts the attempt and marks the outcome uncertain. */
  markSending(id: number): void;
  markSent(id: number, remoteId: string): void;
  /** Back to the queue. `uncertain` says whether the attempt may have been delivered. */
  retryAt(id: number, when: Date, error: string, uncertain: boolean): void;
  fail(id: number, error: string): void;
  /** Marks an edit as replaced by a later edit of the same post. */
  supersede(id: number): void;
  /** Whether a later pending edit of the same post exists (then this one need not be sent). */
  hasLaterPatch(item: OutboxItem): boolean;
  /** The item with this key. */
  byKey(key: string): OutboxItem | undefined;
  /** Replaces the payload (e.g. after uploading its files, to not upload them again). */
  updatePayload(id: number, payload: string): void;
}
