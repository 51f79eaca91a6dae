/**
 * One backup of a service: hooks before; per source produce → measure → engine; manifests
 * recorded; retention; hooks after, always. A job is all or nothing: when one source fails,
 * the snapshots this job already made are forgotten too, so that no half set is restored.
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
import { ManifestMeter } from './manifest.ts';
import type { BackupHooks, Orchestra } from './plan.ts';
import type { BackupSource, RetentionPolicy } from './types.ts';

export interface BackupRun {
  readonly service: string;
  readonly sources: readonly BackupSource[];
  readonly job: string;
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
}

/** Turns what a step reports inside [0, 1] into the span of the whole run. */
function scaled(run: BackupRun): BackupStepReporter {
  const [from, to] = run.span ?? [0, 1];
  return (step: BackupStep) =>
    run.onStep({ ...step, fraction: from + (to - from) * step.fraction });
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function runBackup(o: Orchestra, run: BackupRun): Promise<BackupReport> {
  const started = o.now().getTime();
  const step = scaled(run);
  const made: SourceBackupReport[] = [];
  let failure: { readonly error: unknown } | undefined;
  let removed: string[] = [];
  let retentionError: string | undefined;
  try {
    step({ fraction: 0, phase: 'hooks-before' });
    await run.hooks?.before(run.signal);
    const share = 0.85 / Math.max(1, run.sources.length);
    for (const [index, source] of run.sources.entries()) {
      const base = 0.05 + index * share;
      made.push(
        await backupSource(o, run, source, (p) =>
          step({ ...p, fraction: base + share * p.fraction }),
        ),
      );
    }
    if (run.retention !== undefined) {
      step({ fraction: 0.9, phase: 'retention' });
      try {
        removed = await applyRetention(o, run, run.retention);
      } catch (error) {
        // The backup is made and stays; only the old snapshots were not thinned out.
        if (run.signal.aborted) throw error;
        retentionError = reasonOf(error);
        o.log.warn('retention failed', { service: run.service, error });
      }
    }
  } catch (error) {
    failure = { error };
    await forgetPartialJob(o, run, made);
  } finally {
    step({ fraction: 0.97, phase: 'hooks-after' });
    try {
      // Always: a hook before may have switched maintenance mode on even when it failed.
      await run.hooks?.after(run.signal);
    } catch (error) {
      o.log.error('backup hook after failed', { service: run.service, error });
      failure ??= {
        error: new UserError('backup-hook-failed', {
          service: run.service,
          reason: reasonOf(error),
        }),
      };
    }
  }
  if (failure !== undefined) throw failure.error;
  if (run.recordSuccess) o.ledger.recordSuccess(run.service, 'backup', run.job, o.now());
  return {
    service: run.service,
    job: run.job,
    sources: made,
    removed,
    retentionError,
    durationMs: o.now().getTime() - started,
  };
}

async function backupSource(
  o: Orchestra,
  run: BackupRun,
  source: BackupSource,
  onStep: BackupStepReporter,
): Promise<SourceBackupReport> {
  const started = o.now().getTime();
  onStep({ fraction: 0, phase: 'backup', source: source.id });
  const produced = await source.produce(run.signal);
  const meter = new ManifestMeter({ tar: sourceKind(source.id) === 'volume' });
  // A stream that broke off is as bad as a producer that failed: either way the engine must
  // drop what it stored (restic makes a snapshot of whatever came, FIELD-NOTES "restic").
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

/** A UserError (locked repository, wrong password…) is shown as is; anything else is named. */
function sourceError(run: BackupRun, source: BackupSource, error: unknown): unknown {
  if (error instanceof UserError || run.signal.aborted) return error;
  return new UserError(
    'backup-source-failed',
    { service: run.service, source: source.id, reason: reasonOf(error) },
    { cause: error },
  );
}

async function forgetPartialJob(
  o: Orchestra,
  run: BackupRun,
  made: readonly SourceBackupReport[],
): Promise<void> {
  if (made.length === 0) return;
  const ids = made.map((m) => m.snapshotId);
  try {
    // Not with the job's signal: a cancelled job must still not leave half a set behind.
    await o.engine.forget(ids);
    o.ledger.forgetManifests(ids);
  } catch (error) {
    o.log.error('could not forget the snapshots of a failed backup', { ids, error });
  }
}

async function applyRetention(
  o: Orchestra,
  run: BackupRun,
  policy: RetentionPolicy,
): Promise<string[]> {
  const removed: string[] = [];
  for (const source of run.sources) {
    const result = await o.engine.applyRetention(run.service, source.id, policy, run.signal);
    removed.push(...result.removed);
  }
  o.ledger.forgetManifests(removed);
  return removed;
}
