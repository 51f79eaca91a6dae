/**
 * A file-level backup runs the engine and the tree measure at once (run-backup.ts
 * backupTree): what each does when the other fails, on the fakes of test/backup/fakes.ts
 * with a tree engine and a volume site whose steps the test releases one by one.
 */
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.ts';
import type { BackupSource, TreeBackupOptions, TreeBackupResult } from '../../src/backup/types.ts';
import type { TreeMeasure, VolumeSite } from '../../src/backup/volume-access.ts';
import type { WalkOptions } from '../../src/backup/tree-walk.ts';
import { service } from '../helpers/catalog.ts';
import { FakeEngine, harness } from './fakes.ts';

const moodle = service('moodle');
const onStep = (): void => undefined;

interface Gate<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function gate<T>(): Gate<T> {
  let resolve: (value: T) => void = () => undefined;
  let reject: (error: unknown) => void = () => undefined;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Rejects with the signal's reason once it is aborted, as the real engines and walks do. */
function orAbort<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return work;
  return Promise.race([
    work,
    new Promise<never>((_, reject) => {
      const stop = (): void =>
        reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
      if (signal.aborted) stop();
      signal.addEventListener('abort', stop, { once: true });
    }),
  ]);
}

/** The fake engine with file-level backups: it stores when the test releases it. */
class TreeEngine extends FakeEngine {
  readonly started = gate<AbortSignal | undefined>();
  readonly finish = gate<undefined>();
  /** Resolved with the snapshot's id once it is stored. */
  readonly done = gate<string>();
  aborted = false;
  /** Stores its snapshot even when stopped, and says nothing of it (restic between its end and its answer). */
  storesWhenStopped = false;

  override async backupTree(options: TreeBackupOptions): Promise<TreeBackupResult> {
    this.calls.push(`backupTree ${options.tags.source}`);
    this.started.resolve(options.signal);
    options.signal?.addEventListener('abort', () => void (this.aborted = true), { once: true });
    try {
      await orAbort(this.finish.promise, options.signal);
    } catch (error) {
      if (this.storesWhenStopped) this.store(options);
      throw error;
    }
    const id = this.store(options);
    this.done.resolve(id);
    return { snapshotId: id, bytesProcessed: 3, bytesAdded: 3, filesChanged: 1 };
  }

  store(options: TreeBackupOptions): string {
    const id = `tree${this.stored.length + 1}`;
    this.stored.push({
      id,
      time: new Date('2025-01-01T00:00:00Z'),
      tags: options.tags,
      filename: '',
      kind: 'files',
      data: Buffer.alloc(0),
    });
    return id;
  }
}

/** A volume site whose measure starts and ends when the test says. */
function site(): {
  site: VolumeSite;
  measuring: Gate<AbortSignal | undefined>;
  measured: Gate<TreeMeasure>;
  closed: () => boolean;
} {
  const measuring = gate<AbortSignal | undefined>();
  const measured = gate<TreeMeasure>();
  let closed = false;
  const refuse = (): Promise<never> => Promise.reject(new Error('not in this test'));
  return {
    measuring,
    measured,
    closed: () => closed,
    site: {
      root: '/volume',
      runner: undefined,
      isEmpty: () => Promise.resolve(false),
      empty: refuse,
      removePaths: refuse,
      compare: refuse,
      measure: (options: WalkOptions) => {
        measuring.resolve(options.signal);
        return orAbort(measured.promise, options.signal);
      },
      close: () => {
        closed = true;
        return Promise.resolve();
      },
    },
  };
}

function treeSource(volume: VolumeSite): BackupSource {
  return {
    id: 'volume:moodledata',
    filename: 'volume-moodledata.tar',
    open: () => Promise.resolve(volume),
    produce: () => Promise.reject(new Error('a file-level source is not streamed')),
    consume: () => Promise.reject(new Error('a file-level source is not streamed')),
  };
}

const figures: TreeMeasure = {
  figures: { files: 1, bytes: 3, listDigest: 'a'.repeat(64), entriesDigest: 'b'.repeat(64) },
  samples: [],
};

function setup() {
  const s = site();
  const engine = new TreeEngine();
  const h = harness({ moodle: { sources: [treeSource(s.site)] } }, engine);
  const job = h.service.backup(
    moodle,
    { only: undefined, tags: [], job: '1-x' },
    onStep,
    new AbortController().signal,
  );
  // Told when the job's promise is rejected, checked by the test.
  job.catch(() => undefined);
  return { ...s, h, engine, job };
}

async function codeOf(promise: Promise<unknown>): Promise<UserError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  throw new Error('expected a UserError');
}

describe('file-level backup: the engine and the measure at once', () => {
  it('the measure starts while the engine still reads; the manifest is the measure’s', async () => {
    const { h, engine, measuring, measured, job } = setup();
    await engine.started.promise;
    // The engine has not been released: the measure is asked beside it.
    await measuring.promise;
    expect(engine.stored).toEqual([]);
    engine.finish.resolve(undefined);
    measured.resolve(figures);
    const report = await job;
    expect(report.sources[0]?.snapshotId).toBe('tree1');
    expect(h.ledger.manifest('tree1')?.sha256).toBe('a'.repeat(64));
    expect(h.ledger.run('1-x')?.state).toBe('complete');
  });

  it('a measure that fails while the engine reads stops the engine; nothing counts as a backup', async () => {
    const { h, engine, measuring, measured, job, closed } = setup();
    const engineSignal = await engine.started.promise;
    await measuring.promise;
    measured.reject(new Error('lstat d1/f1: input/output error'));
    const error = await codeOf(job);
    expect(error.code).toBe('backup-source-failed');
    expect(error.text('en')).toContain('input/output error');
    expect(engineSignal?.aborted).toBe(true);
    expect(engine.aborted).toBe(true);
    expect(engine.stored).toEqual([]);
    expect(h.ledger.run('1-x')?.state).toBe('discarded');
    expect(closed()).toBe(true);
  });

  it('an engine the failed measure stopped, which stored its snapshot unsaid: found by the job’s tag and forgotten', async () => {
    const { h, engine, measuring, measured, job } = setup();
    engine.storesWhenStopped = true;
    await engine.started.promise;
    await measuring.promise;
    measured.reject(new Error('lstat d1/f1: input/output error'));
    expect((await codeOf(job)).code).toBe('backup-source-failed');
    expect(engine.calls).toContain('forget tree1');
    expect(engine.stored).toEqual([]);
    expect(h.ledger.run('1-x')?.state).toBe('discarded');
  });

  it('a measure that fails after the engine stored its snapshot: that snapshot is forgotten', async () => {
    const { h, engine, measuring, measured, job } = setup();
    await engine.started.promise;
    await measuring.promise;
    engine.finish.resolve(undefined);
    // The engine's snapshot is stored before the measure fails.
    expect(await engine.done.promise).toBe('tree1');
    measured.reject(new Error('sample d1/f1: permission denied'));
    expect((await codeOf(job)).code).toBe('backup-source-failed');
    expect(engine.calls).toContain('forget tree1');
    expect(engine.stored).toEqual([]);
    expect(h.ledger.run('1-x')?.state).toBe('discarded');
  });

  it('an engine that fails stops the measure, and its failure is the one told', async () => {
    const { h, engine, measuring, job } = setup();
    await engine.started.promise;
    const measureSignal = await measuring.promise;
    engine.finish.reject(new UserError('backup-repo-locked', { repository: '/srv/repo' }));
    expect((await codeOf(job)).code).toBe('backup-repo-locked');
    expect(measureSignal?.aborted).toBe(true);
    expect(h.ledger.run('1-x')?.state).toBe('discarded');
  });
});
