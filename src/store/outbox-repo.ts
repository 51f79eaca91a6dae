/** The outbox in SQLite: what the messenger adapters must still send, durable across restarts. */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type {
  NewOutboxItem,
  OutboxItem,
  OutboxKind,
  OutboxState,
  OutboxStore,
} from '../core/outbox.ts';
import { immediate } from './transactions.ts';
import { fromIso, oneOf, orNull, orUndefined, systemClock, toIso } from './values.ts';
import type { Clock } from './values.ts';

const kinds: readonly OutboxKind[] = ['post', 'patch', 'ephemeral'];
const states: readonly OutboxState[] = ['pending', 'sending', 'sent', 'failed', 'superseded'];

interface OutboxRow {
  readonly id: number;
  readonly idempotency_key: string;
  readonly room: string;
  readonly kind: string;
  readonly payload: string;
  readonly target_key: string | null;
  readonly state: string;
  readonly attempts: number;
  readonly uncertain: number;
  readonly next_attempt_at: string;
  readonly remote_id: string | null;
  readonly last_error: string | null;
  readonly created_at: string;
}

function toItem(row: OutboxRow): OutboxItem {
  return {
    id: row.id,
    key: row.idempotency_key,
    room: row.room,
    kind: oneOf(kinds, row.kind, 'outbox kind'),
    payload: row.payload,
    targetKey: orUndefined(row.target_key),
    state: oneOf(states, row.state, 'outbox state'),
    attempts: row.attempts,
    uncertain: row.uncertain !== 0,
    nextAttemptAt: fromIso(row.next_attempt_at),
    remoteId: orUndefined(row.remote_id),
    lastError: orUndefined(row.last_error),
    createdAt: fromIso(row.created_at),
  };
}

/** `LIKE` with the prefix taken literally. */
function likePrefix(prefix: string): string {
  return prefix.replace(/[\\%_]/g, (c) => `\\${c}`) + '%';
}

export class SqliteOutboxStore implements OutboxStore {
  private readonly db: DatabaseSync;
  private readonly now: Clock;
  private readonly byKeyStmt: StatementSync;
  private readonly insert: StatementSync;
  private readonly dueStmt: StatementSync;
  private readonly nextDueStmt: StatementSync;

  constructor(db: DatabaseSync, options: { now?: Clock } = {}) {
    this.db = db;
    this.now = options.now ?? systemClock;
    this.byKeyStmt = db.prepare('SELECT * FROM outbox WHERE idempotency_key = ?');
    this.insert = db.prepare(
      `INSERT INTO outbox (idempotency_key, room, kind, payload, target_key, next_attempt_at,
                           created_at)
       VALUES (:key, :room, :kind, :payload, :targetKey, :nextAttemptAt, :createdAt)
       ON CONFLICT (idempotency_key) DO NOTHING`,
    );
    // Only the oldest open item of each room may go: a room's messages keep their order even
    // when one of them waits for a retry.
    this.dueStmt = db.prepare(
      `SELECT o.* FROM outbox o
         JOIN (SELECT min(id) AS id FROM outbox
                WHERE state IN ('pending', 'sending') AND room LIKE :prefix ESCAPE '\\'
                GROUP BY room) head ON head.id = o.id
        WHERE o.next_attempt_at <= :now
        ORDER BY o.id LIMIT :limit`,
    );
    this.nextDueStmt = db.prepare(
      `SELECT min(o.next_attempt_at) AS next FROM outbox o
         JOIN (SELECT min(id) AS id FROM outbox
                WHERE state IN ('pending', 'sending') AND room LIKE :prefix ESCAPE '\\'
                GROUP BY room) head ON head.id = o.id`,
    );
  }

  enqueue(item: NewOutboxItem): OutboxItem {
    return immediate(this.db, () => {
      const now = this.now();
      this.insert.run({
        key: item.key,
        room: item.room,
        kind: item.kind,
        payload: item.payload,
        targetKey: orNull(item.targetKey),
        nextAttemptAt: toIso(item.notBefore ?? now),
        createdAt: toIso(now),
      });
      const stored = this.byKey(item.key);
      if (stored === undefined) throw new Error(`outbox item ${item.key} vanished`);
      return stored;
    });
  }

  due(roomPrefix: string, now: Date, limit: number): OutboxItem[] {
    const rows = this.dueStmt.all({
      prefix: likePrefix(roomPrefix),
      now: toIso(now),
      limit: Math.max(0, Math.floor(limit)),
    }) as unknown as OutboxRow[];
    return rows.map(toItem);
  }

  nextDue(roomPrefix: string): Date | undefined {
    const row = this.nextDueStmt.get({ prefix: likePrefix(roomPrefix) }) as
      { next: string | null } | undefined;
    return row?.next == null ? undefined : fromIso(row.next);
  }

  markSending(id: number): void {
    this.update(
      `UPDATE outbox SET state = 'sending', attempts = attempts + 1, uncertain = 1
        WHERE id = ? AND state IN ('pending', 'sending')`,
      id,
    );
  }

  markSent(id: number, remoteId: string): void {
    this.update(
      `UPDATE outbox SET state = 'sent', remote_id = ?, uncertain = 0, last_error = NULL,
              sent_at = ? WHERE id = ?`,
      remoteId,
      toIso(this.now()),
      id,
    );
  }

  retryAt(id: number, when: Date, error: string, uncertain: boolean): void {
    this.update(
      `UPDATE outbox SET state = 'pending', next_attempt_at = ?, last_error = ?, uncertain = ?
        WHERE id = ?`,
      toIso(when),
      error,
      uncertain ? 1 : 0,
      id,
    );
  }

  fail(id: number, error: string): void {
    this.update(
      "UPDATE outbox SET state = 'failed', last_error = ?, uncertain = 0 WHERE id = ?",
      error,
      id,
    );
  }

  supersede(id: number): void {
    this.update("UPDATE outbox SET state = 'superseded' WHERE id = ?", id);
  }

  hasLaterPatch(item: OutboxItem): boolean {
    if (item.targetKey === undefined) return false;
    const row = this.db
      .prepare(
        `SELECT 1 AS found FROM outbox WHERE target_key = ? AND id > ? AND kind = 'patch'
           AND state = 'pending' LIMIT 1`,
      )
      .get(item.targetKey, item.id);
    return row !== undefined;
  }

  /**
   * Keys of the posts written under `prefix` that have no item `<key><suffix>` yet (prompts
   * not yet edited to their decided state). A range on the unique key, so the index serves.
   */
  keysWithout(prefix: string, suffix: string): string[] {
    const upper =
      prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
    const rows = this.db
      .prepare(
        `SELECT o.idempotency_key AS key FROM outbox o
          WHERE o.kind = 'post' AND o.idempotency_key >= ? AND o.idempotency_key < ?
            AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.idempotency_key = o.idempotency_key || ?)`,
      )
      .all(prefix, upper, suffix) as { key: string }[];
    return rows.map((r) => r.key);
  }

  byKey(key: string): OutboxItem | undefined {
    const row = this.byKeyStmt.get(key) as OutboxRow | undefined;
    return row === undefined ? undefined : toItem(row);
  }

  updatePayload(id: number, payload: string): void {
    this.update('UPDATE outbox SET payload = ? WHERE id = ?', payload, id);
  }

  private update(sql: string, ...params: (string | number)[]): void {
    immediate(this.db, () => {
      this.db.prepare(sql).run(...params);
    });
  }
}
