/**
 * A cancel after the backup is stored whole and marked complete (during retention): the
 * backup stays, is recorded as the latest success, and the job succeeds with retention told
 * as cut short.
 */
import { describe, expect, it } from 'vitest';
import type { BackupReport } from '../../src/core/backup.ts';
import { JobRunner } from '../../src/core/job-runner.ts';
import { SqliteJobStore } from '../../src/store/jobs-repo.ts';
import { service } from '../helpers/catalog.ts';
import { FakeSource, harness } from './fakes.ts';

const moodle = service('moodle');

describe('backup: a cancel during retention', () => {
  it('keeps the job succeeded, records the success, and says retention was cut short', async () => {
    const h = harness({
      moodle: {
        sources: [new FakeSource('volume:moodledata', 'files')],
        retention: { keepLast: 1 },
      },
    });
    const none = new AbortController().signal;
    const first = await h.service.backup(
      moodle,
      { only: undefined, tags: [], job: 'b1' },
      () => undefined,
      none,
    );
    const jobs = new SqliteJobStore(h.db);
    const runner = new JobRunner(jobs, { cancelPollMs: 5 });
    const job = runner.open({
      command: 'backup',
      text: 'backup moodle',
      actor: 'local:root',
      room: 'cli',
      service: 'moodle',
      lockKey: 'moodle',
    });
    const cancel = new AbortController();
    // The cancel comes while restic forgets the old snapshot (killed by it).
    h.engine.forget = (ids) => {
      h.engine.calls.push(`forget ${ids.join(',')}`);
      cancel.abort();
      return Promise.reject(new Error('restic forget was killed'));
    };
    const report: BackupReport = await runner.run(
      job,
      cancel.signal,
      () => undefined,
      (handle) =>
        h.service.backup(
          moodle,
          { only: undefined, tags: [], job: 'b2', jobId: handle.job.id },
          () => undefined,
          handle.signal,
        ),
      (end) => (end.ok ? (end.value.retentionError?.en ?? 'ok') : 'failed'),
    );
    expect(cancel.signal.aborted).toBe(true);
    expect(jobs.get(job.id)?.state).toBe('succeeded');
    expect(report.retentionError?.en).toBe(
      'the thinning out of old backups of moodle was cut short by the cancel',
    );
    expect(report.retentionError?.ru).toBe('очистка старых копий moodle прервана отменой');
    expect(h.ledger.lastSuccess('moodle').backup?.job).toBe('b2');
    // Both snapshots are kept: the new one is good, the old one simply not thinned out.
    const newId = report.sources[0]?.snapshotId ?? '';
    expect(h.engine.stored.map((s) => s.id)).toEqual([first.sources[0]?.snapshotId, newId]);
    expect(h.ledger.run('b2')?.state).toBe('complete');
  });
});
