/** Opening the state database, and the transaction helper every repository writes through. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { migrate } from './migrations.ts';

/**
 * Opens (creating if needed) the state database and brings its schema up to date.
 *
 * The terminal `pes …` and the long-running `pes serve` open the same file at the same time,
 * so the connection is set up for several processes: WAL lets readers run beside one writer,
 * and the busy timeout makes a writer wait for the other process instead of failing at once.
 */
export function openDatabase(path: string): DatabaseSync {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path);
  try {
    // The busy timeout comes first: switching to WAL and migrating both take locks that a
    // process starting at the same moment may hold briefly.
    db.exec('PRAGMA busy_timeout = 5000');
    db.exec('PRAGMA journal_mode = WAL');
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
