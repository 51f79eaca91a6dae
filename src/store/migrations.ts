/**
 * The schema, as an ordered list of migrations tracked with `PRAGMA user_version`.
 *
 * Append new migrations at the end with the next version; never edit one that has shipped,
 * because databases in the field have already applied it.
 */
import type { DatabaseSync } from 'node:sqlite';
import { immediate } from './transactions.ts';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

// Enumerated columns (states, sources, decisions) have no CHECK constraints on purpose:
// SQLite cannot alter a CHECK without rebuilding the table, and the mapping functions in the
// repositories reject unknown values anyway.
export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'jobs',
    sql: `
      CREATE TABLE jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        command TEXT NOT NULL,
        text TEXT NOT NULL,
        actor TEXT NOT NULL,
        room TEXT NOT NULL,
        service TEXT,
        lock_key TEXT,
        state TEXT NOT NULL,
        progress REAL NOT NULL DEFAULT 0,
        progress_text TEXT,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        result TEXT,
        cancel_requested INTEGER NOT NULL DEFAULT 0,
        owner_pid INTEGER NOT NULL,
        -- Distinguishes this process from an earlier one that had the same pid (in a
        -- container the bot is pid 1 after every restart).
        owner_token TEXT NOT NULL DEFAULT ''
      );
      -- The lock itself, enforced by the database as a last line of defence: at most one
      -- active job per lock key, whatever the code above does.
      CREATE UNIQUE INDEX jobs_active_lock ON jobs (lock_key)
        WHERE lock_key IS NOT NULL AND state IN ('queued', 'running');
      CREATE INDEX jobs_active ON jobs (state) WHERE state IN ('queued', 'running');
    `,
  },
  {
    version: 2,
    name: 'audit',
    sql: `
      -- Ids are assigned by the application (they are part of the hashed content).
      CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        room TEXT NOT NULL,
        source TEXT NOT NULL,
        raw TEXT NOT NULL,
        command TEXT NOT NULL,
        decision TEXT NOT NULL,
        result TEXT NOT NULL,
        duration_ms INTEGER NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
      );
      -- The end of the chain, kept apart from the rows so that cutting the tail shows.
      CREATE TABLE audit_head (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        last_id INTEGER NOT NULL,
        last_hash TEXT NOT NULL
      );
      INSERT INTO audit_head (singleton, last_id, last_hash)
        VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
      -- Append-only for the application. These do not stop someone with the file (they can
      -- drop the triggers); the hash chain is what makes that visible.
      CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
      CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
      CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
        BEGIN SELECT RAISE(ABORT, 'the audit head cannot be deleted'); END;
    `,
  },
  {
    version: 3,
    name: 'confirmations',
    sql: `
      CREATE TABLE confirmations (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        code TEXT NOT NULL,
        text TEXT NOT NULL,
        command TEXT NOT NULL,
        actor TEXT NOT NULL,
        room TEXT NOT NULL,
        description TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        decided_by TEXT,
        decided_at TEXT
      );
      -- Codes are short and get reused, but never by two pending confirmations at once.
      CREATE UNIQUE INDEX confirmations_pending_code ON confirmations (code)
        WHERE state = 'pending';
      CREATE INDEX confirmations_code ON confirmations (code, id);
    `,
  },
];

interface UserVersionRow {
  readonly user_version: number;
}

export function schemaVersion(db: DatabaseSync): number {
  const row = db.prepare('PRAGMA user_version').get() as UserVersionRow | undefined;
  return row?.user_version ?? 0;
}

/**
 * Applies the migrations the database does not have yet, each in its own transaction, and
 * returns the resulting version. The version is re-read inside each transaction because
 * another process may be migrating the same file at the same moment.
 */
export function migrate(db: DatabaseSync, list: readonly Migration[] = migrations): number {
  list.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(
        `migration ${migration.name} has version ${migration.version}, expected ${index + 1}`,
      );
    }
  });
  const latest = list.length;
  if (schemaVersion(db) > latest) {
    // Written by a newer bot: running older code on it could corrupt data it does not know.
    throw new Error(
      `the state database has schema version ${schemaVersion(db)}, newer than this bot knows (${latest})`,
    );
  }
  for (const migration of list) {
    immediate(db, () => {
      if (schemaVersion(db) >= migration.version) return;
      db.exec(migration.sql);
      // user_version lives in the database header and is part of this transaction.
      db.exec(`PRAGMA user_version = ${migration.version}`);
    });
  }
  return schemaVersion(db);
}
