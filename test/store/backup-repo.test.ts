/** The backup ledger on SQLite: manifests, verification, last successes, schedules. */
import { describe, expect, it } from 'vitest';
import { SqliteBackupLedger } from '../../src/store/backup-repo.ts';
import { openDatabase } from '../../src/store/database.ts';

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
});
