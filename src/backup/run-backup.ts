/**
 * One backup of a service: hooks before; per source produce → measure → engine; manifests
 * recorded; the run marked complete; retention; hooks after, always. A job is all or
 * nothing: when one source fails, the snapshots this job already made are forgotten too, so
 * that no half set is restored, and only a run marked complete counts as a backup.
 */
import { pipeline } from 'node:stream/promises';
import {
  sourceKind,
  type BackupReport,
  type BackupStep,
  type BackupStepReporter,
  type SourceBackupReport,
} from '../core/backup.ts';
import { UserError } from '../core/errors.ts';
import type { Text } from '../core/i18n.ts';
import { withFurtherFailures } from './failures.ts';
import { ManifestMeter } from './manifest.ts';
import { codeName, maxShownChars } from './printable-name.ts';
import type { BackupHooks, Orchestra } from './plan.ts';
import { reasonTexts } from './reason.ts';
import { retentionRemoves } from './retention.ts';
import { forgetPartialBackups, type SweptRun } from './sweep-partial.ts';
import type { BackupSource, RetentionPolicy } from './types.ts';
import type { VolumeSite } from './volume-access.ts';

export interface BackupRun {
  readonly service: string;
  readonly sources: readonly BackupSource[];
  readonly job: string;
  /** The job's number in the jobs table: a run cut short is found by it at the next start. */
  readonly jobId: number | undefined;
  /** Free tags; `safety` for the backup a restore takes first. */
  readonly extra: readonly string[];
  readonly retention: RetentionPolicy | undefined;
  readonly hooks: BackupHooks | undefined;
  readonly onStep: BackupStepReporter;
  readonly signal: AbortSignal;
  /** The share of a bigger run's progress this backup fills (restore: its safety backup). */
  readonly span?: readonly [number, number];
  /** Recorded as the service's last successful backup (not for a safety backup). */
  readonly recordSuccess: boolean;
  /**
   * Told once the run is complete: the job's point of no return (context-commit.ts), so that
   * a cancel after it does not report a good backup as cancelled. Not for a safety backup,
   * whose restore can still stop.
   */
  readonly commit?: () => void;
}

/** What the engine stored for one run, for `discardRun` when the run fails. */
interface Stored {
  /** The snapshots it reported. */
  readonly ids: string[];
  /**
   * Whether it may hold one it did not report: an engine stopped by the run itself (its tree
   * measure failed), not by the job's cancel, which is swept by the job's tag anyway.
   */
  unsure: boolean;
}

/** Turns what a step reports inside [0, 1] into the span of the whole run. */
function scaled(run: BackupRun): BackupStepReporter {
  const [from, to] = run.span ?? [0, 1];
  return (step: BackupStep) =>
    run.onStep({ ...step, fraction: from + (to - from) * step.fraction });
}

function reasonOf(error: unknown): string {
  if (error instanceof UserError) return error.text('en');
  // Not ours (a system error may name a path from the volume): one line, as code; its end
  // when long, where a program says why.
  const message = error instanceof Error ? error.message : String(error);
  return codeName(message, maxShownChars, { keep: 'tail' });
}

export async function runBackup(o: Orchestra, run: BackupRun): Promise<BackupReport> {
  const started = o.now().getTime();
  const step = scaled(run);
  const made: SourceBackupReport[] = [];
  // What the engine stored for this run, as soon as it is stored: a source that fails after
  // its engine succeeded (the tree measure) must not leave that snapshot behind.
  const stored: Stored = { ids: [], unsure: false };
  let failure: { readonly error: unknown } | undefined;
  // What failed after the first failure: told with it, never instead of it nor dropped.
  const further: unknown[] = [];
  let removed: string[] = [];
  let retentionError: Text | undefined;
  let earlier: SweptRun[] = [];
  // Before the engine stores anything: if this process dies, the next start finds the run
  // still open and forgets what it stored (sweep-partial.ts).
  o.ledger.startRun({ job: run.job, jobId: run.jobId, service: run.service, at: o.now() });
  try {
    step({ fraction: 0, phase: 'hooks-before' });
    await run.hooks?.before(run.signal);
    const share = 0.85 / Math.max(1, run.sources.length);
    for (const [index, source] of run.sources.entries()) {
      const base = 0.05 + index * share;
      made.push(
        await backupSource(o, run, source, stored, (p) =>
          step({ ...p, fraction: base + share * p.fraction }),
        ),
      );
    }
    // Every source is stored whole: from here on the set is a good backup, whatever happens
    // to retention or to the hook after.
    o.ledger.completeRun(run.job, o.now());
    // Recorded at once: whatever a cancel or a failure does to what follows, this backup is
    // the service's latest good one (backup-status must not show the one before).
    if (run.recordSuccess) o.ledger.recordSuccess(run.service, 'backup', run.job, o.now());
    run.commit?.();
    // What an earlier run of this service cut short left: forgotten here too, for a bot run
    // only as one-shot commands (no `pes serve` start to sweep it).
    earlier = await forgetPartialBackups(
      o,
      run.signal,
      (r) => r.service === run.service && r.job !== run.job,
    );
    if (run.retention !== undefined) {
      step({ fraction: 0.9, phase: 'retention' });
      try {
        removed = await applyRetention(o, run, run.retention);
      } catch (error) {
        // The backup is made and stays; only the old snapshots were not thinned out. A
        // cancel here stops the thinning only: the backup is told as made, retention as cut
        // short (a safety backup's cancel is its restore's, and still ends the restore).
        if (run.signal.aborted && run.commit === undefined) throw error;
        retentionError = run.signal.aborted
          ? reasonTexts(new UserError('backup-retention-cut-short', { service: run.service }))
          : reasonTexts(error);
        o.log.warn('retention failed', { service: run.service, error });
      }
    }
  } catch (error) {
    failure = { error };
    if (o.ledger.run(run.job)?.state !== 'complete') {
      const left = await discardRun(o, run, made, stored, error);
      if (left !== undefined) further.push(left);
    }
  } finally {
    step({ fraction: 0.97, phase: 'hooks-after' });
    try {
      // Always: a hook before may have switched maintenance mode on even when it failed.
      await run.hooks?.after(run.signal);
    } catch (error) {
      o.log.error('backup hook after failed', { service: run.service, error });
      const hookError = new UserError('backup-hook-failed', {
        service: run.service,
        reason: reasonOf(error),
      });
      if (failure === undefined) failure = { error: hookError };
      else further.push(hookError);
    }
  }
  if (failure !== undefined) {
    throw withFurtherFailures(
      failure.error,
      further,
      run.signal.aborted ? (run.signal.reason as unknown) : failure.error,
    );
  }
  return {
    service: run.service,
    job: run.job,
    sources: made,
    removed,
    retentionError,
    earlier: earlier.map((r) => ({ job: r.job, removed: r.removed, left: r.left, error: r.error })),
    durationMs: o.now().getTime() - started,
  };
}

async function backupSource(
  o: Orchestra,
  run: BackupRun,
  source: BackupSource,
  stored: Stored,
  onStep: BackupStepReporter,
): Promise<SourceBackupReport> {
  const started = o.now().getTime();
  onStep({ fraction: 0, phase: 'backup', source: source.id });
  const site = await source.open?.('read', run.signal);
  if (site !== undefined) {
    try {
      // An empty volume goes as a (nearly empty) tar: restic 0.14 refuses to save a snapshot
      // of no files at all ("snapshot is empty").
      if (!(await site.isEmpty(run.signal))) {
        return await backupTree(o, run, source, site, stored, onStep);
      }
    } catch (error) {
      throw sourceError(run, source, error);
    } finally {
      await site.close();
    }
  }
  const produced = await source.produce(run.signal);
  const meter = new ManifestMeter({ tar: sourceKind(source.id) === 'volume' });
  // A stream that broke off is as bad as a producer that failed: either way the engine must
  // drop what it stored (restic makes a snapshot of whatever came, docs/FIELD-NOTES.md "restic").
  const piped = pipeline(produced.stream, meter);
  const producer = Promise.all([produced.done, piped]).then(() => undefined);
  let result;
  try {
    result = await o.engine.backup(meter, {
      filename: source.filename,
      tags: { service: run.service, source: source.id, job: run.job, extra: run.extra },
      producer,
      signal: run.signal,
      onProgress: (p) =>
        onStep({
          fraction: p.fraction ?? 0,
          phase: 'backup',
          source: source.id,
          bytesDone: p.bytesDone,
          ...(p.bytesTotal === undefined ? {} : { bytesTotal: p.bytesTotal }),
          ...(p.etaSeconds === undefined ? {} : { etaSeconds: p.etaSeconds }),
        }),
    });
    stored.ids.push(result.snapshotId);
    await producer;
  } catch (error) {
    meter.destroy();
    produced.stream.destroy();
    await producer.catch(() => undefined);
    throw sourceError(run, source, error);
  }
  const manifest = meter.manifest();
  if (result.bytesProcessed !== manifest.bytes) {
    o.log.warn('engine and manifest disagree on the size', {
      source: source.id,
      engine: result.bytesProcessed,
      manifest: manifest.bytes,
    });
  }
  o.ledger.recordManifest({
    snapshotId: result.snapshotId,
    service: run.service,
    source: source.id,
    job: run.job,
    ...manifest,
    createdAt: o.now(),
  });
  onStep({ fraction: 1, phase: 'backup', source: source.id, bytesDone: manifest.bytes });
  return {
    source: source.id,
    snapshotId: result.snapshotId,
    bytesAdded: result.bytesAdded,
    durationMs: o.now().getTime() - started,
    ...manifest,
  };
}

/**
 * How much older than the backup's start a file must be to be a drill's sample. A file's time
 * comes from the kernel's coarse clock, which lags the real one by up to a tick (a file
 * written just after the start can look older than it), and on a cluster from the node's
 * clock, not the bot's. A file written during the backup must never be a sample: the engine
 * may hold another content than its digest, and the drill would fail for nothing.
 */
const sampleMarginMs = 60_000;

/**
 * A file-level backup: the engine reads the volume's files itself (and skips those its cache
 * knows unchanged) while the bot measures the tree for the manifest (tree-walk.ts). The two
 * run at once: the measure reads what the engine reads (the listing, a few samples), and on
 * a claim or through a helper it is a process of its own, so in sequence it added its whole
 * time to every backup (`npm run bench:claims`). Measuring after the engine was no more
 * exact: a file written during the backup differs from the snapshot either way, and is
 * never a sample (sampleMarginMs).
 */
async function backupTree(
  o: Orchestra,
  run: BackupRun,
  source: BackupSource,
  site: VolumeSite,
  stored: Stored,
  onStep: BackupStepReporter,
): Promise<SourceBackupReport> {
  const started = o.now();
  const tags = { service: run.service, source: source.id, job: run.job, extra: run.extra };
  // One fails, the other stops: the engine then forgets what it stored, as on a cancel.
  const both = new AbortController();
  const cancel = (): void => both.abort(run.signal.reason);
  if (run.signal.aborted) cancel();
  run.signal.addEventListener('abort', cancel, { once: true });
  let engineSettled = false;
  const engineRun = o.engine
    .backupTree({
      directory: site.root,
      ...(site.runner === undefined ? {} : { runner: site.runner }),
      tags,
      signal: both.signal,
      onProgress: (p) =>
        onStep({
          fraction: p.fraction ?? 0,
          phase: 'backup',
          source: source.id,
          bytesDone: p.bytesDone,
          ...(p.bytesTotal === undefined ? {} : { bytesTotal: p.bytesTotal }),
          ...(p.etaSeconds === undefined ? {} : { etaSeconds: p.etaSeconds }),
        }),
    })
    .then((made) => {
      stored.ids.push(made.snapshotId);
      return made;
    })
    .finally(() => {
      engineSettled = true;
    });
  const measureRun = site.measure({
    samplesBefore: new Date(started.getTime() - sampleMarginMs),
    signal: both.signal,
  });
  let result;
  let measured;
  try {
    [result, measured] = await Promise.all([engineRun, measureRun]);
  } catch (error) {
    // The first failure is the one told; the other run is stopped and waited for, so that
    // no engine process or helper outlives the job.
    const stoppingEngine = !engineSettled && !run.signal.aborted;
    both.abort(error);
    const [engine] = await Promise.allSettled([engineRun, measureRun]);
    // Stopped by the measure's failure, the engine could not forget what it had stored:
    // that is what the admin must act on (and the run stays open for the start-up sweep).
    const left =
      engine.status === 'rejected' &&
      engine.reason instanceof UserError &&
      engine.reason.code === 'backup-partial-left'
        ? engine.reason
        : undefined;
    if (left !== undefined && left !== error) {
      o.log.error('tree measure failed', { service: run.service, source: source.id, error });
    }
    // An engine this run stopped (not the job's cancel) may have stored its snapshot just
    // before, or failed to forget it and said nothing: the job's tag finds what is left.
    if (stoppingEngine && left === undefined) stored.unsure = true;
    throw sourceError(run, source, left ?? error);
  } finally {
    run.signal.removeEventListener('abort', cancel);
  }
  const manifest = {
    bytes: measured.figures.bytes,
    sha256: measured.figures.listDigest,
    files: measured.figures.files,
    kind: 'files' as const,
    samples: measured.samples,
  };
  o.ledger.recordManifest({
    snapshotId: result.snapshotId,
    service: run.service,
    source: source.id,
    job: run.job,
    ...manifest,
    createdAt: o.now(),
  });
  onStep({ fraction: 1, phase: 'backup', source: source.id, bytesDone: manifest.bytes });
  return {
    source: source.id,
    snapshotId: result.snapshotId,
    bytesAdded: result.bytesAdded,
    filesChanged: result.filesChanged,
    durationMs: o.now().getTime() - started.getTime(),
    ...manifest,
  };
}

/** A UserError (locked repository, wrong password…) is shown as is; anything else is named. */
function sourceError(run: BackupRun, source: BackupSource, error: unknown): unknown {
  if (error instanceof UserError || run.signal.aborted) return error;
  return new UserError(
    'backup-source-failed',
    { service: run.service, source: source.id, reason: reasonOf(error) },
    { cause: error },
  );
}

/**
 * Forgets everything a failed run stored: the snapshots it made, and any the engine could
 * not remove itself (found by the job tag). Not with the job's signal: a cancelled job must
 * still not leave half a set behind. Returns the failure to tell, and keeps the run open
 * (`left`) so that the next start tries again; its snapshots are never chosen meanwhile.
 */
async function discardRun(
  o: Orchestra,
  run: BackupRun,
  made: readonly SourceBackupReport[],
  stored: Stored,
  failure: unknown,
): Promise<UserError | undefined> {
  const ids = new Set([...made.map((m) => m.snapshotId), ...stored.ids]);
  // Nothing finished, not cancelled and no engine stopped by the run itself: the engine has
  // removed what the failed source stored, or said it could not (backup-partial-left), which
  // the failure tells already.
  // No further call then, so that a repository that is locked or down is told once.
  // A repository that stopped answering is not asked again (it may hang again): what this
  // run stored there, perhaps even a snapshot whose answer was lost, stays for the start-up
  // sweep, and is never chosen meanwhile.
  const unreachable = failure instanceof UserError && failure.code === 'backup-repo-unreachable';
  if ((ids.size === 0 && !run.signal.aborted && !stored.unsure) || unreachable) {
    const left =
      failure instanceof UserError &&
      (failure.code === 'backup-partial-left' ||
        failure.code === 'backup-also-failed' ||
        unreachable);
    o.ledger.closeRun(
      run.job,
      left ? 'left' : 'discarded',
      left ? failure.message : undefined,
      o.now(),
    );
    return undefined;
  }
  try {
    for (const s of await o.engine.list(run.service)) {
      if (s.tags.job === run.job && s.tags.service === run.service) ids.add(s.id);
    }
    await o.engine.forget([...ids]);
    o.ledger.forgetManifests([...ids]);
    o.ledger.closeRun(run.job, 'discarded', undefined, o.now());
    return undefined;
  } catch (error) {
    o.log.error('could not forget the snapshots of a failed backup', {
      service: run.service,
      job: run.job,
      ids: [...ids],
      error,
    });
    o.ledger.closeRun(run.job, 'left', reasonOf(error), o.now());
    return new UserError('backup-cleanup-failed', {
      service: run.service,
      job: run.job,
      ids: ids.size === 0 ? '?' : [...ids].join(', '),
      reason: reasonOf(error),
    });
  }
}

/** Per source, over the snapshots known complete only (retention.ts says why). */
async function applyRetention(
  o: Orchestra,
  run: BackupRun,
  policy: RetentionPolicy,
): Promise<string[]> {
  const listed = await o.engine.list(run.service, run.signal);
  const removed: string[] = [];
  for (const source of run.sources) {
    const complete = listed.filter(
      (s) =>
        s.tags.service === run.service &&
        s.tags.source === source.id &&
        o.ledger.snapshotState(s.id, s.tags.job) === 'complete',
    );
    removed.push(...retentionRemoves(complete, policy, o.engine.name));
  }
  if (removed.length > 0) {
    await o.engine.forget(removed, run.signal);
    o.ledger.forgetManifests(removed);
  }
  return removed;
}
