/**
 * Verify: the engine's check reading a subset of the repository's data, then a restore drill
 * of each source's latest snapshot — into a scratch volume for a volume, through the meter
 * alone for a dump — compared with the manifest recorded at backup. Every result is recorded.
 */
import {
  sourceKind,
  type BackupStepReporter,
  type DrillResult,
  type StreamManifest,
  type VerifyReport,
} from '../core/backup.ts';
import { UserError } from '../core/errors.ts';
import type { Text } from '../core/i18n.ts';
import { compareManifests } from './manifest.ts';
import { listedExpectation } from './snapshot-listing.ts';
import type { DrillTarget, Orchestra } from './plan.ts';
import { drain, pumpSnapshot } from './pump.ts';
import { codeName, maxShownChars } from './printable-name.ts';
import { reasonTexts } from './reason.ts';
import { isSafety } from './select.ts';
import type { BackupSource, Snapshot } from './types.ts';
import type { VolumeSite } from './volume-access.ts';

export interface VerifyRun {
  readonly service: string;
  readonly sources: readonly BackupSource[];
  readonly job: string;
  /** Share of the data the check reads, e.g. `10%`. */
  readonly subset: string;
  /** A scratch volume for a volume source; undefined drains the stream instead. */
  readonly drillTarget: (source: BackupSource) => Promise<DrillTarget | undefined>;
  readonly onStep: BackupStepReporter;
  readonly signal: AbortSignal;
}

/**
 * Why a drill failed, for its `reason`, which people read in chat. Any error but a UserError
 * is a program's or the system's words, which may quote a file's name from the volume (a
 * path the walk could not read, a helper's or a pod's output): shown as one line of code,
 * its end when long (a helper's error ends with what the helper said).
 */
function reasonOf(error: unknown): string {
  if (error instanceof UserError) return error.text('en');
  const message = error instanceof Error ? error.message : String(error);
  return codeName(message, maxShownChars, { keep: 'tail' });
}

export async function runVerify(o: Orchestra, run: VerifyRun): Promise<VerifyReport> {
  const started = o.now().getTime();
  run.onStep({ fraction: 0, phase: 'check' });
  let checkError: Text | undefined;
  try {
    await o.engine.check(run.subset, run.signal);
  } catch (error) {
    // A failed check is a finding, not the end: the drills still show which snapshots hold.
    if (run.signal.aborted) throw error;
    checkError = reasonTexts(error);
    o.log.warn('repository check failed', { service: run.service, error });
  }
  // What `restore latest` would restore: snapshots known complete only. A snapshot cut short
  // would fail its drill and hide whether the good backups hold.
  const snapshots = (await o.engine.list(run.service, run.signal)).filter(
    (s) =>
      s.tags.service === run.service &&
      !isSafety(s) &&
      o.ledger.snapshotState(s.id, s.tags.job) === 'complete',
  );
  const cleanup: string[] = [];
  const drills: DrillResult[] = [];
  const share = 0.6 / Math.max(1, run.sources.length);
  for (const [index, source] of run.sources.entries()) {
    const latest = snapshots
      .filter((s) => s.tags.source === source.id)
      .reduce<Snapshot | undefined>(
        (a, s) => (a === undefined || s.time > a.time ? s : a),
        undefined,
      );
    if (latest === undefined) continue;
    run.onStep({ fraction: 0.4 + index * share, phase: 'drill', source: source.id });
    const result = await drill(o, run, source, latest, cleanup);
    o.ledger.recordVerification(latest.id, result.ok, result.reason, o.now());
    drills.push(result);
  }
  if (drills.length === 0) throw new UserError('backup-no-snapshots', { service: run.service });
  const ok = checkError === undefined && drills.every((d) => d.ok) && cleanup.length === 0;
  if (ok) o.ledger.recordSuccess(run.service, 'drill', run.job, o.now());
  return {
    service: run.service,
    subset: run.subset,
    checkError,
    drills,
    cleanup,
    ok,
    durationMs: o.now().getTime() - started,
  };
}

async function drill(
  o: Orchestra,
  run: VerifyRun,
  source: BackupSource,
  snapshot: Snapshot,
  cleanup: string[],
): Promise<DrillResult> {
  const expected = o.ledger.manifest(snapshot.id);
  const base = { source: source.id, snapshotId: snapshot.id, time: snapshot.time, expected };
  if (snapshot.kind === 'files') return drillFiles(o, run, source, snapshot, cleanup);
  let actual: StreamManifest;
  const target = await run.drillTarget(source);
  try {
    actual = await pumpSnapshot(
      (output) => o.engine.restore(snapshot, output, run.signal),
      (input) => (target === undefined ? drain(input) : target.consume(input, run.signal)),
      { tar: sourceKind(source.id) === 'volume' },
    );
  } catch (error) {
    if (run.signal.aborted) throw error;
    return {
      ...base,
      ok: false,
      problem: 'unreadable',
      actual: undefined,
      reason: reasonOf(error),
    };
  } finally {
    // Told in the result too: a scratch volume left behind holds a copy of the data.
    await target?.remove().catch((error: unknown) => {
      o.log.warn('scratch volume left behind', { source: source.id, error });
      cleanup.push(`${source.id}: ${reasonOf(error)}`);
    });
  }
  if (expected === undefined) {
    return { ...base, ok: false, problem: 'no-manifest', actual, reason: 'no manifest recorded' };
  }
  const problems = compareManifests(expected, actual);
  return problems.length === 0
    ? { ...base, ok: true, problem: undefined, actual, reason: undefined }
    : { ...base, ok: false, problem: 'mismatch', actual, reason: problems.join('; ') };
}

/**
 * A file-level snapshot: restored by the engine into a scratch volume's directory, then
 * walked and compared with the engine's listing of the snapshot and the samples recorded at
 * backup (snapshot-listing.ts, tree-walk.ts).
 */
async function drillFiles(
  o: Orchestra,
  run: VerifyRun,
  source: BackupSource,
  snapshot: Snapshot,
  cleanup: string[],
): Promise<DrillResult> {
  const expected = o.ledger.manifest(snapshot.id);
  const base = { source: source.id, snapshotId: snapshot.id, time: snapshot.time, expected };
  const target = await run.drillTarget(source);
  let compared;
  let site: VolumeSite | undefined;
  try {
    site = await target?.open?.(run.signal);
    if (site === undefined) {
      throw new UserError('backup-files-unreachable', { source: source.id, volume: 'scratch' });
    }
    await o.engine.restoreTree(snapshot, {
      directory: site.root,
      ...(site.runner === undefined ? {} : { runner: site.runner }),
      signal: run.signal,
    });
    if (expected === undefined) {
      return {
        ...base,
        ok: false,
        problem: 'no-manifest',
        actual: undefined,
        reason: 'no manifest recorded',
      };
    }
    // The snapshot's own listing, not the walk after the backup: a file changed while the
    // engine read it is no loss (snapshot-listing.ts).
    const listed = await listedExpectation(o.engine, snapshot, expected.samples, run.signal, {
      omitRootLostFound: site.omitsRootLostFound === true,
    });
    compared = await site.compare(listed, run.signal);
  } catch (error) {
    if (run.signal.aborted) throw error;
    return {
      ...base,
      ok: false,
      problem: 'unreadable',
      actual: undefined,
      reason: reasonOf(error),
    };
  } finally {
    // The helper that holds the scratch volume goes first: a volume in use is not removed.
    await site?.close();
    await target?.remove().catch((error: unknown) => {
      o.log.warn('scratch volume left behind', { source: source.id, error });
      cleanup.push(`${source.id}: ${reasonOf(error)}`);
    });
  }
  const actual: StreamManifest = {
    bytes: compared.figures.bytes,
    sha256: compared.figures.listDigest,
    files: compared.figures.files,
    kind: 'files',
  };
  return compared.problems.length === 0
    ? { ...base, ok: true, problem: undefined, actual, reason: undefined }
    : { ...base, ok: false, problem: 'mismatch', actual, reason: compared.problems.join('; ') };
}
