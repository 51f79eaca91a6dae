/** Opening the state database: one file shared by `pes serve` and every terminal `pes`. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { migrate } from './migrations.ts';

/** SQLite's primary result code for "another connection holds the lock" (SQLITE_BUSY). */
const sqliteBusy = 5;

/** How long an opening keeps trying while other processes set the same file up. */
const openPatienceMs = 15_000;

/**
 * Opens (creating if needed) the state database and brings its schema up to date.
 *
 * The terminal `pes …` and the long-running `pes serve` open the same file at the same time,
 * so the connection is set up for several processes: WAL lets readers run beside one writer,
 * and the busy timeout makes a writer wait for the other process instead of failing at once.
 *
 * The busy timeout is not enough while the file is being set up. Switching a new file to WAL
 * upgrades a shared lock, and when two processes do that at once SQLite answers one of them
 * SQLITE_BUSY at once instead of waiting, since waiting would deadlock
 * (https://www.sqlite.org/lockingv3.html, "deadlock"). That connection is closed and the
 * opening tried again after a short random pause, until the other process is done.
 */
export function openDatabase(path: string): DatabaseSync {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const deadline = Date.now() + openPatienceMs;
  for (;;) {
    try {
      return setUp(new DatabaseSync(path));
    } catch (error) {
      if (!isBusy(error) || Date.now() >= deadline) throw error;
      pause(20 + Math.floor(Math.random() * 40));
    }
  }
}

function setUp(db: DatabaseSync): DatabaseSync {
  try {
    // The busy timeout comes first: migrating takes a lock that a process starting at the
    // same moment may hold briefly.
    db.exec('PRAGMA busy_timeout = 5000');
    // The mode is kept in the file: only a new file needs the switch and its exclusive lock.
    const mode = db.prepare('PRAGMA journal_mode').get() as { journal_mode?: string } | undefined;
    if (mode?.journal_mode !== 'wal') db.exec('PRAGMA journal_mode = WAL');
    // NORMAL is durable across application crashes in WAL mode; only a power cut can lose
    // the last commits, which is acceptable for this data and much cheaper than FULL.
    db.exec('PRAGMA synchronous = NORMAL');
    db.exec('PRAGMA foreign_keys = ON');
    migrate(db);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

function isBusy(error: unknown): boolean {
  return (
    error instanceof Error &&
    'errcode' in error &&
    typeof error.errcode === 'number' &&
    // The extended codes (SQLITE_BUSY_RECOVERY, _SNAPSHOT…) keep the primary code in the low byte.
    (error.errcode & 0xff) === sqliteBusy
  );
}

/** A synchronous pause: the opening is synchronous, and callers rely on that. */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
