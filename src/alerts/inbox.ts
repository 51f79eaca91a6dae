/**
 * The ports of the alert path's state: the durable inbox of notifications and the thread of
 * each alert group per room. SQLite implements them in src/store/alerts-repo.ts.
 */
export type BatchState = 'pending' | 'delivered' | 'failed';

export interface StoredBatch {
  readonly id: number;
  readonly digest: string;
  readonly groupKey: string;
  /** The validated payload as JSON. */
  readonly payload: string;
  readonly receivedAt: Date;
  readonly state: BatchState;
}

/** A notification as the receiver stores it. */
export interface IncomingBatch {
  readonly digest: string;
  readonly groupKey: string;
  readonly payload: string;
}

/** `duplicate` when a notification with the same digest was already stored. */
export interface StoreOutcome {
  readonly id: number;
  readonly duplicate: boolean;
}

export interface AlertInbox {
  /** Stores a notification. */
  add(batch: IncomingBatch): StoreOutcome;
  /** Stores several in one transaction: all of them, or none (then it throws). */
  addMany(batches: readonly IncomingBatch[]): StoreOutcome[];
  byId(id: number): StoredBatch | undefined;
  /** Notifications not delivered yet, oldest first. */
  pending(limit: number): StoredBatch[];
  settle(id: number, state: 'delivered' | 'failed', error?: string): void;
  /** The newest stored payload of each of these groups (for a digest's list). */
  latest(groupKeys: readonly string[]): string[];
}

export interface AlertThread {
  /** Stable and short: what the Acknowledge button names. 0 before the thread is stored. */
  readonly id: number;
  readonly room: string;
  readonly groupKey: string;
  /** The outbox key of the root post (or of the digest post the group was listed in). */
  readonly rootKey: string;
  readonly inDigest: boolean;
  /**
   * The group's state, one for all its rooms: who acknowledged and the silence shown. A
   * thread started in a further room takes it over from the group's other threads.
   */
  readonly ackedBy: string | undefined;
  readonly silencedUntil: Date | undefined;
  readonly silencedBy: string | undefined;
}

export interface AlertThreads {
  get(room: string, groupKey: string): AlertThread | undefined;
  /** Stores a new thread and returns its id (the existing one's when already there). */
  add(thread: Pick<AlertThread, 'room' | 'groupKey' | 'rootKey' | 'inDigest'>): number;
  byId(id: number): AlertThread | undefined;
  /** The threads of a group, one per room it was posted in. */
  ofGroup(groupKey: string): AlertThread[];
  /** Records who acknowledged the thread's group, in every room; false when no such thread. */
  acknowledge(id: number, by: string): boolean;
  /** Records a silence of the thread's group, in every room; false when no such thread. */
  silenced(id: number, until: Date, by: string): boolean;
  /** Threads (with a root of their own or in a digest) updated since `since`. */
  activeSince(since: Date): AlertThread[];
  /** How many threads were started in the room since `since` (for the storm threshold). */
  startedSince(room: string, since: Date): number;
  /** Holds the group's newest notification for the room (quiet hours); replaces an older one. */
  hold(room: string, groupKey: string, batchId: number): void;
  held(): { readonly room: string; readonly groupKey: string; readonly batchId: number }[];
  release(room: string, groupKey: string): void;
  /** The digest post of the room that still takes groups: its first group joined after `since`. */
  openDigest(room: string, since: Date): string | undefined;
  /** The groups listed in a digest post. */
  groupsOf(room: string, rootKey: string): string[];
}
