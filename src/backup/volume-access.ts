/**
 * Where the files of a volume can be reached, how an engine command is run next to them, and
 * the few file operations a backup, a restore and a drill need besides the engine.
 *
 * Two kinds of site implement it: a directory of this machine that this process may read and
 * write itself (`localSite`: the engine is a child of this process, the files are walked with
 * node:fs, exactly as fast as restic run by hand), and a short-lived helper next to the
 * volume when this process cannot reach its files (a container on Docker, a pod on
 * Kubernetes): the engine runs in the helper, and the file operations go through it too.
 *
 * Either kind records the same relative paths in a snapshot (the engine runs with the
 * volume's root as its working directory), so either can restore what the other stored, and
 * the figures of `measure` and `compare` are the same for the same tree (tree-walk.ts).
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileSample } from '../core/backup.ts';
import type { SpawnOptions, SpawnResult } from './engines/spawn.ts';
import { checkAncestors, emptyDirectory } from './restore-files.ts';
import { compareTree, measureTree, type TreeFigures, type WalkOptions } from './tree-walk.ts';

/** An engine command, as an engine hands it to a site that runs it elsewhere. */
export interface EngineCommand {
  readonly program: 'restic' | 'borg';
  /** The program's path or name where it runs (the bot's setting, for a local site). */
  readonly binary: string;
  readonly args: readonly string[];
  /** What the engine needs besides the password; no secret (repository, progress rate…). */
  readonly env: Readonly<Record<string, string>>;
  /** Never in argv, env or labels of a helper: fed on stdin (see `passwordOnStdin`). */
  readonly password: string;
  /**
   * The variables that make the engine read the password from its stdin, until EOF or the
   * first line (restic reads it from stdin when nothing else names it and stdin is not a
   * terminal; borg takes `BORG_PASSPHRASE_FD=0`).
   */
  readonly passwordOnStdin: Readonly<Record<string, string>>;
}

/**
 * Runs an engine command at a site. `options.cwd` is ignored: the command always runs in the
 * site's `root`. A cancel (`options.signal`) interrupts the engine as spawn.ts does (SIGINT,
 * then a kill after a grace period), so that it removes its repository lock.
 */
export type EngineRunner = (
  command: EngineCommand,
  options: Omit<SpawnOptions, 'env' | 'dropEnv' | 'stdin' | 'cwd'>,
) => Promise<SpawnResult>;

export interface TreeMeasure {
  readonly figures: TreeFigures;
  readonly samples: readonly FileSample[];
}

export interface TreeExpectation {
  readonly files: number | undefined;
  readonly bytes: number;
  readonly sha256: string;
  readonly samples?: readonly FileSample[];
}

/** A volume opened for one operation. Always closed (`close`), whatever happened. */
export interface VolumeSite {
  /** The volume's root where the engine runs: its working directory, a restore's target. */
  readonly root: string;
  /** Runs an engine at the site; undefined: as a child of this process, in `root`. */
  readonly runner: EngineRunner | undefined;
  /**
   * Whether the site leaves a `lost+found` at the root out of its listing and figures (a
   * Kubernetes claim: ext4's own folder, root 0700; claim-site.ts). A drill then leaves it
   * out of the snapshot's listing too: a snapshot made before claim backups excluded it holds
   * it. Undefined on every other site, whose comparison stays strict.
   */
  readonly omitsRootLostFound?: true;
  /** Whether the volume holds nothing at all. */
  isEmpty(signal?: AbortSignal): Promise<boolean>;
  /** Removes everything inside the root, which itself stays (owner and mode). */
  empty(signal?: AbortSignal): Promise<void>;
  /**
   * Removes these relative paths before they are restored. Every path is checked first: one
   * whose folders above it are not all real folders (a symbolic link could send the removal
   * outside the volume) is refused (`backup-path-unsafe`) and nothing is removed.
   */
  removePaths(paths: readonly string[], volume: string, signal?: AbortSignal): Promise<void>;
  /** The tree's figures and samples (tree-walk.ts `measureTree`). */
  measure(options: WalkOptions): Promise<TreeMeasure>;
  /** What differs from the recorded figures (tree-walk.ts `compareTree`). */
  compare(
    expected: TreeExpectation,
    signal?: AbortSignal,
  ): Promise<{ readonly problems: string[]; readonly figures: TreeFigures }>;
  /** Releases the site (a helper is removed); never throws, never waits for a signal. */
  close(): Promise<void>;
}

export type VolumeMode = 'read' | 'write';

/**
 * Opens a volume's files: `read` for a backup or a listing (a helper mounts it read-only),
 * `write` for a restore. Undefined when the platform has no way to reach them at all (the tar
 * stream is used then). A missing volume is refused (`backup-volume-missing`).
 */
export type OpenVolume = (
  volume: string,
  mode: VolumeMode,
  signal?: AbortSignal,
) => Promise<VolumeSite | undefined>;

/** A directory of this machine that this process may read and write itself. */
export function localSite(directory: string): VolumeSite {
  return {
    root: directory,
    runner: undefined,
    isEmpty: async () => (await readdir(directory)).length === 0,
    empty: () => emptyDirectory(directory),
    async removePaths(paths, volume) {
      for (const path of paths) await checkAncestors(directory, path, volume);
      for (const path of paths) await rm(join(directory, path), { recursive: true, force: true });
    },
    measure: (options) => measureTree(directory, options),
    compare: (expected, signal) => compareTree(directory, expected, signal),
    close: () => Promise.resolve(),
  };
}

/** Opens, uses and always closes a site. */
export async function withSite<T>(
  site: VolumeSite,
  use: (site: VolumeSite) => Promise<T>,
): Promise<T> {
  try {
    return await use(site);
  } finally {
    await site.close();
  }
}
