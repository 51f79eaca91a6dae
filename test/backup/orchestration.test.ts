/** backup / restore / verify on fakes of the engine, the sources and the platform. */
import { describe, expect, it } from 'vitest';
import type { BackupStep } from '../../src/core/backup.ts';
import { UserError } from '../../src/core/errors.ts';
import type { BackupHooks } from '../../src/backup/plan.ts';
import { service } from '../helpers/catalog.ts';
import { FakeSource, harness } from './fakes.ts';

const moodle = service('moodle');
const keycloak = service('keycloak');
const signal = new AbortController().signal;
const steps: BackupStep[] = [];
const onStep = (step: BackupStep): void => void steps.push(step);

function sources(): { volume: FakeSource; db: FakeSource } {
  return {
    volume: new FakeSource('volume:moodledata', 'files v1'),
    db: new FakeSource('postgres:moodle', 'dump v1'),
  };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof UserError) return error.code;
    throw error;
  }
  throw new Error('expected a UserError');
}

function recordingHooks(log: string[], failBefore = false): BackupHooks {
  return {
    before: () => {
      log.push('before');
      return failBefore ? Promise.reject(new Error('maintenance on failed')) : Promise.resolve();
    },
    after: () => {
      log.push('after');
      return Promise.resolve();
    },
  };
}

describe('backup orchestration', () => {
  it('backs up each source with service, source and job tags and records its manifest', async () => {
    const { volume, db } = sources();
    const h = harness({ moodle: { sources: [volume, db] } });
    const report = await h.service.backup(
      moodle,
      { only: undefined, tags: ['pre-upgrade'], job: '7-x' },
      onStep,
      signal,
    );

    expect(report.sources.map((s) => s.source)).toEqual(['volume:moodledata', 'postgres:moodle']);
    expect(h.engine.stored.map((s) => s.tags)).toEqual([
      { service: 'moodle', source: 'volume:moodledata', job: '7-x', extra: ['pre-upgrade'] },
      { service: 'moodle', source: 'postgres:moodle', job: '7-x', extra: ['pre-upgrade'] },
    ]);
    const manifest = h.ledger.manifest(report.sources[1]?.snapshotId ?? '');
    expect(manifest).toMatchObject({
      service: 'moodle',
      source: 'postgres:moodle',
      job: '7-x',
      bytes: 7,
    });
    expect(manifest?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(h.ledger.lastSuccess('moodle').backup?.job).toBe('7-x');
  });

  it('--only databases backs up the databases alone', async () => {
    const { volume, db } = sources();
    const h = harness({ moodle: { sources: [volume, db] } });
    await h.service.backup(moodle, { only: 'databases', tags: [], job: '1' }, onStep, signal);
    expect(h.engine.stored.map((s) => s.tags.source)).toEqual(['postgres:moodle']);
  });

  it('a failing producer fails the backup, leaves no snapshot of the job, and the hook after runs', async () => {
    const { volume, db } = sources();
    db.failProduce = true;
    const hooks: string[] = [];
    const h = harness({ moodle: { sources: [volume, db], hooks: recordingHooks(hooks) } });

    expect(
      await codeOf(
        h.service.backup(moodle, { only: undefined, tags: [], job: '2' }, onStep, signal),
      ),
    ).toBe('backup-source-failed');
    expect(h.engine.stored).toEqual([]);
    expect(h.ledger.manifests('moodle')).toEqual([]);
    expect(hooks).toEqual(['before', 'after']);
    expect(h.ledger.lastSuccess('moodle').backup).toBeUndefined();
  });

  it('runs the hook after even when the hook before failed', async () => {
    const hooks: string[] = [];
    const h = harness({
      moodle: { sources: [sources().volume], hooks: recordingHooks(hooks, true) },
    });
    await expect(
      h.service.backup(moodle, { only: undefined, tags: [], job: '3' }, onStep, signal),
    ).rejects.toThrow('maintenance on failed');
    expect(hooks).toEqual(['before', 'after']);
    expect(h.engine.stored).toEqual([]);
  });

  it('applies the retention policy after the backup, per source, and forgets removed manifests', async () => {
    const { volume } = sources();
    const h = harness({ moodle: { sources: [volume], retention: { keepLast: 2 } } });
    const ids: string[] = [];
    for (const job of ['1', '2', '3']) {
      const report = await h.service.backup(
        moodle,
        { only: undefined, tags: [], job },
        onStep,
        signal,
      );
      ids.push(report.sources[0]?.snapshotId ?? '');
    }
    // Decided by the bot (src/backup/retention.ts) and carried out by id.
    expect(h.engine.calls.filter((c) => c.startsWith('forget') || c.startsWith('backup'))).toEqual([
      'backup volume:moodledata',
      'backup volume:moodledata',
      'backup volume:moodledata',
      `forget ${ids[0] ?? ''}`,
    ]);
    expect(h.engine.stored.map((s) => s.id)).toEqual(ids.slice(1));
    expect(h.ledger.manifest(ids[0] ?? '')).toBeUndefined();
  });
});

describe('restore orchestration', () => {
  it('backup → change → restore gives back the data, after a safety backup of the changed state', async () => {
    const { volume, db } = sources();
    const h = harness({ moodle: { sources: [volume, db] } });
    const backup = await h.service.backup(
      moodle,
      { only: undefined, tags: [], job: '1' },
      onStep,
      signal,
    );
    volume.data = Buffer.from('files v2');
    db.data = Buffer.from('dump v2');

    const plan = await h.service.planRestore(moodle, 'latest', undefined, signal);
    expect(plan.items.map((i) => [i.source, i.snapshotId])).toEqual(
      backup.sources.map((s) => [s.source, s.snapshotId]),
    );
    const report = await h.service.restore(moodle, plan, { job: '2' }, onStep, signal);

    expect(volume.data.toString()).toBe('files v1');
    expect(db.data.toString()).toBe('dump v1');
    expect(h.control.calls).toEqual(['stop moodle', 'start moodle', 'wait moodle']);
    const safety = h.engine.stored.filter((s) => s.tags.extra.includes('safety'));
    expect(safety.map((s) => s.data.toString())).toEqual(['files v2', 'dump v2']);
    expect(report.safetySnapshot).toBe(safety[0]?.id);

    // The safety snapshot returns to the state before the restore; `latest` ignores it.
    const back = await h.service.planRestore(
      moodle,
      report.safetySnapshot ?? '',
      undefined,
      signal,
    );
    await h.service.restore(moodle, back, { job: '3' }, onStep, signal);
    expect(volume.data.toString()).toBe('files v2');
    expect((await h.service.planRestore(moodle, 'latest', undefined, signal)).job).toBe('1');
  });

  it('a restore that fails after the stop starts the service again and names the safety snapshot', async () => {
    const { volume, db } = sources();
    const h = harness({ moodle: { sources: [volume, db] } });
    await h.service.backup(moodle, { only: undefined, tags: [], job: '1' }, onStep, signal);
    db.failConsume = true;
    const plan = await h.service.planRestore(moodle, 'latest', undefined, signal);

    const error = await h.service
      .restore(moodle, plan, { job: '2' }, onStep, signal)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    const safety = h.engine.stored.find(
      (s) => s.tags.extra.includes('safety') && s.tags.job === '2',
    );
    expect((error as UserError).code).toBe('backup-restore-failed');
    expect((error as UserError).hint('en')).toBe(
      `To return to the state before the restore: restore moodle ${safety?.id ?? '?'}`,
    );
    expect((error as UserError).text('en')).toContain('tar: cannot write');
    expect(h.control.calls).toEqual(['stop moodle', 'start moodle']);
  });

  it('says so when the service cannot be started again either', async () => {
    const { volume } = sources();
    const h = harness({ moodle: { sources: [volume] } });
    await h.service.backup(moodle, { only: undefined, tags: [], job: '1' }, onStep, signal);
    volume.failConsume = true;
    h.control.failStart = true;
    const plan = await h.service.planRestore(moodle, 'latest', undefined, signal);
    expect(await codeOf(h.service.restore(moodle, plan, { job: '2' }, onStep, signal))).toBe(
      'backup-restore-failed-down',
    );
  });

  it('refuses ../../etc, an unknown id and a snapshot of another service before touching anything', async () => {
    const { volume } = sources();
    const other = new FakeSource('volume:keycloak-data', 'kc');
    const h = harness({ moodle: { sources: [volume] }, keycloak: { sources: [other] } });
    const kc = await h.service.backup(
      keycloak,
      { only: undefined, tags: [], job: '1' },
      onStep,
      signal,
    );
    await h.service.backup(moodle, { only: undefined, tags: [], job: '2' }, onStep, signal);
    const before = h.engine.calls.length;

    expect(await codeOf(h.service.planRestore(moodle, '../../etc', undefined, signal))).toBe(
      'backup-snapshot-invalid',
    );
    expect(await codeOf(h.service.planRestore(moodle, 'deadbeef', undefined, signal))).toBe(
      'backup-snapshot-unknown',
    );
    const kcId = kc.sources[0]?.snapshotId ?? '';
    expect(await codeOf(h.service.planRestore(moodle, kcId, undefined, signal))).toBe(
      'backup-snapshot-other-service',
    );
    // A plan made for another service's snapshot is refused by restore itself too.
    const forged = { service: 'moodle', ref: kcId, job: '1', items: [], untouched: [] };
    expect(await codeOf(h.service.restore(moodle, forged, { job: '3' }, onStep, signal))).toBe(
      'backup-snapshot-other-service',
    );

    expect(h.engine.calls.slice(before)).toEqual([]);
    expect(h.control.calls).toEqual([]);
    expect(volume.consumed).toBe(0);
  });

  it('a failed safety backup leaves the service running and untouched', async () => {
    const { volume } = sources();
    const h = harness({ moodle: { sources: [volume] } });
    await h.service.backup(moodle, { only: undefined, tags: [], job: '1' }, onStep, signal);
    const plan = await h.service.planRestore(moodle, 'latest', undefined, signal);
    volume.failProduce = true;
    expect(await codeOf(h.service.restore(moodle, plan, { job: '2' }, onStep, signal))).toBe(
      'backup-safety-failed',
    );
    expect(h.control.calls).toEqual([]);
    expect(volume.consumed).toBe(0);
  });
});

describe('verify orchestration', () => {
  it('passes a sound snapshot and records the drill', async () => {
    const { volume, db } = sources();
    const h = harness({ moodle: { sources: [volume, db] } });
    await h.service.backup(moodle, { only: undefined, tags: [], job: '1' }, onStep, signal);
    const report = await h.service.verify(moodle, { job: '2' }, onStep, signal);
    expect(report.ok).toBe(true);
    expect(report.drills.map((d) => d.ok)).toEqual([true, true]);
    expect(h.engine.calls).toContain('check 10%');
    expect(h.ledger.lastSuccess('moodle').drill?.job).toBe('2');
    expect(h.ledger.manifests('moodle').every((m) => m.verifyOk === true)).toBe(true);
  });

  it('detects a corrupted snapshot and records the failure', async () => {
    const { volume, db } = sources();
    const h = harness({ moodle: { sources: [volume, db] } });
    const backup = await h.service.backup(
      moodle,
      { only: undefined, tags: [], job: '1' },
      onStep,
      signal,
    );
    const dbSnapshot = backup.sources[1]?.snapshotId ?? '';
    h.engine.corrupt(dbSnapshot);

    const report = await h.service.verify(moodle, { job: '2' }, onStep, signal);
    expect(report.ok).toBe(false);
    const failed = report.drills.find((d) => !d.ok);
    expect(failed).toMatchObject({ source: 'postgres:moodle', problem: 'mismatch' });
    expect(failed?.reason).toContain('sha256');
    expect(h.ledger.manifest(dbSnapshot)).toMatchObject({ verifyOk: false });
    expect(h.ledger.lastSuccess('moodle').drill).toBeUndefined();
  });

  it('a failed repository check fails the verification but the drills still run', async () => {
    const { volume } = sources();
    const h = harness({ moodle: { sources: [volume] } });
    await h.service.backup(moodle, { only: undefined, tags: [], job: '1' }, onStep, signal);
    h.engine.checkError = new Error('pack 3a1b… is damaged');
    const report = await h.service.verify(moodle, { job: '2' }, onStep, signal);
    expect(report).toMatchObject({
      ok: false,
      checkError: { ru: '`pack 3a1b… is damaged`', en: '`pack 3a1b… is damaged`' },
    });
    expect(report.drills.map((d) => d.ok)).toEqual([true]);
  });
});
