/**
 * A restore: a safety backup of what is there now; stop; each source emptied and filled from
 * its snapshot; start; wait until healthy. A database in a cluster service's own workload is
 * restored before the stop, since scaling the workload to 0 takes its pod down; so is, on
 * Docker, a database or command that runs in one of the service's own containers, since a
 * stopped container runs no exec. A failure or a cancel there leaves the service running.
 * Once the service is stopped, any failure starts it again. Either way the error names the
 * safety snapshot that returns to the state before.
 */
import {
  safetyTag,
  sourceKind,
  type BackupStepReporter,
  type RestoreReport,
} from '../core/backup.ts';
import type { ServiceDefinition } from '../core/catalog.ts';
import { trimStop, UserError } from '../core/errors.ts';
import { compareManifests } from './manifest.ts';
import { execContainers, isOneOf } from './own-containers.ts';
import type { BackupHooks, Orchestra, ServiceControl } from './plan.ts';
import { pumpSnapshot } from './pump.ts';
import { restoreFiles } from './restore-files.ts';
import { runBackup } from './run-backup.ts';
import type { SelectedRestore } from './select.ts';
import type { BackupSource } from './types.ts';
import type { VolumeSite } from './volume-access.ts';
import { codeName, maxShownChars } from './printable-name.ts';

export interface RestoreRun {
  readonly service: ServiceDefinition;
  readonly selected: SelectedRestore;
  readonly sources: readonly BackupSource[];
  readonly hooks: BackupHooks | undefined;
  readonly job: string;
  readonly jobId: number | undefined;
  readonly onStep: BackupStepReporter;
  readonly signal: AbortSignal;
  /** Only these paths of the (one, file-level) volume snapshot; everything when absent. */
  readonly paths?: readonly string[];
}

/** Why a step failed, for a template that ends the sentence itself ("…: {reasonEn}. …"). */
function reasons(error: unknown): { reasonRu: string; reasonEn: string } {
  if (error instanceof UserError) {
    return { reasonRu: trimStop(error.text('ru')), reasonEn: trimStop(error.text('en')) };
  }
  // Not ours (a system error may name a path from the volume): one line, as code; its end
  // when long, where a program says why.
  const message = error instanceof Error ? error.message : String(error);
  const text = codeName(trimStop(message), maxShownChars, { keep: 'tail' });
  return { reasonRu: text, reasonEn: text };
}

export async function runRestore(
  o: Orchestra,
  control: ServiceControl,
  run: RestoreRun,
): Promise<RestoreReport> {
  const { plan, snapshots } = run.selected;
  const name = run.service.name;
  const bySource = new Map(run.sources.map((s) => [s.id, s]));
  const targets = plan.items.map((item) => {
    const source = bySource.get(item.source);
    if (source === undefined)
      throw new UserError('backup-source-gone', { service: name, source: item.source });
    return source;
  });

  // A file-level snapshot is put back by the engine into the volume's own files: they must
  // be reachable before anything is touched.
  const sites = new Map<string, VolumeSite>();
  try {
    for (const source of targets) {
      const snapshot = snapshots.get(source.id);
      if (snapshot?.kind !== 'files') continue;
      const site = await source.open?.('write', run.signal);
      if (site === undefined) {
        throw new UserError('backup-files-unreachable', {
          source: source.id,
          volume: source.id.slice(source.id.indexOf(':') + 1),
        });
      }
      sites.set(source.id, site);
    }
    return await restoreOpened(o, control, run, targets, sites);
  } finally {
    await Promise.all([...sites.values()].map((site) => site.close()));
  }
}

async function restoreOpened(
  o: Orchestra,
  control: ServiceControl,
  run: RestoreRun,
  targets: readonly BackupSource[],
  sites: ReadonlyMap<string, VolumeSite>,
): Promise<RestoreReport> {
  const started = o.now().getTime();
  const { plan, snapshots } = run.selected;
  const name = run.service.name;
  // Nothing is touched when this fails: the service keeps running as it is.
  let safetySnapshot: string | undefined;
  try {
    const safety = await runBackup(o, {
      service: name,
      sources: targets,
      job: run.job,
      jobId: run.jobId,
      extra: [safetyTag],
      retention: undefined,
      hooks: run.hooks,
      onStep: (step) => run.onStep({ ...step, phase: 'safety' }),
      signal: run.signal,
      span: [0, 0.35],
      recordSuccess: false,
    });
    safetySnapshot = safety.sources[0]?.snapshotId;
  } catch (error) {
    if (run.signal.aborted) throw error;
    throw new UserError(
      'backup-safety-failed',
      { service: name, ...reasons(error) },
      { cause: error },
    );
  }

  const restored: { source: string; bytes: number }[] = [];
  const share = 0.5 / targets.length;
  const one = async (source: BackupSource, index: number): Promise<void> => {
    const snapshot = snapshots.get(source.id);
    if (snapshot === undefined) return;
    run.onStep({ fraction: 0.4 + index * share, phase: 'restoring', source: source.id });
    restored.push(await restoreSource(o, run, source, snapshot, sites.get(source.id)));
  };
  // What lives where the stop takes it away is put back while the service still runs, the
  // rest after the stop.
  let early: readonly BackupSource[] = [];
  try {
    early = await beforeStop(control, run, targets);
    for (const [index, source] of early.entries()) await one(source, index);
  } catch (error) {
    o.log.error('restore failed before the stop', { service: name, error });
    // A cancel too is told with the safety snapshot: a MariaDB database may already be partly
    // restored (only PostgreSQL's is one transaction). With the cancel as its cause, the job
    // reports this account instead of a bare "cancelled" (job-runner.ts).
    const why: unknown = run.signal.aborted ? run.signal.reason : error;
    throw new UserError(
      'backup-restore-failed-running',
      { service: name, safety: safetySnapshot ?? '?', ...reasons(why) },
      { cause: why },
    );
  }
  const late = targets.filter((source) => !early.includes(source));
  let running = true;
  try {
    // Progress only goes forward: after restores done before the stop, the stop is shown
    // where they left off, not back at its place in a restore without them.
    run.onStep({
      fraction: early.length === 0 ? 0.37 : 0.4 + early.length * share,
      phase: 'stopping',
    });
    running = false;
    await control.stop(run.service, run.signal);
    for (const [index, source] of late.entries()) await one(source, early.length + index);
    run.onStep({ fraction: 0.92, phase: 'starting' });
    await control.start(run.service, run.signal);
    running = true;
    run.onStep({ fraction: 0.95, phase: 'waiting' });
    await control.waitHealthy(run.service, run.signal);
  } catch (error) {
    o.log.error('restore failed after the stop', { service: name, error });
    throw await recover(o, control, run, error, running, safetySnapshot);
  }
  return { plan, safetySnapshot, restored, durationMs: o.now().getTime() - started };
}

/**
 * The sources to restore before the stop, in the plan's order: a database of a cluster
 * service's own workload, whose pod scaling to 0 takes down, and a database or command that
 * runs in one of the service's own containers as the platform finds them now (one look,
 * only when some source runs in a container), in which a stopped container runs no exec.
 */
async function beforeStop(
  control: ServiceControl,
  run: RestoreRun,
  targets: readonly BackupSource[],
): Promise<BackupSource[]> {
  const places = execContainers(run.service);
  const own = targets.some((source) => places.has(source.id))
    ? await control.containers?.(run.service, run.signal)
    : undefined;
  return targets.filter((source) => {
    if (restoredBeforeStop(run.service, source.id)) return true;
    const place = places.get(source.id);
    return place !== undefined && own !== undefined && isOneOf(place, own);
  });
}

/**
 * Whether a source is a database of the cluster service's own workload: no other workload
 * named, or the service's own named by kind and name (the pod is the same one, and scaling to
 * 0 takes it down). Those are restored before the service is stopped. (A service found by a
 * selector cannot name its own kind here: the configuration refuses it as ambiguous.)
 */
export function restoredBeforeStop(service: ServiceDefinition, id: string): boolean {
  const own = service.kubernetes?.workload;
  return service.databases.some((db) => {
    if (`${db.engine}:${db.name}` !== id || db.cluster === undefined) return false;
    const named = db.cluster.workload;
    return (
      named === undefined ||
      (own !== undefined && 'name' in own && own.kind === named.kind && own.name === named.name)
    );
  });
}

/** One source put back from its snapshot: file by file into a reachable volume, else streamed. */
async function restoreSource(
  o: Orchestra,
  run: RestoreRun,
  source: BackupSource,
  snapshot: NonNullable<ReturnType<SelectedRestore['snapshots']['get']>>,
  site: VolumeSite | undefined,
): Promise<{ source: string; bytes: number }> {
  if (site !== undefined) {
    // restic and borg authenticate every chunk they read back; the drill (verify)
    // compares the file list and samples with the manifest.
    await restoreFiles(o.engine, snapshot, {
      site,
      volume: source.id.slice(source.id.indexOf(':') + 1),
      paths: run.paths,
      signal: run.signal,
    });
    return { source: source.id, bytes: o.ledger.manifest(snapshot.id)?.bytes ?? 0 };
  }
  const actual = await pumpSnapshot(
    (output) => o.engine.restore(snapshot, output, run.signal),
    (input) => source.consume(input, run.signal),
    // No SHA-256 here: restic and borg authenticate every chunk they read back (a
    // corrupted one fails the dump), so bytes and members suffice, and a gigabyte's
    // digest cost the restore ~2 s of CPU beside the engine. `verify` compares digests.
    { tar: sourceKind(source.id) === 'volume', digest: false },
  );
  // What came out must be what went in; a difference is a corrupted snapshot.
  const expected = o.ledger.manifest(snapshot.id);
  const problems = expected === undefined ? [] : compareManifests(expected, actual);
  if (problems.length > 0) {
    throw new UserError('backup-restore-mismatch', {
      source: source.id,
      problems: problems.join('; '),
    });
  }
  return { source: source.id, bytes: actual.bytes };
}

/** Starts the service again (without the job's signal: a cancel must not leave it down). */
async function recover(
  o: Orchestra,
  control: ServiceControl,
  run: RestoreRun,
  error: unknown,
  running: boolean,
  safety: string | undefined,
): Promise<UserError> {
  const name = run.service.name;
  const params = { service: name, safety: safety ?? '?', ...reasons(error) };
  if (!running) {
    try {
      await control.start(run.service);
    } catch (startError) {
      o.log.error('could not start the service after a failed restore', {
        service: name,
        error: startError,
      });
      return new UserError('backup-restore-failed-down', params, { cause: error });
    }
  }
  return new UserError('backup-restore-failed', params, { cause: error });
}
