/** WAL checkpoints from the worker thread: the database file catches up without the main thread. */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.ts';
import { startCheckpointer } from '../../src/store/checkpointer.ts';
import { openDatabase } from '../../src/store/database.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const quiet = createLogger({ level: 'error', write: () => undefined });

async function until(check: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end;) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

describe('startCheckpointer', () => {
  it('copies committed pages into the database file from its own thread', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pes-ckpt-'));
    dirs.push(dir);
    const path = join(dir, 'pes.db');
    const db = openDatabase(path);
    const checkpointer = startCheckpointer(db, path, quiet, { tickMs: 50 });
    const before = statSync(path).size;
    db.exec('CREATE TABLE filler (data BLOB)');
    const insert = db.prepare('INSERT INTO filler VALUES (randomblob(4000))');
    // ~2 MB: below the main connection's backstop, so only the worker checkpoints it.
    for (let i = 0; i < 500; i++) insert.run();
    expect(statSync(join(dir, 'pes.db-wal')).size).toBeGreaterThan(1_000_000);
    expect(await until(() => statSync(path).size > before + 1_000_000, 5000)).toBe(true);
    await checkpointer.stop();
    // Stopping twice is harmless (shutdown paths may overlap).
    await checkpointer.stop();
    db.close();
  });

  it('does nothing for an in-memory database', async () => {
    const db = openDatabase(':memory:');
    await startCheckpointer(db, ':memory:', quiet).stop();
    db.close();
  });
});
