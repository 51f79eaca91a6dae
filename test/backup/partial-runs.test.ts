/**
 * A backup cut short by the bot's death, and failures told with the first one, on the fakes: what the dead run left is never latest, never counted by
 * retention, listed as incomplete, and forgotten by the start-up sweep, which says so.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { BackupStep } from '../../src/core/backup.ts';
import { UserError } from '../../src/core/errors.ts';
import { createLogger } from '../../src/core/logger.ts';
import type { BackupHooks } from '../../src/backup/plan.ts';
import { forgetPartialBackups, partialBackupNotes } from '../../src/backup/sweep-partial.ts';
import { service } from '../helpers/catalog.ts';
import { FakeSource, harness, type Harness } from './fakes.ts';

const moodle = service('moodle');
const signal = new AbortController().signal;
const onStep = (step: BackupStep): void => {
  expect(step.fraction).toBeGreaterThanOrEqual(0);
};
const log = createLogger({ level: 'silent' });

function sources(): { volume: FakeSource; db: FakeSource } {
  return {
    volume: new FakeSource('volume:moodledata', 'files v1'),
    db: new FakeSource('postgres:moodle', 'dump v1'),
  };
}

async function backup(h: Harness, job: string, jobId: number): Promise<string[]> {
  const report = await h.service.backup(
    moodle,
    { only: undefined, tags: [], job, jobId },
    onStep,
    signal,
  );
  return report.sources.map((s) => s.snapshotId);
}

/**
 * What `kill -9` of the bot during `backup moodle` (job 9) leaves: the run recorded as
 * started, the volume's snapshot of part of the tar (no manifest: the bot died first).
 */
function killedMidBackup(h: Harness, job = '9-cut', jobId = 9): string {
  h.ledger.startRun({ job, jobId, service: 'moodle', at: new Date() });
  return h.engine.storePartial(
    { service: 'moodle', source: 'volume:moodledata', job, extra: [] },
    'files v',
  );
}

async function caught(promise: Promise<unknown>): Promise<UserError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UserError);
  return error as UserError;
}

describe('a backup cut short by the death of the bot', () => {
  it('is never latest: restore latest picks the good backup made before it', async () => {
    const { volume, db } = sources();
    const h = harness({ moodle: { sources: [volume, db] } });
    const good = await backup(h, '1-good', 1);
    const partial = killedMidBackup(h);

    const plan = await h.service.planRestore(moodle, 'latest', undefined, signal);
    expect(plan.job).toBe('1-good');
    expect(plan.items.map((i) => i.snapshotId)).toEqual(good);
    expect(plan.items.map((i) => i.snapshotId)).not.toContain(partial);
    expect(plan.items.every((i) => i.state === 'complete')).toBe(true);
  });

  it('is never latest even after a good backup made later cut short too (only complete sets)', async () => {
    const { volume, db } = sources();
    const h = harness({ moodle: { sources: [volume, db] } });
    await backup(h, '1-good', 1);
    // The dead run had finished the volume (its manifest is there) but not the database.
    h.ledger.startRun({ job: '9-cut', jobId: 9, service: 'moodle', at: new Date() });
    const volumeDone = h.engine.storePartial(
      { service: 'moodle', source: 'volume:moodledata', job: '9-cut', extra: [] },
      'files v1',
    );
    h.ledger.recordManifest({
      snapshotId: volumeDone,
      service: 'moodle',
      source: 'volume:moodledata',
      job: '9-cut',
      bytes: 8,
      sha256: '0'.repeat(64),
      files: undefined,
      createdAt: new Date(),
    });
    h.engine.storePartial(
      { service: 'moodle', source: 'postgres:moodle', job: '9-cut', extra: [] },
      'dump',
    );

    const plan = await h.service.planRestore(moodle, 'latest', 'volumes', signal);
    expect(plan.job).toBe('1-good');
  });

  it('is listed as incomplete, not as a good backup', async () => {
    const { volume } = sources();
    const h = harness({ moodle: { sources: [volume] } });
    const [good] = await backup(h, '1-good', 1);
    const partial = killedMidBackup(h);

    const list = await h.service.snapshots(moodle, signal);
    expect(list.map((s) => [s.id, s.state])).toEqual([
      [partial, 'incomplete'],
      [good, 'complete'],
    ]);
  });

  it('a snapshot the bot never recorded is "unknown": not latest; restoring it by id warns', async () => {
    const { volume } = sources();
    const h = harness({ moodle: { sources: [volume] } });
    const stranger = h.engine.storePartial(
      { service: 'moodle', source: 'volume:moodledata', job: '3-elsewhere', extra: [] },
      'files',
    );

    const error = await caught(h.service.planRestore(moodle, 'latest', undefined, signal));
    expect(error.code).toBe('backup-no-complete-snapshot');
    expect(error.text('en')).toContain(stranger);
    const plan = await h.service.planRestore(moodle, stranger, undefined, signal);
    expect(plan.items.map((i) => i.state)).toEqual(['unknown']);
  });

  it('does not take the place of a good backup in retention', async () => {
    const { volume } = sources();
    const h = harness({ moodle: { sources: [volume], retention: { keepLast: 2 } } });
    const [first] = await backup(h, '1-good', 1);
    // Not known complete (this bot never recorded it): not the policy's to keep or remove.
    const stranger = h.engine.storePartial(
      { service: 'moodle', source: 'volume:moodledata', job: '3-elsewhere', extra: [] },
      'files v',
    );
    const [second] = await backup(h, '2-good', 2);

    // keepLast 2 over the complete snapshots: both good ones stay.
    expect(h.engine.stored.map((s) => s.id).sort()).toEqual([first, stranger, second].sort());
  });

  it('the next backup of the service forgets what a run cut short left, and says so', async () => {
    const { volume } = sources();
    const h = harness({ moodle: { sources: [volume] } });
    const [first] = await backup(h, '1-good', 1);
    const partial = killedMidBackup(h);
    const report = await h.service.backup(
      moodle,
      { only: undefined, tags: [], job: '2-good', jobId: 2 },
      onStep,
      signal,
    );
    expect(report.earlier).toEqual([
      { job: '9-cut', removed: [partial], left: [], error: undefined },
    ]);
    expect(h.engine.stored.map((s) => s.id)).toEqual([first, report.sources[0]?.snapshotId]);
  });

  it('is forgotten by the start-up sweep, which names it for the interrupted message; once', async () => {
    const { volume } = sources();
    const h = harness({ moodle: { sources: [volume] } });
    const [good] = await backup(h, '1-good', 1);
    const partial = killedMidBackup(h);

    const swept = await forgetPartialBackups({ engine: h.engine, ledger: h.ledger, log });
    expect(swept).toEqual([
      {
        job: '9-cut',
        jobId: 9,
        service: 'moodle',
        removed: [partial],
        left: [],
        error: undefined,
      },
    ]);
    expect(h.engine.stored.map((s) => s.id)).toEqual([good]);
    const note = partialBackupNotes(swept).get(9);
    expect(note?.en).toBe(`Its partial snapshots were removed: \`${partial}\`.`);
    expect(note?.ru).toBe(`Её неполные снимки удалены: \`${partial}\`.`);
    // Idempotent: a second start finds nothing left to do.
    expect(await forgetPartialBackups({ engine: h.engine, ledger: h.ledger, log })).toEqual([]);
  });

  it('an engine that is down: the sweep says so, keeps the run open, and the next start finishes it', async () => {
    const { volume } = sources();
    const h = harness({ moodle: { sources: [volume] } });
    await backup(h, '1-good', 1);
    const partial = killedMidBackup(h);

    h.engine.forgetError = new UserError('backup-repo-locked', {
      engine: 'restic',
      repository: '/srv/restic',
      command: 'restic unlock',
    });
    const first = await forgetPartialBackups({
      engine: h.engine,
      ledger: h.ledger,
      log,
      lockWaitMs: 0,
    });
    expect(first).toHaveLength(1);
    expect(first[0]?.left).toEqual([partial]);
    expect(first[0]?.error?.en).toMatch(/locked/i);
    expect(partialBackupNotes(first).get(9)?.en).toMatch(
      new RegExp(`\`${partial}\`\\) could not be removed: .*locked.*never restored`, 's'),
    );
    expect((await h.service.planRestore(moodle, 'latest', undefined, signal)).job).toBe('1-good');

    h.engine.forgetError = undefined;
    h.engine.listError = new Error('connection refused');
    const second = await forgetPartialBackups({ engine: h.engine, ledger: h.ledger, log });
    expect(second[0]?.error?.en).toBe('`connection refused`');

    h.engine.listError = undefined;
    const third = await forgetPartialBackups({ engine: h.engine, ledger: h.ledger, log });
    expect(third[0]?.removed).toEqual([partial]);
    expect(h.engine.stored.map((s) => s.id)).not.toContain(partial);
  });

  it("waits for the lock of the dead bot's engine, which lets go once it has saved what it read", async () => {
    const { volume } = sources();
    const h = harness({ moodle: { sources: [volume] } });
    await backup(h, '1-good', 1);
    const partial = killedMidBackup(h);
    const locked = new UserError('backup-repo-locked', {
      repository: '/srv/restic',
      holder: 'PID 4805 on vm by root',
      command: 'restic unlock',
    });
    h.engine.forgetError = locked;
    let tries = 0;
    const forget = h.engine.forget.bind(h.engine);
    h.engine.forget = (ids) => {
      tries += 1;
      if (tries === 3) h.engine.forgetError = undefined;
      return forget(ids);
    };

    const swept = await forgetPartialBackups({
      engine: h.engine,
      ledger: h.ledger,
      log,
      lockRetryMs: 1,
    });
    expect(tries).toBe(3);
    expect(swept[0]?.removed).toEqual([partial]);
    expect(swept[0]?.error).toBeUndefined();
    expect(h.ledger.run('9-cut')?.state).toBe('discarded');
  });

  it('keeps waiting past lockWaitMs while the holder still runs on this host, not for a dead one', async () => {
    const { volume } = sources();
    const h = harness({ moodle: { sources: [volume] } });
    await backup(h, '1-good', 1);
    const partial = killedMidBackup(h);
    // A live holder: a process of this host that ends when the test says so.
    const holder = spawn('sleep', ['600'], { stdio: 'ignore' });
    const lockedBy = (pid: number | undefined): UserError =>
      new UserError('backup-repo-locked', {
        repository: '/srv/restic',
        holder: `PID ${String(pid)} on ${hostname()} by root (UID 0, GID 0)`,
        command: 'restic unlock',
      });
    h.engine.forgetError = lockedBy(holder.pid);
    let tries = 0;
    const forget = h.engine.forget.bind(h.engine);
    h.engine.forget = (ids) => {
      tries += 1;
      // The holder lets go after a few tries, as the dead bot's restic does once it has saved.
      if (tries === 4) h.engine.forgetError = undefined;
      return forget(ids);
    };
    try {
      const swept = await forgetPartialBackups({
        engine: h.engine,
        ledger: h.ledger,
        log,
        lockWaitMs: 0,
        lockRetryMs: 1,
      });
      expect(tries).toBe(4);
      expect(swept[0]?.removed).toEqual([partial]);
    } finally {
      holder.kill('SIGKILL');
    }

    // A holder of this host that is gone: no waiting past lockWaitMs.
    const gone = spawn('true', [], { stdio: 'ignore' });
    await once(gone, 'exit');
    const again = killedMidBackup(h, '10-cut', 10);
    h.engine.forgetError = lockedBy(gone.pid);
    tries = 0;
    const left = await forgetPartialBackups({
      engine: h.engine,
      ledger: h.ledger,
      log,
      lockWaitMs: 0,
      lockRetryMs: 1,
    });
    // Its lock is stale: `restic unlock` (stale locks only) once, one more try, no waiting.
    expect(tries).toBe(2);
    expect(h.engine.calls.filter((c) => c === 'unlock')).toHaveLength(1);
    expect(left[0]?.left).toEqual([again]);
  });

  it('leaves alone the run of a job that is still running in another process', async () => {
    const { volume } = sources();
    const h = harness({ moodle: { sources: [volume] } });
    h.db
      .prepare(
        `INSERT INTO jobs (id, command, text, actor, room, state, created_at, owner_pid)
         VALUES (9, 'backup', 'backup moodle', 'local:root', 'terminal', 'running', ?, ?)`,
      )
      .run(new Date().toISOString(), process.pid);
    const inProgress = killedMidBackup(h);

    expect(await forgetPartialBackups({ engine: h.engine, ledger: h.ledger, log })).toEqual([]);
    expect(h.engine.stored.map((s) => s.id)).toEqual([inProgress]);
  });
});

function hooks(log: string[], failAfter: boolean): BackupHooks {
  return {
    before: () => {
      log.push('before');
      return Promise.resolve();
    },
    after: () => {
      log.push('after');
      return failAfter ? Promise.reject(new Error('maintenance off failed')) : Promise.resolve();
    },
  };
}

describe('failures after the first one are told with it', () => {
  it('a failing hook after a failed backup is in the error, next to the backup failure', async () => {
    const { volume, db } = sources();
    db.failProduce = true;
    const calls: string[] = [];
    const h = harness({ moodle: { sources: [volume, db], hooks: hooks(calls, true) } });

    const error = await caught(
      h.service.backup(moodle, { only: undefined, tags: [], job: '4' }, onStep, signal),
    );
    expect(calls).toEqual(['before', 'after']);
    for (const locale of ['en', 'ru'] as const) {
      expect(error.text(locale)).toContain('tar: exit status 2');
      expect(error.text(locale)).toContain('maintenance off failed');
    }
  });

  it('snapshots of a failed backup that cannot be forgotten: said in the error, never chosen', async () => {
    const { volume, db } = sources();
    const h = harness({ moodle: { sources: [volume, db] } });
    await backup(h, '1-good', 1);
    db.failProduce = true;
    h.engine.forgetError = new Error('repository is locked');

    const error = await caught(
      h.service.backup(moodle, { only: undefined, tags: [], job: '5-failed' }, onStep, signal),
    );
    expect(error.text('en')).toContain('tar: exit status 2');
    expect(error.text('en')).toMatch(/could not be removed: `repository is locked`/);
    expect(error.text('ru')).toMatch(/удалить не удалось: `repository is locked`/);
    expect(h.ledger.run('5-failed')?.state).toBe('left');
    expect((await h.service.planRestore(moodle, 'latest', undefined, signal)).job).toBe('1-good');
  });

  it('a scratch volume a drill could not remove fails verify and is named', async () => {
    const { volume } = sources();
    const h = harness({ moodle: { sources: [volume] } });
    await backup(h, '1-good', 1);
    h.drillTarget = () =>
      Promise.resolve({
        consume: async (input) => {
          input.resume();
          await new Promise((resolve) => input.once('end', resolve));
        },
        remove: () => Promise.reject(new Error('volume is in use')),
      });

    const report = await h.service.verify(moodle, { job: '6' }, onStep, signal);
    expect(report.ok).toBe(false);
    expect(report.cleanup).toEqual(['volume:moodledata: `volume is in use`']);
  });

  it('a long reason that is not ours keeps its end, where a program says why', async () => {
    const { volume } = sources();
    const h = harness({ moodle: { sources: [volume] } });
    await backup(h, '1-good', 1);
    const said = `the tree measure in the helper failed (1): ${'noise '.repeat(100)}disk full`;
    h.drillTarget = () =>
      Promise.resolve({
        consume: async (input) => {
          input.resume();
          await new Promise((resolve) => input.once('end', resolve));
        },
        remove: () => Promise.reject(new Error(said)),
      });

    const report = await h.service.verify(moodle, { job: '7' }, onStep, signal);
    expect(report.cleanup).toHaveLength(1);
    expect(report.cleanup[0]).toMatch(/^volume:moodledata: …`.*disk full`$/);
  });
});
