/**
 * A cancel that arrives after the work passed its point of no return: the work went through,
 * so the job is told as succeeded (with the late cancel said), never as cancelled.
 */
import { describe, expect, it } from 'vitest';
import { passPointOfNoReturn } from '../../src/core/context-commit.ts';
import { JobRunner } from '../../src/core/job-runner.ts';
import { openDatabase } from '../../src/store/database.ts';
import { SqliteJobStore } from '../../src/store/jobs-repo.ts';

function setup(): { runner: JobRunner; jobs: SqliteJobStore } {
  const jobs = new SqliteJobStore(openDatabase(':memory:'));
  return { runner: new JobRunner(jobs, { cancelPollMs: 5 }), jobs };
}

const newJob = {
  command: 'update',
  text: 'update moodle',
  actor: 'local:root',
  room: 'cli',
  service: 'moodle',
  lockKey: 'moodle',
};

describe('job runner: point of no return', () => {
  it('a cancel after the commit point leaves the job succeeded, and says the cancel was late', async () => {
    const { runner, jobs } = setup();
    const job = runner.open(newJob);
    const parent = new AbortController();
    const seen: boolean[] = [];
    const value = await runner.run(
      job,
      parent.signal,
      () => undefined,
      (handle) => {
        passPointOfNoReturn(handle.signal);
        parent.abort();
        // The work finishes what it must: the cancel arrived, and is not obeyed.
        expect(handle.signal.aborted).toBe(true);
        return Promise.resolve('done');
      },
      (end) => {
        if (end.ok) seen.push(end.lateCancel);
        return end.ok ? 'done' : 'failed';
      },
    );
    expect(value).toBe('done');
    expect(seen).toEqual([true]);
    expect(jobs.get(job.id)?.state).toBe('succeeded');
  });

  it('an error after the commit point is a failure, not a cancel', async () => {
    const { runner, jobs } = setup();
    const job = runner.open(newJob);
    const parent = new AbortController();
    const failure = new Error('old container not removed');
    await expect(
      runner.run(
        job,
        parent.signal,
        () => undefined,
        (handle) => {
          passPointOfNoReturn(handle.signal);
          parent.abort();
          return Promise.reject(failure);
        },
        (end) => (end.ok ? 'done' : 'failed'),
      ),
    ).rejects.toBe(failure);
    expect(jobs.get(job.id)?.state).toBe('failed');
  });

  it('before the commit point a cancel still ends the job cancelled', async () => {
    const { runner, jobs } = setup();
    const job = runner.open(newJob);
    const parent = new AbortController();
    await expect(
      runner.run(
        job,
        parent.signal,
        () => undefined,
        () => {
          parent.abort();
          return Promise.resolve('done');
        },
        (end) => (end.ok ? 'done' : 'failed'),
      ),
    ).rejects.toMatchObject({ code: 'job-cancelled' });
    expect(jobs.get(job.id)?.state).toBe('cancelled');
  });
});
