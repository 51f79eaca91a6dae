/** Shared by the store tests: throwaway database files and a clock the test moves. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { openDatabase } from '../../src/store/database.ts';

export interface TempDb {
  readonly path: string;
  readonly db: DatabaseSync;
  /** Another connection to the same file, as a second process would have. */
  reopen(): DatabaseSync;
  cleanup(): void;
}

export function tempDb(): TempDb {
  const dir = mkdtempSync(join(tmpdir(), 'pes-store-'));
  // A nested path also checks that openDatabase creates the parent directory.
  const path = join(dir, 'state', 'pes.db');
  const opened: DatabaseSync[] = [];
  const open = (): DatabaseSync => {
    const db = openDatabase(path);
    opened.push(db);
    return db;
  };
  return {
    path,
    db: open(),
    reopen: open,
    cleanup() {
      for (const db of opened) if (db.isOpen) db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface FakeClock {
  readonly now: () => Date;
  advance(ms: number): void;
}

export function fakeClock(start = '2025-01-01T10:00:00.000Z'): FakeClock {
  let current = new Date(start).getTime();
  return {
    now: () => new Date(current),
    advance(ms) {
      current += ms;
    },
  };
}
