/**
 * What the Matrix adapter keeps in SQLite (migration 8): the sync state, the events it took,
 * what it knows of its rooms, and the confirmation prompts it posted.
 */
import type { DatabaseSync } from 'node:sqlite';
import { immediate } from './transactions.ts';
import { systemClock, toIso } from './values.ts';
import type { Clock } from './values.ts';

export interface SavedSync {
  readonly nextBatch: string;
  /** The accumulated sync as JSON (matrix-js-sdk's SyncAccumulator.getJSON()). */
  readonly data: string;
}

export interface OpenPrompt {
  readonly promptKey: string;
  readonly roomId: string;
  readonly code: string;
  readonly title: string;
}

export class SqliteMatrixState {
  private readonly db: DatabaseSync;
  private readonly now: Clock;

  constructor(db: DatabaseSync, options: { now?: Clock } = {}) {
    this.db = db;
    this.now = options.now ?? systemClock;
  }

  // ---- sync ----

  loadSync(userId: string): SavedSync | undefined {
    const row = this.db
      .prepare('SELECT next_batch, data FROM matrix_sync WHERE user_id = ?')
      .get(userId) as { next_batch: string; data: string } | undefined;
    return row === undefined ? undefined : { nextBatch: row.next_batch, data: row.data };
  }

  saveSync(userId: string, sync: SavedSync): void {
    immediate(this.db, () => {
      this.db
        .prepare(
          `INSERT INTO matrix_sync (user_id, next_batch, data, saved_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (user_id) DO UPDATE SET next_batch = excluded.next_batch,
             data = excluded.data, saved_at = excluded.saved_at`,
        )
        .run(userId, sync.nextBatch, sync.data, toIso(this.now()));
    });
  }

  deleteSync(userId: string): void {
    this.db.prepare('DELETE FROM matrix_sync WHERE user_id = ?').run(userId);
  }

  // ---- end-to-end encryption ----

  /** `account` is the user id and the device id (crypto.ts). */
  loadCrypto(account: string): Buffer | undefined {
    const row = this.db
      .prepare('SELECT snapshot FROM matrix_crypto WHERE account = ?')
      .get(account) as { snapshot: Uint8Array } | undefined;
    return row === undefined ? undefined : Buffer.from(row.snapshot);
  }

  saveCrypto(account: string, snapshot: Buffer): void {
    immediate(this.db, () => {
      this.db
        .prepare(
          `INSERT INTO matrix_crypto (account, snapshot, saved_at) VALUES (?, ?, ?)
           ON CONFLICT (account) DO UPDATE SET snapshot = excluded.snapshot,
             saved_at = excluded.saved_at`,
        )
        .run(account, snapshot, toIso(this.now()));
    });
  }

  // ---- events taken ----

  /** True exactly once per event id, across restarts. */
  claim(eventId: string, roomId: string, originTs: number): boolean {
    return immediate(this.db, () => {
      const result = this.db
        .prepare(
          `INSERT INTO matrix_seen (event_id, room_id, origin_ts, seen_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (event_id) DO NOTHING`,
        )
        .run(eventId, roomId, originTs, toIso(this.now()));
      return Number(result.changes) === 1;
    });
  }

  /** Forgets claims of events older than any sync could still bring back. */
  pruneSeen(olderThanTs: number): void {
    this.db.prepare('DELETE FROM matrix_seen WHERE origin_ts < ?').run(olderThanTs);
  }

  // ---- rooms ----

  markDirect(roomId: string): void {
    this.db
      .prepare(
        `INSERT INTO matrix_rooms (room_id, direct) VALUES (?, 1)
         ON CONFLICT (room_id) DO UPDATE SET direct = 1`,
      )
      .run(roomId);
  }

  isDirect(roomId: string): boolean {
    const row = this.db.prepare('SELECT direct FROM matrix_rooms WHERE room_id = ?').get(roomId) as
      { direct: number } | undefined;
    return row?.direct === 1;
  }

  /**
   * Whether the "cannot read encrypted messages" notice is due in this room (not said within
   * `everyMs`); when it is, records that it is said now.
   */
  takeEncryptedNotice(roomId: string, everyMs: number): boolean {
    return immediate(this.db, () => {
      const row = this.db
        .prepare('SELECT encrypted_notice_at FROM matrix_rooms WHERE room_id = ?')
        .get(roomId) as { encrypted_notice_at: string | null } | undefined;
      const last = row?.encrypted_notice_at;
      const now = this.now();
      if (last != null && now.getTime() - Date.parse(last) < everyMs) return false;
      this.db
        .prepare(
          `INSERT INTO matrix_rooms (room_id, encrypted_notice_at) VALUES (?, ?)
           ON CONFLICT (room_id) DO UPDATE SET encrypted_notice_at = excluded.encrypted_notice_at`,
        )
        .run(roomId, toIso(now));
      return true;
    });
  }

  // ---- confirmation prompts ----

  addPrompt(prompt: OpenPrompt): void {
    this.db
      .prepare(
        `INSERT INTO matrix_prompts (prompt_key, room_id, code, title, created_at)
         VALUES (?, ?, ?, ?, ?) ON CONFLICT (prompt_key) DO NOTHING`,
      )
      .run(prompt.promptKey, prompt.roomId, prompt.code, prompt.title, toIso(this.now()));
  }

  /** The prompts not closed yet, of one room or of all. */
  openPrompts(roomId?: string): OpenPrompt[] {
    const rows = this.db
      .prepare(
        `SELECT prompt_key, room_id, code, title FROM matrix_prompts
          WHERE (? IS NULL OR room_id = ?) AND closed_at IS NULL ORDER BY created_at`,
      )
      .all(roomId ?? null, roomId ?? null) as unknown as {
      prompt_key: string;
      room_id: string;
      code: string;
      title: string;
    }[];
    return rows.map((r) => ({
      promptKey: r.prompt_key,
      roomId: r.room_id,
      code: r.code,
      title: r.title,
    }));
  }

  /** Closes a prompt; false when it was closed already (so it is edited once). */
  closePrompt(promptKey: string): boolean {
    const result = this.db
      .prepare('UPDATE matrix_prompts SET closed_at = ? WHERE prompt_key = ? AND closed_at IS NULL')
      .run(toIso(this.now()), promptKey);
    return Number(result.changes) === 1;
  }

  // ---- what the bot sent ----

  /**
   * The outbox payload that set the current content of the bot's event `eventId` (the
   * newest sent post or edit of it), so that a reaction can be matched with what the message
   * offered. Outbox rows carry the id of the event they post or edit.
   */
  sentPayload(room: string, eventId: string): { key: string; payload: string } | undefined {
    const row = this.db
      .prepare(
        `SELECT idempotency_key, target_key, payload FROM outbox
          WHERE room = ? AND remote_id = ? AND state = 'sent' AND kind IN ('post', 'patch')
          ORDER BY id DESC LIMIT 1`,
      )
      .get(room, eventId) as
      { idempotency_key: string; target_key: string | null; payload: string } | undefined;
    if (row === undefined) return undefined;
    return { key: row.target_key ?? row.idempotency_key, payload: row.payload };
  }
}
