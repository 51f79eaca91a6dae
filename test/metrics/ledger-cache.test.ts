/**
 * The backup gauges keep the ledger's rows between scrapes and read them again only when the
 * database may have changed (src/metrics/change-stamp.ts). A scrape after any change, made
 * by the bot's own connection or by another one (a terminal `pes`, as a second process has),
 * must show it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerBackupGauges } from '../../src/metrics/backup-gauges.ts';
import { changeStamp } from '../../src/metrics/change-stamp.ts';
import { SqliteBackupLedger } from '../../src/store/backup-repo.ts';
import { openDatabase } from '../../src/store/database.ts';

let dir: string;
let path: string;
const opened: DatabaseSync[] = [];
const open = (): DatabaseSync => {
  const db = openDatabase(path);
  opened.push(db);
  return db;
};
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pes-ledger-cache-'));
  path = join(dir, 'pes.db');
});
afterEach(() => {
  for (const db of opened.splice(0)) if (db.isOpen) db.close();
  rmSync(dir, { recursive: true, force: true });
});

const t0 = Date.parse('2026-12-01T03:00:00Z');
const at = (s: number): Date => new Date(t0 + s * 1000);

/** One complete backup run of moodle's volume, its snapshot made `s` seconds after t0. */
function backup(ledger: SqliteBackupLedger, job: string, s: number, bytes: number): void {
  ledger.startRun({ job, jobId: undefined, service: 'moodle', at: at(s - 10) });
  ledger.recordManifest({
    snapshotId: `${job}-snap`,
    service: 'moodle',
    source: 'volume:data',
    job,
    bytes,
    sha256: 'x',
    files: undefined,
    createdAt: at(s),
  });
  ledger.completeRun(job, at(s + 1));
}

/** The scrape's text, as prom-client writes it for Prometheus. */
const sample = (text: string, name: string): number | undefined => {
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`${name}{service="moodle",source="volume:data"} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
};

describe('backup gauges between scrapes', () => {
  it('show a backup and a drill recorded by the same connection at the next scrape', async () => {
    const db = open();
    const registry = new Registry();
    registerBackupGauges(registry, db);
    const ledger = new SqliteBackupLedger(db);
    expect(sample(await registry.metrics(), 'pes_backup_last_success_size_bytes')).toBeUndefined();
    backup(ledger, 'j1', 100, 5000);
    let text = await registry.metrics();
    expect(sample(text, 'pes_backup_last_success_size_bytes')).toBe(5000);
    expect(sample(text, 'pes_backup_last_success_timestamp_seconds')).toBe(
      at(100).getTime() / 1000,
    );
    // Nothing written: the same figures again.
    expect(sample(await registry.metrics(), 'pes_backup_last_success_size_bytes')).toBe(5000);
    ledger.recordVerification('j1-snap', false, 'mismatch', at(500));
    text = await registry.metrics();
    expect(sample(text, 'pes_restore_drill_last_failure_timestamp_seconds')).toBe(
      at(500).getTime() / 1000,
    );
    backup(ledger, 'j2', 200, 6000);
    expect(sample(await registry.metrics(), 'pes_backup_last_success_size_bytes')).toBe(6000);
  });

  it('show a backup, a drill and a forgotten snapshot written by another connection', async () => {
    const db = open();
    const registry = new Registry();
    registerBackupGauges(registry, db);
    const other = new SqliteBackupLedger(open());
    backup(other, 'j1', 100, 5000);
    expect(sample(await registry.metrics(), 'pes_backup_last_success_size_bytes')).toBe(5000);
    backup(other, 'j2', 200, 6000);
    other.recordVerification('j2-snap', true, undefined, at(900));
    const text = await registry.metrics();
    expect(sample(text, 'pes_backup_last_success_size_bytes')).toBe(6000);
    expect(sample(text, 'pes_restore_drill_last_success_timestamp_seconds')).toBe(
      at(900).getTime() / 1000,
    );
    other.forgetManifests(['j2-snap']);
    expect(sample(await registry.metrics(), 'pes_backup_last_success_size_bytes')).toBe(5000);
  });
});

describe('changeStamp', () => {
  it('stays while nothing is written and moves on every committed write, own or other', () => {
    const db = open();
    const other = open();
    const stamp = changeStamp(db);
    const first = stamp();
    expect(stamp()).toBe(first);
    db.exec("INSERT INTO backup_success (service, kind, job, at) VALUES ('a', 'backup', 'j', 'x')");
    const afterOwn = stamp();
    expect(afterOwn).not.toBe(first);
    other.exec('BEGIN IMMEDIATE');
    other.exec("UPDATE backup_success SET at = 'y'");
    // Not committed: this connection cannot see it, and the stamp has not moved.
    expect(stamp()).toBe(afterOwn);
    other.exec('COMMIT');
    expect(stamp()).not.toBe(afterOwn);
  });
});
