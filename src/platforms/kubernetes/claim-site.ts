/**
 * A claim's files as a VolumeSite (src/backup/volume-access.ts): the engine and the few file
 * operations run in a claim pod (claim-pod.ts) through pods/exec, with GNU findutils and
 * coreutils of the pod's image (Debian's, in the bot's own image).
 *
 * A site for reading keeps one pod, made at its first use, until it is closed: a backup's
 * look, engine run and measure are one pod start. A site for writing makes a pod per
 * operation and deletes it right after: a restore's pod must not hold a ReadWriteOnce claim
 * while the workload starts again, or the workload's pod could not attach it on another node.
 *
 * The tree is measured and compared in the pod by the bot's own walk (src/backup/
 * tree-measure-cli.ts runs tree-walk.ts there, in one exec, as the pod's user), so the figures
 * agree whichever side measured, and only one line comes back: memory here does not grow with
 * the claim. An image without node or that entry point is told as for the engine's launcher
 * (`backup-engine-launcher-missing`).
 *
 * A `lost+found` at the claim's root is the file system's, not the application's: ext4
 * (mkfs.ext4, which the volume plugins run on a new block volume) makes it owned by root,
 * mode 0700, so a pod of a non-root workload cannot even list it, and a scratch claim of a
 * drill has its own. It is left out of everything here: the engine's backup (an exclude),
 * the listing and the figures, whether the claim is empty, and emptying (it stays). Only at
 * the root: a `lost+found` deeper down is the application's and is kept like any folder.
 * The site says so (`omitsRootLostFound`), and a drill leaves it out of the snapshot's
 * listing too: a snapshot made before these backups excluded it, by a root claim pod, holds
 * it.
 */
import { Readable, Writable } from 'node:stream';
import { UserError } from '../../core/errors.ts';
import type { ExecResult } from '../../core/platform.ts';
import { nodeNotFound } from '../../backup/engine-launch-input.ts';
import { codeName } from '../../backup/printable-name.ts';
import {
  comparedFromReply,
  compareRequestLine,
  maxReplyBytes,
  measureRequestLine,
  parseMeasureReply,
  treeMeasureArgv,
  treeMeasureMissing,
  type TreeMeasureCommand,
} from '../../backup/tree-measure-input.ts';
import type {
  EngineCommand,
  EngineRunner,
  VolumeMode,
  VolumeSite,
} from '../../backup/volume-access.ts';
import type { KubeClients } from './client.ts';
import { dataPath } from './claim-pod-spec.ts';
import { openClaimPod, type ClaimPod, type ClaimPodSettings } from './claim-pod.ts';
import type { RunAs } from './claim-pod-spec.ts';
import { claimRunner } from './claim-runner.ts';
import { runAsWithFallback } from './claim-placement.ts';

export interface ClaimAccessSettings extends ClaimPodSettings {
  /** The claim (in each service's namespace) the repository is on; none: a remote one. */
  readonly repositoryClaim?: string;
  /** The repository's folder inside that claim ('' or absent: its root). */
  readonly repositoryInClaim?: string;
  /** What the pod runs as when no pod of the workload mounts the claim. */
  readonly runAs?: RunAs;
}

export interface ClaimSiteRequest {
  readonly clients: KubeClients;
  readonly settings: ClaimAccessSettings;
  readonly namespace: string;
  readonly claim: string;
  readonly mode: VolumeMode;
  /** What the pod runs as when the workload has no pod now (read before a stop). */
  readonly runAs?: RunAs;
}

/** The file system's own folder at the claim's root (see above). */
export const lostFound = 'lost+found';
const lostFoundPath = `${dataPath}/${lostFound}`;

/**
 * `find` arguments, after the starting point, that skip the root's `lost+found` without
 * reading it (`-prune`: a folder a pod may not read is never opened).
 */
const skipLostFound = ['-path', lostFoundPath, '-prune', '-o'];

/**
 * The engine's backup of the claim without the root's `lost+found`: restic matches an
 * exclude that starts with `/` against the absolute path (the engine runs `backup .` in
 * `dataPath`); borg's `pp:` is a path prefix of the archived path, which is relative there.
 *
 * A whole restore without it too: a snapshot made before backups left it out (by a root
 * claim pod) holds it, and would put the file system's old orphans back into the claim's own
 * `lost+found` (which a pod that is not root cannot even write). restic matches a restore's
 * exclude against the snapshot's path, `/lost+found` (`backup .` stores the root's names at
 * the snapshot's root, as its `--include /<path>` of a restore of some paths shows). A
 * restore of chosen paths goes as it is: restic refuses an exclude beside an include, and a
 * path chosen inside it is asked for.
 *
 * Any other command goes as it is.
 */
export function excludingLostFound(command: EngineCommand): EngineCommand {
  const [sub = '', ...rest] = command.args;
  if (command.program === 'restic' && sub === 'backup') {
    return { ...command, args: [sub, '--exclude', lostFoundPath, ...rest] };
  }
  if (command.program === 'borg' && sub === 'create') {
    return { ...command, args: [sub, '--exclude', `pp:${lostFound}`, ...rest] };
  }
  if (command.program === 'restic' && sub === 'restore' && !rest.includes('--include')) {
    return { ...command, args: [sub, '--exclude', `/${lostFound}`, ...rest] };
  }
  // borg extract: the archive (`::name`) last, unless paths follow it.
  if (command.program === 'borg' && sub === 'extract' && rest.at(-1)?.startsWith('::') === true) {
    return { ...command, args: [sub, '--exclude', `pp:${lostFound}`, ...rest] };
  }
  return command;
}

/** The names at the claim's root, its `lost+found` left out, as `./name` (NUL-separated). */
export const topLevelArgv: readonly string[] = [
  'find',
  dataPath,
  '-mindepth',
  '1',
  '-maxdepth',
  '1',
  ...skipLostFound,
  '-printf',
  './%P\\0',
];

/**
 * Empties the claim, its root and the root's `lost+found` kept: `rm -rf` of each name at
 * the root (rm never follows a symbolic link; `find -delete` would have to read the
 * `lost+found` a non-root pod may not read).
 */
export const emptyingArgv: readonly string[] = [
  'find',
  dataPath,
  '-mindepth',
  '1',
  '-maxdepth',
  '1',
  ...skipLostFound,
  '-exec',
  'rm',
  '-rf',
  '--',
  '{}',
  '+',
];

const listLimit = 512 * 1024 * 1024;

function inClaim(path: string): string {
  if (path.split('/').some((p) => p === '..' || p === '') || path.startsWith('/')) {
    throw new Error(`not a relative path inside the volume: ${path}`);
  }
  return `${dataPath}/${path}`;
}

interface Collected {
  readonly exitCode: number;
  readonly stdout: Buffer;
  readonly stderr: string;
}

async function collect(
  pod: ClaimPod,
  argv: readonly string[],
  signal?: AbortSignal,
  io: { readonly stdin?: Buffer; readonly limit?: number } = {},
): Promise<Collected> {
  const limit = io.limit ?? listLimit;
  const chunks: Buffer[] = [];
  let size = 0;
  const stdout = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      if (size > limit) {
        callback(new Error(`more than ${limit} bytes from ${argv[0] ?? '?'}`));
        return;
      }
      chunks.push(chunk);
      callback();
    },
  });
  const result: ExecResult = await pod.exec(
    argv,
    io.stdin === undefined ? { stdout } : { stdin: Readable.from([io.stdin]), stdout },
    signal,
  );
  return { exitCode: result.exitCode, stdout: Buffer.concat(chunks), stderr: result.stderr };
}

function failed(pod: ClaimPod, argv: readonly string[], result: Collected): UserError {
  // What the pod said may quote a file's name from the claim (`rm: cannot remove …`, the
  // tree measure's `/data/…: Permission denied`): one line of code.
  const said = result.stderr.trim().split('\n').slice(-3).join(' ');
  return new UserError('kubernetes-exec-failed', {
    pod: pod.name,
    container: 'engine',
    detail: `${argv[0] ?? '?'}: exit ${result.exitCode}${said === '' ? '' : `: ${codeName(said)}`}`,
  });
}

/** The stdout of a command in a claim pod (bounded), or the one-line error of a failed one. */
export async function claimOutput(
  pod: ClaimPod,
  argv: readonly string[],
  signal?: AbortSignal,
): Promise<Buffer> {
  const result = await collect(pod, argv, signal);
  if (result.exitCode !== 0) throw failed(pod, argv, result);
  return result.stdout;
}

/**
 * Measures or compares the claim's tree in the pod with the bot's own walk, the root's
 * `lost+found` left out (tree-measure-cli.ts): its one line of output.
 */
async function treeInPod(
  pod: ClaimPod,
  command: TreeMeasureCommand,
  input: string,
  signal?: AbortSignal,
): Promise<string> {
  const argv = treeMeasureArgv(command, dataPath);
  let result: Collected;
  try {
    result = await collect(pod, argv, signal, {
      stdin: Buffer.from(input, 'utf8'),
      limit: maxReplyBytes,
    });
  } catch (error) {
    if (nodeNotFound(error)) throw launcherMissing(pod, error);
    throw error;
  }
  if (result.exitCode !== 0) {
    // A runtime that cannot start node may say so on stdout, with exit 126 or 127 (Docker's
    // exec does), rather than fail the exec.
    const said = `${result.stderr}\n${result.stdout.toString('utf8')}`;
    if (treeMeasureMissing(result.exitCode, said)) throw launcherMissing(pod);
    throw failed(pod, ['tree-measure'], result);
  }
  return result.stdout.toString('utf8');
}

function launcherMissing(pod: ClaimPod, cause?: unknown): UserError {
  return new UserError(
    'backup-engine-launcher-missing',
    { image: pod.image ?? '?' },
    cause === undefined ? undefined : { cause },
  );
}

async function checkAncestors(
  pod: ClaimPod,
  paths: readonly string[],
  volume: string,
  signal?: AbortSignal,
): Promise<void> {
  const above = (path: string): string[] => {
    const parts = path.split('/');
    return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
  };
  const all = [...new Set(paths.flatMap(above))];
  if (all.length === 0) return;
  const result = await collect(
    pod,
    ['find', ...all.map(inClaim), '-maxdepth', '0', '-printf', '%p\\0%y\\0'],
    signal,
  );
  const fields = result.stdout.toString('utf8').split('\0');
  const types = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) {
    types.set((fields[i] ?? '').slice(dataPath.length + 1), fields[i + 1] ?? '');
  }
  for (const path of paths) {
    for (const folder of above(path)) {
      const type = types.get(folder);
      // Missing: the engine makes it, as a real folder.
      if (type === undefined) break;
      if (type === 'd') continue;
      throw new UserError('backup-path-unsafe', {
        volume,
        path: codeName(path),
        reason: type === 'l' ? 'symbolic link above it' : 'a file above it',
      });
    }
  }
}

/** Runs `restic unlock` in a fresh pod; what fails here is left to restic's own 30 minutes. */
async function unlockAfterCancel(
  open: (signal?: AbortSignal) => Promise<ClaimPod>,
  run: typeof claimRunner,
  settings: Parameters<typeof claimRunner>[1],
  command: Parameters<EngineRunner>[0],
  options: Parameters<EngineRunner>[1],
): Promise<void> {
  try {
    const pod = await open();
    try {
      // Twice: PIDs are counted anew in each pod, so the first `unlock` may by chance have
      // the very PID the lock names, and then takes it for alive; the second has another.
      for (let i = 0; i < 2; i++) {
        await run(pod, settings)(
          { ...command, args: ['unlock'] },
          { ...(options.killGraceMs === undefined ? {} : { killGraceMs: options.killGraceMs }) },
        );
      }
    } finally {
      await pod.delete();
    }
  } catch {
    // The cancel is what the job reports; a lock left is told by the next command.
  }
}

export function claimSite(request: ClaimSiteRequest): VolumeSite {
  const { clients, settings, namespace, claim, mode } = request;
  const runAs = runAsWithFallback(request.runAs, settings.runAs);
  const open = (signal?: AbortSignal): Promise<ClaimPod> =>
    openClaimPod(
      clients,
      settings,
      {
        namespace,
        claim,
        purpose: mode === 'read' ? 'backup' : 'restore',
        ...(settings.repositoryClaim === undefined
          ? {}
          : { repositoryClaim: settings.repositoryClaim }),
        ...(runAs === undefined ? {} : { runAs }),
      },
      signal,
    );
  let kept: Promise<ClaimPod> | undefined;
  const use = async <T>(
    signal: AbortSignal | undefined,
    work: (pod: ClaimPod) => Promise<T>,
  ): Promise<T> => {
    if (mode === 'read') {
      kept ??= open(signal);
      // A failed start is not kept: the next use tries again.
      kept.catch(() => (kept = undefined));
      return work(await kept);
    }
    const pod = await open(signal);
    try {
      return await work(pod);
    } finally {
      await pod.delete();
    }
  };
  const runnerSettings = {
    cluster: clients.cluster,
    ...(settings.repositoryClaim === undefined
      ? {}
      : { repositoryInClaim: settings.repositoryInClaim ?? '' }),
  };
  const runner: EngineRunner = async (command, options) => {
    try {
      return await use(options.signal, (pod) =>
        claimRunner(pod, runnerSettings)(excludingLostFound(command), options),
      );
    } catch (error) {
      if (options.signal?.aborted === true && command.program === 'restic') {
        // An exec'd command is not stopped by a closed stream: the pod's deletion kills it,
        // and its repository lock stays. `restic unlock` in a new pod of the same hostname
        // sees that lock's process gone on its own host, so stale, and removes it (restic's
        // lock staleness: same host and no such process).
        await dropKept();
        await unlockAfterCancel(open, claimRunner, runnerSettings, command, options);
      }
      throw error;
    }
  };
  const dropKept = async (): Promise<void> => {
    const pending = kept;
    kept = undefined;
    const pod = await pending?.catch(() => undefined);
    await pod?.delete().catch(() => undefined);
  };
  return {
    root: dataPath,
    runner,
    omitsRootLostFound: true,
    isEmpty: (signal) =>
      use(signal, async (pod) => {
        const out = await claimOutput(
          pod,
          [
            'find',
            dataPath,
            '-mindepth',
            '1',
            '-maxdepth',
            '1',
            ...skipLostFound,
            '-print',
            '-quit',
          ],
          signal,
        );
        return out.length === 0;
      }),
    empty: (signal) =>
      use(signal, async (pod) => {
        await claimOutput(pod, emptyingArgv, signal);
      }),
    removePaths: (paths, volume, signal) =>
      use(signal, async (pod) => {
        await checkAncestors(pod, paths, volume, signal);
        if (paths.length > 0)
          await claimOutput(pod, ['rm', '-rf', '--', ...paths.map(inClaim)], signal);
      }),
    measure: (options) =>
      use(options.signal, async (pod) =>
        parseMeasureReply(
          await treeInPod(
            pod,
            'measure',
            measureRequestLine({ ...options, skipRootLostFound: true }),
            options.signal,
          ),
        ),
      ),
    compare: (expected, signal) =>
      use(signal, async (pod) => {
        const output = await treeInPod(pod, 'compare', compareRequestLine(expected, true), signal);
        return comparedFromReply(output, expected);
      }),
    close: dropKept,
  };
}
