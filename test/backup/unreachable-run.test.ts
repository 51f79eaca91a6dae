/**
 * A repository that stopped answering in the middle of a job, on the fakes: the run is left
 * open (never complete, never latest), the engine is not asked again during the failure (a
 * hung server would hang that call too), and the start-up sweep forgets what the run stored
 * once the repository answers.
 */
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.ts';
import { createLogger } from '../../src/core/logger.ts';
import { forgetPartialBackups } from '../../src/backup/sweep-partial.ts';
import { service } from '../helpers/catalog.ts';
import { FakeSource, harness } from './fakes.ts';

const moodle = service('moodle');
const signal = new AbortController().signal;
const onStep = (): void => undefined;
const log = createLogger({ level: 'silent' });

describe('a repository that stops answering mid-job', () => {
  it('leaves the run open, asks nothing more of the engine, and the sweep forgets it later', async () => {
    const volume = new FakeSource('volume:moodledata', 'files v1');
    const db = new FakeSource('postgres:moodle', 'dump v1');
    const h = harness({ moodle: { sources: [volume, db] } });
    await h.service.backup(
      moodle,
      { only: undefined, tags: [], job: '1-good', jobId: 1 },
      onStep,
      signal,
    );
    const good = h.engine.stored.map((s) => s.id);

    // The volume is stored; the database's backup finds the repository gone.
    const backup = h.engine.backup.bind(h.engine);
    let calls = 0;
    h.engine.backup = async (input, options) => {
      calls++;
      if (calls === 2) {
        input.resume();
        throw new UserError('backup-repo-unreachable', {
          engine: 'restic',
          repository: 'sftp:backup@host:/srv/restic',
          seconds: 300,
        });
      }
      return backup(input, options);
    };
    const before = h.engine.calls.length;
    const error: unknown = await h.service
      .backup(moodle, { only: undefined, tags: [], job: '2-cut', jobId: 2 }, onStep, signal)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toMatchObject({ code: 'backup-repo-unreachable' });
    expect((error as UserError).text('en')).toBe(
      'The restic repository sftp:backup@host:/srv/restic stopped answering.',
    );
    // The volume's backup, then nothing: no list, no forget of the run's volume snapshot.
    expect(h.engine.calls.slice(before)).toEqual(['backup volume:moodledata']);
    expect(h.ledger.run('2-cut')?.state).toBe('left');
    const plan = await h.service.planRestore(moodle, 'latest', undefined, signal);
    expect(plan.job).toBe('1-good');

    // The repository answers again: the next start forgets what the cut run stored.
    const swept = await forgetPartialBackups({ engine: h.engine, ledger: h.ledger, log });
    expect(swept.map((r) => [r.job, r.removed.length, r.left])).toEqual([['2-cut', 1, []]]);
    expect(h.engine.stored.map((s) => s.id)).toEqual(good);
  });
});
