/** The alert inbox and the alert-group threads in SQLite (migration `alerts`). */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type {
  IncomingBatch,
  StoreOutcome,
  AlertInbox,
  AlertThread,
  AlertThreads,
  BatchState,
  StoredBatch,
} from '../alerts/inbox.ts';
import { immediate } from './transactions.ts';
import { fromIso, oneOf, systemClock, toIso, type Clock } from './values.ts';

const batchStates: readonly BatchState[] = ['pending', 'delivered', 'failed'];

interface BatchRow {
  readonly id: number;
  readonly digest: string;
  readonly group_key: string;
  readonly payload: string;
  readonly received_at: string;
  readonly state: string;
}

interface ThreadRow {
  readonly id: number;
  readonly room: string;
  readonly group_key: string;
  readonly root_key: string;
  readonly in_digest: number;
  readonly acked_by: string | null;
  readonly silenced_until: string | null;
  readonly silenced_by: string | null;
}

interface GroupStateRow {
  readonly acked_by: string | null;
  readonly acked_at: string | null;
  readonly silenced_until: string | null;
  readonly silenced_by: string | null;
}

function toBatch(row: BatchRow): StoredBatch {
  return {
    id: row.id,
    digest: row.digest,
    groupKey: row.group_key,
    payload: row.payload,
    receivedAt: fromIso(row.received_at),
    state: oneOf(batchStates, row.state, 'alert batch state'),
  };
}

function toThread(row: ThreadRow): AlertThread {
  return {
    id: row.id,
    room: row.room,
    groupKey: row.group_key,
    rootKey: row.root_key,
    inDigest: row.in_digest !== 0,
    ackedBy: row.acked_by ?? undefined,
    silencedUntil: fromIso(row.silenced_until),
    silencedBy: row.silenced_by ?? undefined,
  };
}

export class SqliteAlertInbox implements AlertInbox {
  readonly #db: DatabaseSync;
  readonly #now: Clock;
  readonly #insert: StatementSync;
  readonly #byDigest: StatementSync;
  readonly #pending: StatementSync;

  constructor(db: DatabaseSync, options: { now?: Clock } = {}) {
    this.#db = db;
    this.#now = options.now ?? systemClock;
    this.#insert = db.prepare(
      `INSERT INTO alert_batches (digest, group_key, payload, received_at, state)
       VALUES (?, ?, ?, ?, 'pending') ON CONFLICT (digest) DO NOTHING`,
    );
    this.#byDigest = db.prepare('SELECT id FROM alert_batches WHERE digest = ?');
    this.#pending = db.prepare(
      "SELECT * FROM alert_batches WHERE state = 'pending' ORDER BY id LIMIT ?",
    );
  }

  add(batch: IncomingBatch): StoreOutcome {
    // One statement is its own transaction: the row is committed (WAL) when run() returns.
    const result = this.#insert.run(
      batch.digest,
      batch.groupKey,
      batch.payload,
      toIso(this.#now()),
    );
    if (result.changes > 0) return { id: Number(result.lastInsertRowid), duplicate: false };
    const row = this.#byDigest.get(batch.digest) as { id: number } | undefined;
    return { id: row?.id ?? 0, duplicate: true };
  }

  addMany(batches: readonly IncomingBatch[]): StoreOutcome[] {
    return immediate(this.#db, () => batches.map((batch) => this.add(batch)));
  }

  byId(id: number): StoredBatch | undefined {
    const row = this.#db.prepare('SELECT * FROM alert_batches WHERE id = ?').get(id) as
      BatchRow | undefined;
    return row === undefined ? undefined : toBatch(row);
  }

  pending(limit: number): StoredBatch[] {
    const rows = this.#pending.all(Math.max(0, Math.floor(limit))) as unknown as BatchRow[];
    return rows.map(toBatch);
  }

  latest(groupKeys: readonly string[]): string[] {
    const stmt = this.#db.prepare(
      'SELECT payload FROM alert_batches WHERE group_key = ? ORDER BY id DESC LIMIT 1',
    );
    return groupKeys
      .map((key) => (stmt.get(key) as { payload: string } | undefined)?.payload)
      .filter((payload) => payload !== undefined);
  }

  settle(id: number, state: 'delivered' | 'failed', error?: string): void {
    immediate(this.#db, () => {
      this.#db
        .prepare('UPDATE alert_batches SET state = ?, error = ? WHERE id = ?')
        .run(state, error ?? null, id);
    });
  }
}

export class SqliteAlertThreads implements AlertThreads {
  readonly #db: DatabaseSync;
  readonly #now: Clock;

  constructor(db: DatabaseSync, options: { now?: Clock } = {}) {
    this.#db = db;
    this.#now = options.now ?? systemClock;
  }

  get(room: string, groupKey: string): AlertThread | undefined {
    const row = this.#db
      .prepare('SELECT rowid AS id, * FROM alert_threads WHERE room = ? AND group_key = ?')
      .get(room, groupKey) as ThreadRow | undefined;
    return row === undefined ? undefined : toThread(row);
  }

  byId(id: number): AlertThread | undefined {
    const row = this.#db
      .prepare('SELECT rowid AS id, * FROM alert_threads WHERE rowid = ?')
      .get(id) as ThreadRow | undefined;
    return row === undefined ? undefined : toThread(row);
  }

  ofGroup(groupKey: string): AlertThread[] {
    const rows = this.#db
      .prepare('SELECT rowid AS id, * FROM alert_threads WHERE group_key = ? ORDER BY rowid')
      .all(groupKey) as unknown as ThreadRow[];
    return rows.map(toThread);
  }

  // Acknowledgement and silence belong to the group, not to one room's post of it: they are
  // written to every thread of the group at once.
  silenced(id: number, until: Date, by: string): boolean {
    return immediate(this.#db, () => {
      const result = this.#db
        .prepare(
          `UPDATE alert_threads SET silenced_until = ?, silenced_by = ?, updated_at = ?
            WHERE group_key = (SELECT group_key FROM alert_threads WHERE rowid = ?)`,
        )
        .run(toIso(until), by, toIso(this.#now()), id);
      return result.changes > 0;
    });
  }

  activeSince(since: Date): AlertThread[] {
    const rows = this.#db
      .prepare(
        `SELECT rowid AS id, * FROM alert_threads
          WHERE updated_at >= ? ORDER BY rowid`,
      )
      .all(toIso(since)) as unknown as ThreadRow[];
    return rows.map(toThread);
  }

  acknowledge(id: number, by: string): boolean {
    return immediate(this.#db, () => {
      const now = toIso(this.#now());
      const result = this.#db
        .prepare(
          `UPDATE alert_threads SET acked_by = ?, acked_at = ?, updated_at = ?
            WHERE group_key = (SELECT group_key FROM alert_threads WHERE rowid = ?)`,
        )
        .run(by, now, now, id);
      return result.changes > 0;
    });
  }

  add(thread: Pick<AlertThread, 'room' | 'groupKey' | 'rootKey' | 'inDigest'>): number {
    const now = toIso(this.#now());
    return immediate(this.#db, () => {
      // A root of its own shows the group's state as its other rooms know it (a digest line
      // shows none, and a storm's many groups need no look-up each).
      const known = thread.inDigest
        ? undefined
        : (this.#db
            .prepare(
              `SELECT acked_by, acked_at, silenced_until, silenced_by FROM alert_threads
                WHERE group_key = ? AND (acked_by IS NOT NULL OR silenced_until IS NOT NULL)
                ORDER BY updated_at DESC LIMIT 1`,
            )
            .get(thread.groupKey) as GroupStateRow | undefined);
      this.#db
        .prepare(
          `INSERT INTO alert_threads (room, group_key, root_key, in_digest, created_at, updated_at,
                                      acked_by, acked_at, silenced_until, silenced_by)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (room, group_key) DO NOTHING`,
        )
        .run(
          thread.room,
          thread.groupKey,
          thread.rootKey,
          thread.inDigest ? 1 : 0,
          now,
          now,
          known?.acked_by ?? null,
          known?.acked_at ?? null,
          known?.silenced_until ?? null,
          known?.silenced_by ?? null,
        );
      return this.get(thread.room, thread.groupKey)?.id ?? 0;
    });
  }

  openDigest(room: string, since: Date): string | undefined {
    const row = this.#db
      .prepare(
        `SELECT root_key, min(created_at) AS first FROM alert_threads
          WHERE room = ? AND in_digest = 1 GROUP BY root_key
         HAVING first >= ? ORDER BY first DESC LIMIT 1`,
      )
      .get(room, toIso(since)) as { root_key: string } | undefined;
    return row?.root_key;
  }

  groupsOf(room: string, rootKey: string): string[] {
    const rows = this.#db
      .prepare('SELECT group_key FROM alert_threads WHERE room = ? AND root_key = ? ORDER BY rowid')
      .all(room, rootKey) as unknown as { group_key: string }[];
    return rows.map((r) => r.group_key);
  }

  hold(room: string, groupKey: string, batchId: number): void {
    immediate(this.#db, () => {
      this.#db
        .prepare(
          `INSERT INTO alert_held (room, group_key, batch_id, held_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (room, group_key) DO UPDATE SET batch_id = excluded.batch_id`,
        )
        .run(room, groupKey, batchId, toIso(this.#now()));
    });
  }

  held(): { room: string; groupKey: string; batchId: number }[] {
    const rows = this.#db
      .prepare('SELECT room, group_key, batch_id FROM alert_held ORDER BY held_at, rowid')
      .all() as unknown as { room: string; group_key: string; batch_id: number }[];
    return rows.map((r) => ({ room: r.room, groupKey: r.group_key, batchId: r.batch_id }));
  }

  release(room: string, groupKey: string): void {
    immediate(this.#db, () => {
      this.#db
        .prepare('DELETE FROM alert_held WHERE room = ? AND group_key = ?')
        .run(room, groupKey);
    });
  }

  startedSince(room: string, since: Date): number {
    const row = this.#db
      .prepare('SELECT count(*) AS n FROM alert_threads WHERE room = ? AND created_at >= ?')
      .get(room, toIso(since)) as { n: number } | undefined;
    return row?.n ?? 0;
  }
}
