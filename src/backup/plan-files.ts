/**
 * The file-level parts of a restore plan, decided before anything is touched: `--path`
 * (matched against what the one volume's snapshot holds), `--to` (another volume: its name,
 * whether it exists and holds data, whether a container outside the service uses it), and
 * the listing of `backup files`.
 */
import {
  sourceKind,
  type RestoreFilesRequest,
  type RestoreItem,
  type RestorePlan,
  type SnapshotFiles,
} from '../core/backup.ts';
import type { ServiceDefinition } from '../core/catalog.ts';
import { UserError } from '../core/errors.ts';
import { quoteValue } from '../core/parse.ts';
import { codeName } from './printable-name.ts';
import type { VolumeFiles } from '../core/platform.ts';
import { entriesUnder, matchPaths } from './restore-paths.ts';
import type { SelectedRestore } from './select.ts';
import type { BackupEngine, Snapshot } from './types.ts';

export interface FilesDeps {
  readonly engine: BackupEngine;
  volumes(service: ServiceDefinition): VolumeFiles | undefined;
  containersOf(service: ServiceDefinition, signal: AbortSignal): Promise<readonly string[]>;
  /** Every service of the catalog: their volumes are never a `--to` target. */
  services?(): Iterable<ServiceDefinition>;
}

/** Whether two services' volume names name the same volumes (one engine, one namespace). */
function sameVolumes(a: ServiceDefinition, b: ServiceDefinition): boolean {
  if (a.platform !== b.platform) return false;
  if (a.kubernetes === undefined || b.kubernetes === undefined) return true;
  return (
    a.kubernetes.cluster === b.kubernetes.cluster &&
    a.kubernetes.namespace === b.kubernetes.namespace
  );
}

/** A volume of another service of the catalog is refused as a `--to` target. */
function refuseServiceVolume(deps: FilesDeps, service: ServiceDefinition, volume: string): void {
  for (const other of deps.services?.() ?? []) {
    if (
      other.name !== service.name &&
      sameVolumes(service, other) &&
      other.volumes.includes(volume)
    ) {
      throw new UserError('backup-target-of-service', { volume, service: other.name });
    }
  }
}

/**
 * The bot's own volumes are refused as a `--to` target: the one that holds the backup
 * repository, and a drill's scratch volume (the platform knows them, VolumeFiles.inspect).
 */
export function refuseReserved(seen: { readonly reserved?: string }, volume: string): void {
  if (seen.reserved === 'repository') throw new UserError('backup-target-repository', { volume });
  if (seen.reserved === 'scratch') throw new UserError('backup-target-scratch', { volume });
}

/** Docker's own rule for volume names, shortened. */
const volumePattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/**
 * A PersistentVolumeClaim's name: a DNS-1123 subdomain (lowercase letters, digits, `-` and
 * `.`, starting and ending alphanumeric, at most 253), which the API server enforces.
 */
const claimPattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function validTarget(service: ServiceDefinition, volume: string): boolean {
  if (service.platform === 'kubernetes') return volume.length <= 253 && claimPattern.test(volume);
  return volumePattern.test(volume);
}

/** The one file-level volume snapshot of the chosen backup that `--path`/`--to` work on. */
function oneVolume(selected: SelectedRestore): { item: RestoreItem; snapshot: Snapshot } {
  const volumes = selected.plan.items.filter((i) => i.kind === 'volume');
  const [item] = volumes;
  if (item === undefined || volumes.length > 1) {
    throw new UserError('backup-path-one-volume', {
      job: selected.plan.job,
      sources: selected.plan.items.map((i) => i.source).join(', ') || '—',
    });
  }
  const snapshot = selected.snapshots.get(item.source);
  if (snapshot === undefined) throw new Error(`no snapshot for ${item.source}`);
  if (snapshot.kind !== 'files') {
    throw new UserError('backup-path-needs-files', { snapshot: snapshot.id, source: item.source });
  }
  return { item, snapshot };
}

function notFound(service: string, snapshot: string): (path: string) => UserError {
  return (path) =>
    new UserError('backup-path-not-found', { path: codeName(path, 60), snapshot, service });
}

export async function planFilesRestore(
  deps: FilesDeps,
  service: ServiceDefinition,
  selected: SelectedRestore,
  request: RestoreFilesRequest,
  signal: AbortSignal,
): Promise<RestorePlan> {
  const { item, snapshot } = oneVolume(selected);
  let paths: string[] | undefined;
  if (request.paths !== undefined && request.paths.length > 0) {
    const entries = await deps.engine.listTree(snapshot, signal);
    paths = matchPaths(entries, request.paths, notFound(service.name, snapshot.id));
  }
  const base: RestorePlan = {
    ...selected.plan,
    items: [item],
    untouched: selected.plan.items.filter((i) => i !== item).map((i) => i.source),
    ...(paths === undefined ? {} : { paths }),
  };
  if (request.to === undefined) return base;
  const volume = request.to;
  if (!validTarget(service, volume) || service.volumes.includes(volume)) {
    const code =
      service.platform === 'kubernetes' ? 'backup-target-invalid-claim' : 'backup-target-invalid';
    throw new UserError(code, {
      volume: quoteValue(volume),
      service: service.name,
    });
  }
  refuseServiceVolume(deps, service, volume);
  const files = deps.volumes(service);
  if (files === undefined) {
    throw new UserError('backup-files-unreachable', { source: item.source, volume });
  }
  const seen = await files.inspect(volume, signal);
  refuseReserved(seen, volume);
  if (seen.containers.length > 0) {
    throw new UserError('backup-volume-in-use', {
      volume,
      service: service.name,
      containers: seen.containers.join(', '),
    });
  }
  let hasData = false;
  if (seen.exists) {
    const site = await files.open(volume, 'read', signal);
    if (site === undefined) {
      throw new UserError('backup-files-unreachable', { source: item.source, volume });
    }
    try {
      hasData = !(await site.isEmpty(signal));
    } finally {
      await site.close();
    }
    if (hasData && request.force !== true) {
      throw new UserError('backup-target-not-empty', { volume });
    }
  }
  return { ...base, target: { volume, exists: seen.exists, hasData } };
}

/**
 * Restoring a volume in place stops the service's containers only: a container of anything
 * else using the same volume would keep running on files changing under it.
 */
export async function refuseSharedVolume(
  deps: FilesDeps,
  service: ServiceDefinition,
  volume: string,
  signal: AbortSignal,
): Promise<void> {
  const files = deps.volumes(service);
  if (files === undefined) return;
  const seen = await files.inspect(volume, signal);
  const own = new Set(await deps.containersOf(service, signal));
  const others = seen.containers.filter((c) => !own.has(c));
  if (others.length > 0) {
    throw new UserError('backup-volume-in-use', {
      volume,
      service: service.name,
      containers: others.join(', '),
    });
  }
}

export async function listSnapshotFiles(
  deps: FilesDeps,
  service: ServiceDefinition,
  selected: SelectedRestore,
  under: string | undefined,
  limit: number,
  signal: AbortSignal,
): Promise<SnapshotFiles> {
  const { item, snapshot } = oneVolume(selected);
  if (sourceKind(item.source) !== 'volume') throw new Error('not a volume');
  const entries = entriesUnder(
    await deps.engine.listTree(snapshot, signal),
    under,
    notFound(service.name, snapshot.id),
  );
  return {
    snapshotId: snapshot.id,
    source: item.source,
    time: snapshot.time,
    entries: entries.slice(0, limit),
    total: entries.length,
  };
}
