/** WAL checkpoints at quiet moments, and at the latest after a while during a storm. */
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
  it('copies committed pages into the database file once the writes pause', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pes-ckpt-'));
    dirs.push(dir);
    const path = join(dir, 'pes.db');
    const db = openDatabase(path);
    const checkpointer = startCheckpointer(db, path, quiet, { tickMs: 50 });
    const before = statSync(path).size;
    db.exec('CREATE TABLE filler (data BLOB)');
    const insert = db.prepare('INSERT INTO filler VALUES (randomblob(4000))');
    // ~2 MB: below the automatic checkpoint, so only the timer copies it.
    for (let i = 0; i < 500; i++) insert.run();
    expect(statSync(join(dir, 'pes.db-wal')).size).toBeGreaterThan(1_000_000);
    expect(await until(() => statSync(path).size > before + 1_000_000, 5000)).toBe(true);
    checkpointer.stop();
    // Stopping twice is harmless (shutdown paths may overlap).
    checkpointer.stop();
    db.close();
  });

  it('checkpoints during a storm that never pauses, after maxDelayMs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pes-ckpt-'));
    dirs.push(dir);
    const path = join(dir, 'pes.db');
    const db = openDatabase(path);
    const checkpointer = startCheckpointer(db, path, quiet, { tickMs: 20, maxDelayMs: 300 });
    const before = statSync(path).size;
    db.exec('CREATE TABLE filler (data BLOB)');
    const insert = db.prepare('INSERT INTO filler VALUES (randomblob(4000))');
    // A write before every tick: never quiet, so only the delay can let a checkpoint run.
    const storm = setInterval(() => {
      for (let i = 0; i < 20; i++) insert.run();
    }, 5);
    const copied = await until(() => statSync(path).size > before + 200_000, 5000);
    clearInterval(storm);
    expect(copied).toBe(true);
    checkpointer.stop();
    db.close();
  });

  it('does nothing for an in-memory database', () => {
    const db = openDatabase(':memory:');
    startCheckpointer(db, ':memory:', quiet).stop();
    db.close();
  });
});
