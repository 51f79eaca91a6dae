/** The backup ledger on SQLite: manifests, verification, last successes, schedules. */
import { describe, expect, it } from 'vitest';
import { DatabaseSync } from 'node:sqlite';
import { SqliteBackupLedger } from '../../src/store/backup-repo.ts';
import { openDatabase } from '../../src/store/database.ts';
import { migrate, migrations } from '../../src/store/migrations.ts';

const at = (minute: number): Date => new Date(Date.UTC(2025, 0, 1, 0, minute));

function manifest(snapshotId: string, minute: number) {
  return {
    snapshotId,
    service: 'moodle',
    source: 'volume:moodledata',
    job: `${minute}`,
    bytes: 1024,
    sha256: 'f'.repeat(64),
    files: 3,
    createdAt: at(minute),
  };
}

describe('SqliteBackupLedger', () => {
  it('records manifests, newest first, and their verification', () => {
    const ledger = new SqliteBackupLedger(openDatabase(':memory:'));
    ledger.recordManifest(manifest('aaaa1111', 1));
    ledger.recordManifest({ ...manifest('bbbb2222', 2), files: undefined });
    expect(ledger.manifests('moodle').map((m) => m.snapshotId)).toEqual(['bbbb2222', 'aaaa1111']);
    expect(ledger.manifest('bbbb2222')).toMatchObject({ files: undefined, verifiedAt: undefined });

    ledger.recordVerification('aaaa1111', false, 'sha256 differs', at(5));
    expect(ledger.manifest('aaaa1111')).toMatchObject({
      verifyOk: false,
      verifyDetail: 'sha256 differs',
      verifiedAt: at(5),
    });
    ledger.forgetManifests(['aaaa1111']);
    expect(ledger.manifest('aaaa1111')).toBeUndefined();
    expect(ledger.manifests('keycloak')).toEqual([]);
  });

  it('keeps the newest success per service and kind', () => {
    const ledger = new SqliteBackupLedger(openDatabase(':memory:'));
    expect(ledger.lastSuccess('moodle')).toEqual({});
    ledger.recordSuccess('moodle', 'backup', '1', at(10));
    ledger.recordSuccess('moodle', 'backup', '0', at(5));
    ledger.recordSuccess('moodle', 'drill', '2', at(11));
    expect(ledger.lastSuccess('moodle')).toEqual({
      backup: { at: at(10), job: '1' },
      drill: { at: at(11), job: '2' },
    });
  });

  it('records schedule runs and when each schedule is next due', () => {
    const ledger = new SqliteBackupLedger(openDatabase(':memory:'));
    const id = ledger.startScheduleRun('backup:moodle', 'moodle', at(0), at(1));
    ledger.finishScheduleRun(id, 'ok (job 4)', at(2));
    expect(ledger.scheduleRuns(5)).toEqual([
      {
        schedule: 'backup:moodle',
        service: 'moodle',
        dueAt: at(0),
        startedAt: at(1),
        finishedAt: at(2),
        result: 'ok (job 4)',
      },
    ]);
    expect(ledger.nextDue('backup:moodle')).toBeUndefined();
    ledger.setNextDue('backup:moodle', at(60));
    ledger.setNextDue('backup:moodle', at(120));
    expect(ledger.nextDue('backup:moodle')).toEqual(at(120));
  });

  it('a manifest counts as complete only once its run completed; the whole job at once', () => {
    const ledger = new SqliteBackupLedger(openDatabase(':memory:'));
    ledger.startRun({ job: '7-x', jobId: 7, service: 'moodle', at: at(0) });
    ledger.recordManifest({ ...manifest('aaaa1111', 1), job: '7-x' });
    expect(ledger.snapshotState('aaaa1111', '7-x')).toBe('incomplete');
    // No manifest yet (the source was cut short): ours, through the run.
    expect(ledger.snapshotState('bbbb2222', '7-x')).toBe('incomplete');
    expect(ledger.snapshotState('cccc3333', 'elsewhere')).toBe('unknown');
    ledger.recordManifest({ ...manifest('bbbb2222', 2), job: '7-x' });
    ledger.completeRun('7-x', at(3));
    expect(ledger.snapshotState('aaaa1111', '7-x')).toBe('complete');
    expect(ledger.snapshotState('bbbb2222', '7-x')).toBe('complete');
    expect(ledger.run('7-x')).toMatchObject({ state: 'complete', finishedAt: at(3) });
    expect(ledger.openRuns()).toEqual([]);
  });

  it('a manifest recorded before the completeness migration counts as complete', () => {
    const db = new DatabaseSync(':memory:');
    // The schema as it was just before that migration: every later one comes after it.
    const completeness = migrations.findIndex((m) => m.name === 'backup completeness');
    expect(completeness).toBeGreaterThan(0);
    const before = migrations.slice(0, completeness);
    migrate(db, before);
    db.prepare(
      `INSERT INTO backup_manifests (snapshot_id, service, source, job, bytes, sha256, created_at)
       VALUES ('aaaa1111', 'moodle', 'volume:moodledata', '3-old', 10, ?, ?)`,
    ).run('f'.repeat(64), at(0).toISOString());
    migrate(db);
    const ledger = new SqliteBackupLedger(db);
    expect(ledger.snapshotState('aaaa1111', '3-old')).toBe('complete');
    expect(ledger.snapshotState('bbbb2222', '3-old')).toBe('unknown');
  });

  it('open runs: cut short or left, and only of jobs that are over', () => {
    const db = openDatabase(':memory:');
    const ledger = new SqliteBackupLedger(db);
    const job = db.prepare(
      `INSERT INTO jobs (id, command, text, actor, room, state, created_at, owner_pid)
       VALUES (?, 'backup', 'backup moodle', 'local:root', 'terminal', ?, ?, 1)`,
    );
    job.run(1, 'interrupted', at(0).toISOString());
    job.run(2, 'running', at(0).toISOString());
    job.run(3, 'failed', at(0).toISOString());
    ledger.startRun({ job: '1-a', jobId: 1, service: 'moodle', at: at(1) });
    ledger.startRun({ job: '2-b', jobId: 2, service: 'moodle', at: at(2) });
    ledger.startRun({ job: '3-c', jobId: 3, service: 'moodle', at: at(3) });
    ledger.closeRun('3-c', 'left', 'locked', at(4));
    expect(ledger.openRuns().map((r) => [r.job, r.state])).toEqual([
      ['1-a', 'running'],
      ['3-c', 'left'],
    ]);
    ledger.closeRun('1-a', 'discarded', undefined, at(5));
    ledger.closeRun('3-c', 'discarded', undefined, at(5));
    expect(ledger.openRuns()).toEqual([]);
    // A run that completed is never discarded afterwards.
    ledger.completeRun('2-b', at(6));
    ledger.closeRun('2-b', 'discarded', undefined, at(7));
    expect(ledger.run('2-b')?.state).toBe('complete');
  });
});
