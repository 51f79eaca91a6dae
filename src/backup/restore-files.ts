/**
 * Putting a file-level snapshot back into a volume's directory: all of it (the directory is
 * emptied first, so that files made since the backup do not stay mixed with it), or some
 * paths of it (each removed first, then restored; everything else is left as it is).
 *
 * A path is restored only where every folder above it in the live volume is a real folder:
 * a symbolic link there (made by the application, or by someone who can write the volume)
 * would send the removal and the engine's writes outside the volume.
 */
import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../core/errors.ts';
import { codeName } from './printable-name.ts';
import type { BackupEngine, Snapshot } from './types.ts';
import type { VolumeSite } from './volume-access.ts';

/** Removes everything inside `directory`, which itself stays (with its owner and mode). */
export async function emptyDirectory(directory: string): Promise<void> {
  const names = await readdir(directory);
  // rm does not follow symbolic links: a link is removed, never what it points to.
  await Promise.all(
    names.map((name) => rm(join(directory, name), { recursive: true, force: true })),
  );
}

/** Refuses a path whose folders above it in the live tree are not all real folders. */
export async function checkAncestors(
  directory: string,
  path: string,
  volume: string,
): Promise<void> {
  const parts = path.split('/');
  let current = directory;
  for (const part of parts.slice(0, -1)) {
    current = join(current, part);
    let st;
    try {
      st = await lstat(current);
    } catch (error) {
      // Missing: the engine makes it, as a real folder.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    if (!st.isDirectory()) {
      throw new UserError('backup-path-unsafe', {
        volume,
        path: codeName(path),
        reason: st.isSymbolicLink() ? 'symbolic link above it' : 'a file above it',
      });
    }
  }
}

export async function restoreFiles(
  engine: BackupEngine,
  snapshot: Snapshot,
  options: {
    /** The volume's files, opened for writing (volume-access.ts). */
    readonly site: VolumeSite;
    readonly volume: string;
    /** Only these (already matched against the snapshot); all when undefined. */
    readonly paths: readonly string[] | undefined;
    readonly signal: AbortSignal;
  },
): Promise<void> {
  const { site, paths, signal } = options;
  if (paths === undefined) await site.empty(signal);
  else await site.removePaths(paths, options.volume, signal);
  await engine.restoreTree(snapshot, {
    directory: site.root,
    ...(site.runner === undefined ? {} : { runner: site.runner }),
    ...(paths === undefined ? {} : { paths }),
    signal,
  });
}
