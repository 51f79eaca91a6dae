/**
 * What a drill of a file-level snapshot compares the restored tree with: the snapshot itself,
 * as the engine lists it (restic `ls --json`, borg `list --format` with exact names), and the sample
 * digests recorded at backup.
 *
 * Not the walk made right after the backup: a file the service changed while the engine was
 * reading, or between the engine's end and the walk, differs from what the engine stored,
 * and the drill would report a loss that is none. The samples are consistent with the
 * snapshot by their choice (tree-walk.ts: unchanged since before the backup started).
 */
import type { FileSample } from '../core/backup.ts';
import { EntrySet } from './tree-walk.ts';
import type { BackupEngine, Snapshot, TreeEntry } from './types.ts';
import type { TreeExpectation } from './volume-access.ts';

export interface ListingOptions {
  /**
   * Leaves a `lost+found` at the root and everything in it out, for a site that leaves it out
   * of what it lists (volume-access.ts `omitsRootLostFound`).
   */
  readonly omitRootLostFound?: boolean;
}

/** The file system's own folder at a claim's root (platforms/kubernetes/claim-site.ts). */
const lostFound = 'lost+found';

function inRootLostFound(path: string): boolean {
  return path === lostFound || path.startsWith(`${lostFound}/`);
}

export async function listedExpectation(
  engine: Pick<BackupEngine, 'listTree'>,
  snapshot: Snapshot,
  samples: readonly FileSample[] | undefined,
  signal?: AbortSignal,
  options: ListingOptions = {},
): Promise<TreeExpectation> {
  let entries = await engine.listTree(snapshot, signal);
  let sampled = samples;
  if (options.omitRootLostFound === true) {
    // A claim's snapshot made before its backups excluded the root `lost+found` (by a root
    // claim pod, which could read it) holds it; the restored claim is listed without it. Its
    // samples go too: the site does not look there. The figures the manifest recorded for
    // such a snapshot (its files and bytes, with the lost+found) are not compared by a drill
    // of a file-level snapshot, only this listing is, so they are left as they were
    // recorded: what the backup really stored.
    entries = entries.filter((e) => !inRootLostFound(e.path));
    sampled = samples?.filter((s) => !inRootLostFound(s.path));
  }
  return { ...entrySetOf(entries), ...(sampled === undefined ? {} : { samples: sampled }) };
}

/**
 * The figures of a listing. borg lists the second path of a hard-linked file with size 0 and
 * the first path as its source: it gets the size of that path, as the restored tree shows.
 */
export function entrySetOf(entries: readonly TreeEntry[]): {
  readonly files: number;
  readonly bytes: number;
  readonly sha256: string;
} {
  const set = new EntrySet();
  let sizes: Map<string, number> | undefined;
  for (const entry of entries) {
    if (entry.hardlinkOf === undefined) continue;
    sizes ??= new Map();
    sizes.set(entry.hardlinkOf, 0);
  }
  if (sizes !== undefined) {
    for (const entry of entries) {
      if (sizes.has(entry.path) && entry.hardlinkOf === undefined) {
        sizes.set(entry.path, entry.size);
      }
    }
  }
  for (const entry of entries) {
    const size =
      entry.hardlinkOf === undefined ? entry.size : (sizes?.get(entry.hardlinkOf) ?? entry.size);
    set.add({
      type: entry.type,
      path: entry.path,
      perm: entry.perm,
      uid: entry.uid,
      gid: entry.gid,
      size,
    });
  }
  return { files: set.files, bytes: set.bytes, sha256: set.digest() };
}
