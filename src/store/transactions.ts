/** Transactions shared by the repositories; every write goes through `immediate`. */
import type { DatabaseSync } from 'node:sqlite';

let savepointCounter = 0;

/**
 * Runs `work` in a `BEGIN IMMEDIATE` transaction and commits it, or rolls back if it throws.
 *
 * IMMEDIATE takes the write lock before the first read, so a check-then-write sequence cannot
 * interleave with another process doing the same (a deferred transaction would read, then
 * fail with SQLITE_BUSY when upgrading to a writer behind another process's commit).
 * When already inside a transaction, a savepoint keeps it all-or-nothing; the locking is then
 * the outer transaction's, so the outer one should be IMMEDIATE too.
 * `work` must be synchronous: the transaction ends when it returns.
 */
export function immediate<T>(db: DatabaseSync, work: () => T): T {
  if (db.isTransaction) {
    const name = `sp_${++savepointCounter}`;
    db.exec(`SAVEPOINT ${name}`);
    try {
      const result = work();
      db.exec(`RELEASE ${name}`);
      return result;
    } catch (error) {
      db.exec(`ROLLBACK TO ${name}`);
      db.exec(`RELEASE ${name}`);
      throw error;
    }
  }
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    // SQLite may already have rolled back on its own (e.g. after SQLITE_FULL).
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

/** Runs `work` in a read transaction: all its reads see one consistent snapshot. */
export function snapshot<T>(db: DatabaseSync, work: () => T): T {
  if (db.isTransaction) return work();
  db.exec('BEGIN');
  try {
    return work();
  } finally {
    if (db.isTransaction) db.exec('COMMIT');
  }
}
