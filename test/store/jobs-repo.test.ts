import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canTransition } from '../../src/core/jobs.ts';
import type { JobRecord, JobState, LockConflict, NewJob } from '../../src/core/jobs.ts';
import { SqliteJobStore, isProcessAlive } from '../../src/store/jobs-repo.ts';
import { fakeClock, tempDb } from './helpers.ts';
import type { FakeClock, TempDb } from './helpers.ts';

const allStates: JobState[] = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'interrupted',
];

function newJob(lockKey: string | undefined, command = 'restart'): NewJob {
  return {
    command,
    text: `${command} wiki`,
    actor: 'alice',
    room: 'ops',
    service: 'wiki',
    lockKey,
  };
}

function created(result: JobRecord | LockConflict): JobRecord {
  if ('holder' in result) throw new Error(`unexpected lock conflict with job ${result.holder.id}`);
  return result;
}

describe('SqliteJobStore', () => {
  let temp: TempDb;
  let clock: FakeClock;
  let store: SqliteJobStore;

  beforeEach(() => {
    temp = tempDb();
    clock = fakeClock();
    store = new SqliteJobStore(temp.db, { now: clock.now });
  });
  afterEach(() => {
    temp.cleanup();
  });

  it('creates a queued job owned by this process', () => {
    const job = created(store.create(newJob('svc:wiki')));
    expect(job).toMatchObject({
      command: 'restart',
      text: 'restart wiki',
      actor: 'alice',
      room: 'ops',
      service: 'wiki',
      lockKey: 'svc:wiki',
      state: 'queued',
      progress: 0,
      progressText: undefined,
      startedAt: undefined,
      finishedAt: undefined,
      result: undefined,
      cancelRequested: false,
      ownerPid: process.pid,
    });
    expect(job.createdAt).toEqual(clock.now());
    expect(store.get(job.id)).toEqual(job);
    expect(store.get(job.id + 100)).toBeUndefined();
  });

  describe('lock', () => {
    it('reports the active holder to a second job with the same key', () => {
      const first = created(store.create(newJob('svc:wiki')));
      const second = store.create(newJob('svc:wiki', 'update'));
      expect(second).toEqual({ holder: first });
      // The holder still holds while running.
      store.transition(first.id, 'running');
      const third = store.create(newJob('svc:wiki'));
      expect('holder' in third && third.holder.id).toBe(first.id);
    });

    it('lets a different key, or no key, through', () => {
      created(store.create(newJob('svc:wiki')));
      expect('holder' in store.create(newJob('svc:chat'))).toBe(false);
      expect('holder' in store.create(newJob(undefined))).toBe(false);
      expect('holder' in store.create(newJob(undefined))).toBe(false);
    });

    it.each(['succeeded', 'failed', 'cancelled', 'interrupted'] as const)(
      'is free again once the holder has %s',
      (end) => {
        const first = created(store.create(newJob('svc:wiki')));
        if (end !== 'cancelled' && end !== 'interrupted') store.transition(first.id, 'running');
        expect(store.transition(first.id, end)).toBe(true);
        const next = created(store.create(newJob('svc:wiki')));
        expect(next.id).not.toBe(first.id);
      },
    );

    it('is enforced by the database too, whatever the code does', () => {
      created(store.create(newJob('svc:wiki')));
      expect(() => {
        temp.db.exec(
          "INSERT INTO jobs (command, text, actor, room, lock_key, state, created_at, owner_pid) VALUES ('c', 't', 'a', 'r', 'svc:wiki', 'running', 'x', 1)",
        );
      }).toThrow(/UNIQUE/);
    });
  });

  describe('state machine', () => {
    // Brings a fresh job to `state` through allowed transitions.
    function jobIn(state: JobState): JobRecord {
      const job = created(store.create(newJob(undefined)));
      const path: Record<JobState, JobState[]> = {
        queued: [],
        running: ['running'],
        succeeded: ['running', 'succeeded'],
        failed: ['running', 'failed'],
        cancelled: ['cancelled'],
        interrupted: ['interrupted'],
      };
      for (const step of path[state]) expect(store.transition(job.id, step)).toBe(true);
      const reached = store.get(job.id);
      expect(reached?.state).toBe(state);
      return reached as JobRecord;
    }

    const pairs = allStates.flatMap((from) => allStates.map((to) => [from, to] as const));

    it.each(pairs.filter(([from, to]) => !canTransition(from, to)))(
      'refuses %s → %s and changes nothing',
      (from, to) => {
        const before = jobIn(from);
        clock.advance(1000);
        expect(store.transition(before.id, to, 'should not be stored')).toBe(false);
        expect(store.get(before.id)).toEqual(before);
      },
    );

    it.each(pairs.filter(([from, to]) => canTransition(from, to)))(
      'allows %s → %s and stamps the time',
      (from, to) => {
        const before = jobIn(from);
        clock.advance(1000);
        expect(store.transition(before.id, to, 'done')).toBe(true);
        const after = store.get(before.id);
        expect(after?.state).toBe(to);
        expect(after?.result).toBe('done');
        if (to === 'running') expect(after?.startedAt).toEqual(clock.now());
        else expect(after?.startedAt).toEqual(before.startedAt);
        if (to === 'queued' || to === 'running') expect(after?.finishedAt).toBeUndefined();
        else expect(after?.finishedAt).toEqual(clock.now());
      },
    );

    it('keeps the earlier result when a transition gives none', () => {
      const job = jobIn('queued');
      store.transition(job.id, 'running', 'started');
      store.transition(job.id, 'succeeded');
      expect(store.get(job.id)?.result).toBe('started');
    });

    it('refuses a job that does not exist', () => {
      expect(store.transition(999, 'running')).toBe(false);
    });
  });

  it('clamps progress and ignores it once the job has ended', () => {
    const job = created(store.create(newJob(undefined)));
    store.setProgress(job.id, 0.4, 'copying');
    expect(store.get(job.id)).toMatchObject({ progress: 0.4, progressText: 'copying' });
    store.setProgress(job.id, 7, undefined);
    expect(store.get(job.id)).toMatchObject({ progress: 1, progressText: undefined });
    store.setProgress(job.id, -2, 'x');
    expect(store.get(job.id)?.progress).toBe(0);
    store.setProgress(job.id, Number.NaN, 'x');
    expect(store.get(job.id)?.progress).toBe(0);
    store.setProgress(job.id, 0.5, 'half');
    store.transition(job.id, 'cancelled');
    store.setProgress(job.id, 0.9, 'late');
    expect(store.get(job.id)).toMatchObject({ progress: 0.5, progressText: 'half' });
  });

  it('records a cancel request on an active job only', () => {
    const job = created(store.create(newJob(undefined)));
    store.transition(job.id, 'running');
    store.requestCancel(job.id);
    expect(store.get(job.id)).toMatchObject({ state: 'running', cancelRequested: true });

    const done = created(store.create(newJob(undefined)));
    store.transition(done.id, 'running');
    store.transition(done.id, 'succeeded');
    store.requestCancel(done.id);
    expect(store.get(done.id)?.cancelRequested).toBe(false);
  });

  it('lists newest first, optionally only active jobs, within the limit', () => {
    const ids = [1, 2, 3, 4].map(() => created(store.create(newJob(undefined))).id);
    const [a, b] = ids as [number, number];
    store.transition(a, 'cancelled');
    store.transition(b, 'running');
    store.transition(b, 'failed');
    expect(store.list({ limit: 10 }).map((job) => job.id)).toEqual([...ids].reverse());
    expect(store.list({ limit: 2 }).map((job) => job.id)).toEqual([ids[3], ids[2]]);
    expect(store.list({ limit: 10, activeOnly: true }).map((job) => job.id)).toEqual([
      ids[3],
      ids[2],
    ]);
    expect(store.list({ limit: -1 })).toEqual([]);
  });

  describe('interruptOrphans', () => {
    it('interrupts active jobs of dead owners only, and frees their locks', () => {
      const dead = new SqliteJobStore(temp.db, { now: clock.now, pid: 4001 });
      const alive = new SqliteJobStore(temp.db, { now: clock.now, pid: 4002 });
      const queued = created(dead.create(newJob('svc:a')));
      const running = created(dead.create(newJob('svc:b')));
      dead.transition(running.id, 'running');
      const finished = created(dead.create(newJob(undefined)));
      dead.transition(finished.id, 'cancelled');
      const other = created(alive.create(newJob('svc:c')));
      const mine = created(store.create(newJob('svc:d')));

      clock.advance(5000);
      const checked: number[] = [];
      const orphans = store.interruptOrphans((pid) => {
        checked.push(pid);
        return pid !== 4001;
      });

      expect(orphans.map((job) => job.id)).toEqual([queued.id, running.id]);
      for (const job of orphans) {
        expect(job.state).toBe('interrupted');
        expect(job.finishedAt).toEqual(clock.now());
      }
      expect(store.get(finished.id)?.state).toBe('cancelled');
      expect(store.get(other.id)?.state).toBe('queued');
      expect(store.get(mine.id)?.state).toBe('queued');
      // Our own jobs are not asked about: this process is obviously alive.
      expect(checked).not.toContain(process.pid);
      expect('holder' in store.create(newJob('svc:a'))).toBe(false);
      expect(store.interruptOrphans(() => false).map((job) => job.id)).toEqual([other.id]);
    });

    it('interrupts jobs of an earlier process that had our pid', () => {
      // In a container the bot is pid 1 after every restart.
      const before = new SqliteJobStore(temp.db, { pid: 1, ownerToken: 'boot-1' });
      const after = new SqliteJobStore(temp.db, { pid: 1, ownerToken: 'boot-2' });
      const old = created(before.create(newJob('svc:wiki')));
      const current = created(after.create(newJob('svc:chat')));
      const orphans = after.interruptOrphans(() => true);
      expect(orphans.map((job) => job.id)).toEqual([old.id]);
      expect(after.get(current.id)?.state).toBe('queued');
    });
  });

  describe('two connections to one file', () => {
    it('see each other’s locks', () => {
      const other = new SqliteJobStore(temp.reopen(), { pid: 5000 });
      const first = created(store.create(newJob('svc:wiki')));
      const second = other.create(newJob('svc:wiki'));
      expect('holder' in second && second.holder.id).toBe(first.id);
    });

    it('take the write lock before checking, so check and insert cannot interleave', () => {
      const otherDb = temp.reopen();
      otherDb.exec('PRAGMA busy_timeout = 0');
      const other = new SqliteJobStore(otherDb);
      // This connection is in the middle of its own check-then-insert…
      temp.db.exec('BEGIN IMMEDIATE');
      try {
        // …so the other cannot even start reading for its own.
        expect(() => other.create(newJob('svc:wiki'))).toThrow(/locked/);
      } finally {
        temp.db.exec('ROLLBACK');
      }
      expect('holder' in other.create(newJob('svc:wiki'))).toBe(false);
    });
  });
});

describe('isProcessAlive', () => {
  it('knows this process is alive', () => {
    expect(isProcessAlive(process.pid)).toBe(true);
  });

  it('reports a pid that does not exist as dead', () => {
    // Above the Linux pid_max ceiling (2^22), so it cannot exist.
    expect(isProcessAlive(2 ** 22 + 1)).toBe(false);
  });

  it('never treats 0 or negative pids (process groups) as a process', () => {
    expect(isProcessAlive(0)).toBe(false);
    expect(isProcessAlive(-1)).toBe(false);
    expect(isProcessAlive(1.5)).toBe(false);
  });

  it('treats a process it may not signal as alive', () => {
    // pid 1 exists everywhere; unprivileged, signalling it fails with EPERM.
    expect(isProcessAlive(1)).toBe(true);
  });
});
