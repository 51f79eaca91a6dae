import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DatabaseSync } from 'node:sqlite';
import { openDatabase } from '../../src/store/database.ts';
import { migrate, migrations, schemaVersion } from '../../src/store/migrations.ts';
import type { Migration } from '../../src/store/migrations.ts';
import { tempDb } from './helpers.ts';
import type { TempDb } from './helpers.ts';

interface NameRow {
  readonly name: string;
}

function tableNames(db: DatabaseSync): string[] {
  const rows = db
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
    .all() as unknown as NameRow[];
  return rows.map((row) => row.name);
}

function pragma(db: DatabaseSync, name: string): unknown {
  const row = db.prepare(`PRAGMA ${name}`).get();
  return row === undefined ? undefined : Object.values(row)[0];
}

describe('openDatabase', () => {
  let temp: TempDb | undefined;
  afterEach(() => {
    temp?.cleanup();
    temp = undefined;
  });

  it('creates the directory, turns WAL on and applies every migration', () => {
    temp = tempDb();
    expect(pragma(temp.db, 'journal_mode')).toBe('wal');
    expect(pragma(temp.db, 'busy_timeout')).toBe(5000);
    expect(pragma(temp.db, 'foreign_keys')).toBe(1);
    expect(pragma(temp.db, 'synchronous')).toBe(1); // NORMAL
    expect(schemaVersion(temp.db)).toBe(migrations.length);
    expect(tableNames(temp.db)).toEqual(
      expect.arrayContaining(['audit', 'audit_head', 'confirmations', 'jobs']),
    );
  });

  it('waits for another process setting up the same new file instead of failing', async () => {
    // Another process holds the write lock of a file not yet in WAL mode, as a `pes` started
    // at the same moment does while it sets the file up. The switch to WAL then meets
    // SQLITE_BUSY at once, whatever the busy timeout (SQLite's deadlock avoidance), so
    // only trying again gets the file open once the other process commits.
    const dir = mkdtempSync(join(tmpdir(), 'pes-open-'));
    const path = join(dir, 'pes.db');
    const holder = spawn(
      process.execPath,
      [
        '--no-warnings',
        '--input-type=module',
        '-e',
        `import { DatabaseSync } from 'node:sqlite';
         const db = new DatabaseSync(${JSON.stringify(path)});
         db.exec('CREATE TABLE early (x)');
         db.exec('BEGIN IMMEDIATE');
         db.exec('INSERT INTO early VALUES (1)');
         process.stdout.write('held\\n');
         setTimeout(() => { db.exec('COMMIT'); db.close(); }, 400);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise<number | null>((resolve) => holder.on('exit', resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('held')) resolve();
        });
        holder.on('exit', () => reject(new Error('the holder exited before holding the lock')));
      });
      const db = openDatabase(path);
      expect(pragma(db, 'journal_mode')).toBe('wal');
      expect(schemaVersion(db)).toBe(migrations.length);
      // The other process's commit is there: it was waited for, not overrun.
      expect(db.prepare('SELECT count(*) AS n FROM early').get()).toEqual({ n: 1 });
      db.close();
      expect(await exited).toBe(0);
    } finally {
      holder.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is idempotent on reopen and keeps the data', () => {
    temp = tempDb();
    temp.db.exec(
      "INSERT INTO jobs (command, text, actor, room, state, created_at, owner_pid) VALUES ('c', 't', 'a', 'r', 'succeeded', 'x', 1)",
    );
    temp.db.close();
    const again = temp.reopen();
    expect(schemaVersion(again)).toBe(migrations.length);
    expect(again.prepare('SELECT count(*) AS n FROM jobs').get()).toEqual({ n: 1 });
    expect(migrate(again)).toBe(migrations.length);
    // The audit head was seeded once, not once per open.
    expect(again.prepare('SELECT count(*) AS n FROM audit_head').get()).toEqual({ n: 1 });
  });

  it('works in memory', () => {
    const db = openDatabase(':memory:');
    expect(schemaVersion(db)).toBe(migrations.length);
    db.close();
  });

  it('rolls back a failing migration entirely', () => {
    const db = new DatabaseSync(':memory:');
    const list: Migration[] = [
      { version: 1, name: 'ok', sql: 'CREATE TABLE a (x)' },
      { version: 2, name: 'broken', sql: 'CREATE TABLE b (x); THIS IS NOT SQL' },
    ];
    expect(() => migrate(db, list)).toThrow();
    expect(schemaVersion(db)).toBe(1);
    expect(tableNames(db)).toEqual(['a']);
    db.close();
  });

  it('refuses a database written by a newer version', () => {
    const db = new DatabaseSync(':memory:');
    db.exec(`PRAGMA user_version = ${migrations.length + 1}`);
    expect(() => migrate(db)).toThrow(/newer/);
    db.close();
  });

  it('refuses a migration list with a gap', () => {
    const db = new DatabaseSync(':memory:');
    expect(() => migrate(db, [{ version: 2, name: 'x', sql: '' }])).toThrow(/expected 1/);
    db.close();
  });
});
