/**
 * From what a person types (`latest`, an id) to the snapshots a restore overwrites with. All
 * checks happen here, before anything is touched: the pattern, the service the snapshot
 * belongs to, the sources it holds.
 */
import {
  inScope,
  isSnapshotRef,
  safetyTag,
  snapshotStateTexts,
  sourceKind,
  type BackupLedger,
  type BackupScope,
  type RestorePlan,
  type SnapshotState,
} from '../core/backup.ts';
import { UserError } from '../core/errors.ts';
import { quoteValue } from '../core/parse.ts';
import type { BackupEngine, BackupSource, Snapshot } from './types.ts';

export function isSafety(snapshot: Snapshot): boolean {
  return snapshot.tags.extra.includes(safetyTag);
}

/** restic accepts an id prefix; borg archive names are matched whole. */
function matches(snapshot: Snapshot, ref: string): boolean {
  return (
    snapshot.id === ref ||
    (ref.length >= 6 && snapshot.id.startsWith(ref)) ||
    (snapshot.id.length >= 8 && ref.startsWith(snapshot.id))
  );
}

/**
 * The newest regular (not safety) backup job holding any of the sources in scope, among the
 * jobs whose every snapshot is known complete: a set one of whose snapshots was cut short is
 * no backup (a job is all or nothing).
 */
function latestJob(
  snapshots: readonly Snapshot[],
  ids: ReadonlySet<string>,
  stateOf: (s: Snapshot) => SnapshotState,
): Snapshot | undefined {
  const brokenJobs = new Set(
    snapshots.filter((s) => stateOf(s) !== 'complete').map((s) => s.tags.job),
  );
  return snapshots
    .filter((s) => !isSafety(s) && ids.has(s.tags.source) && !brokenJobs.has(s.tags.job))
    .reduce<Snapshot | undefined>(
      (best, s) => (best === undefined || s.time > best.time ? s : best),
      undefined,
    );
}

/** Why `latest` found nothing: no snapshot at all, or none known complete (named). */
function noLatest(
  service: string,
  snapshots: readonly Snapshot[],
  ids: ReadonlySet<string>,
  stateOf: (s: Snapshot) => SnapshotState,
): UserError {
  const newest = snapshots
    .filter((s) => !isSafety(s) && ids.has(s.tags.source))
    .reduce<Snapshot | undefined>(
      (best, s) => (best === undefined || s.time > best.time ? s : best),
      undefined,
    );
  if (newest === undefined) return new UserError('backup-no-snapshots', { service });
  return new UserError('backup-no-complete-snapshot', {
    service,
    newest: newest.id,
    stateRu: snapshotStateTexts[stateOf(newest)].ru,
    stateEn: snapshotStateTexts[stateOf(newest)].en,
  });
}

async function findByRef(
  engine: BackupEngine,
  service: string,
  snapshots: readonly Snapshot[],
  ref: string,
  signal: AbortSignal,
): Promise<Snapshot> {
  const found = snapshots.filter((s) => matches(s, ref));
  if (found.length > 1 && new Set(found.map((s) => s.id)).size > 1) {
    throw new UserError('backup-snapshot-ambiguous', { ref: quoteValue(ref), service });
  }
  const [snapshot] = found;
  if (snapshot !== undefined) return snapshot;
  // A look at all services only to say why: a snapshot of another service is refused by name.
  const other = (await engine.list(undefined, signal)).find((s) => matches(s, ref));
  if (other !== undefined && other.tags.service !== service) {
    throw new UserError('backup-snapshot-other-service', {
      ref: quoteValue(ref),
      service,
      owner: other.tags.service,
    });
  }
  throw new UserError('backup-snapshot-unknown', { ref: quoteValue(ref), service });
}

export interface SelectedRestore {
  readonly plan: RestorePlan;
  /** The engine's snapshots, by source id, for exactly the plan's items. */
  readonly snapshots: ReadonlyMap<string, Snapshot>;
}

export async function selectRestore(
  engine: BackupEngine,
  ledger: BackupLedger,
  service: string,
  sources: readonly BackupSource[],
  ref: string,
  only: BackupScope | undefined,
  signal: AbortSignal,
): Promise<SelectedRestore> {
  if (!isSnapshotRef(ref)) throw new UserError('backup-snapshot-invalid', { ref: quoteValue(ref) });
  const inScopeIds = new Set(sources.filter((s) => inScope(s.id, only)).map((s) => s.id));
  const all = await engine.list(service, signal);
  // The engine filters by tag; checked again so that a mistake there cannot cross services.
  const own = all.filter((s) => s.tags.service === service);
  const stateOf = (s: Snapshot): SnapshotState => ledger.snapshotState(s.id, s.tags.job);
  // `latest` is only ever a set known complete; an id names any snapshot, and the plan says
  // what is known of each (the confirmation warns about one not known complete).
  const chosen =
    ref === 'latest'
      ? latestJob(own, inScopeIds, stateOf)
      : await findByRef(engine, service, own, ref, signal);
  if (chosen === undefined) throw noLatest(service, own, inScopeIds, stateOf);
  // One backup job is one set: every source of it, from the same kind of backup.
  const set = own
    .filter((s) => s.tags.job === chosen.tags.job && isSafety(s) === isSafety(chosen))
    .sort((a, b) => b.time.getTime() - a.time.getTime());
  const snapshots = new Map<string, Snapshot>();
  for (const snapshot of set) {
    if (inScopeIds.has(snapshot.tags.source) && !snapshots.has(snapshot.tags.source)) {
      snapshots.set(snapshot.tags.source, snapshot);
    }
  }
  if (snapshots.size === 0) {
    throw new UserError('backup-snapshot-out-of-scope', {
      ref: quoteValue(ref),
      sources: set.map((s) => s.tags.source).join(', '),
    });
  }
  // In the order the sources are configured: the order they are backed up in, too.
  const ordered = [...inScopeIds].flatMap((id) => {
    const s = snapshots.get(id);
    return s === undefined ? [] : [s];
  });
  const items = ordered.map((s) => ({
    source: s.tags.source,
    kind: sourceKind(s.tags.source),
    snapshotId: s.id,
    snapshotKind: s.kind,
    time: s.time,
    bytes: ledger.manifest(s.id)?.bytes,
    state: stateOf(s),
  }));
  return {
    plan: {
      service,
      ref,
      job: chosen.tags.job,
      items,
      untouched: [...inScopeIds].filter((id) => !snapshots.has(id)),
    },
    snapshots,
  };
}
