/**
 * A volume's files where this process cannot reach them (a remote engine, or the bot not
 * root): every engine command and every file operation of a backup, restore or drill runs
 * in a short-lived container of its own, made from the configured image (the bot's own: it
 * has restic, borg, GNU find and coreutils), with the volume mounted (read-only to read it),
 * a repository on a local path mounted at the same path, no network unless one is named.
 *
 * - The volume is mounted at its own mount point when the engine names one, so that the
 *   engine records the same path as when it runs here (restic picks the parent snapshot by
 *   host and path; the container gets this host's name): an unchanged file is skipped
 *   whichever side made the previous snapshot.
 * - The engine is started by the launcher (src/backup/engine-launch.ts, in the bot's image):
 *   its stdin is one line of the engine's variables (the repository, S3 keys, BORG_RSH…),
 *   then the password, then EOF. So none of them is in argv, the container's env or labels,
 *   nor its logs (restic reads the password from stdin when nothing else names it and stdin
 *   is no terminal; borg reads fd 0 with BORG_PASSPHRASE_FD=0). An image without node or
 *   the launcher is told as such (`backup-engine-launcher-missing`).
 * - The volume's tree is measured and compared in a helper by the bot's own walk
 *   (src/backup/tree-measure-cli.ts, in the bot's image, as root on the same mount as the
 *   file operations): the same digests as a walk here, one line back, nothing listed here.
 *   An image without it is told as for the launcher.
 * - The image's ENTRYPOINT is reset (the bot's image has tini and the bot's own command
 *   there), so the launcher is the container's first process, and the container's stop
 *   signal is SIGINT: a cancel stops it with a grace period, the launcher hands the signal to the
 *   engine, so that restic or borg removes its lock, then the container is removed. A file
 *   operation holds no lock and is removed at once. Every container is removed on every path.
 * - The engine runs as the owner of a repository on a local path (the bot's own user, since
 *   the bot runs its own restic or borg on it too), not as root: what root wrote there
 *   (restic's index, snapshot and lock files are mode 0400/0440) the bot could no longer
 *   read. The container starts as root with every capability dropped but the few it needs,
 *   and `setpriv` (util-linux, in every Debian image) gives the engine that uid and gid and
 *   exactly those capabilities as ambient ones, then execs it: the engine stays the first
 *   process (SIGINT above), and every file it makes, in the repository and the caches, is
 *   the owner's from the start, even while it runs. This rather than chowning afterwards,
 *   which a killed helper or a bot stopped mid-way would skip, and which would leave the
 *   bot's own concurrent listing facing root's lock files meanwhile. A backup keeps
 *   DAC_READ_SEARCH (read every file of the volume, mounted read-only), a restore CHOWN,
 *   FOWNER, DAC_OVERRIDE and FSETID (write anywhere in it, set owners, modes and times).
 *   A repository owned by root, or one the bot cannot see (a remote engine's host path),
 *   keeps the engine as root as before.
 */
import type { MountSettings } from 'dockerode';
import { stat } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { UserError } from '../../core/errors.ts';
import {
  launchArgv,
  launchHeader,
  launcherMissing,
  launchStall,
  launchStalled,
  nodeNotFound,
  refusedLaunchNames,
} from '../../backup/engine-launch-input.ts';
import { lineSplitter, tailKeeper, type SpawnResult } from '../../backup/engines/spawn.ts';
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
  TreeExpectation,
  TreeMeasure,
  VolumeMode,
  VolumeSite,
} from '../../backup/volume-access.ts';
import { requestDocker, toDockerError, type DockerConnection } from './client.ts';
import { openHijacked, socketWriter } from './attach-stream.ts';
import { hasEngineStatus, removeContainer, stopContainer } from './container-ops.ts';
import { helperLabel, helperOwnerLabel } from './helper-container.ts';
import { FrameDemuxer } from './log-stream.ts';

export interface EngineHelperSettings {
  /** An image with restic, borg, GNU find and coreutils: the bot's own image. */
  readonly image: string;
  /** A Docker network through which a remote repository is reached; none without it. */
  readonly network?: string | undefined;
  /** A repository on a path of the Docker host: mounted at the same path. */
  readonly repositoryPath?: string | undefined;
  /** A volume that keeps the engines' caches between helpers; none: every helper starts cold. */
  readonly cacheVolume?: string | undefined;
  /** How long the engine may take to stop after SIGINT before it is killed. */
  readonly stopGraceSeconds?: number | undefined;
}

/**
 * The engines' own places on this machine (caches, borg's keys and security files): they
 * mean nothing in a helper, whose caches are its own (`cacheVolume`).
 */
const localPathVariables = new Set([
  'RESTIC_CACHE_DIR',
  'BORG_BASE_DIR',
  'BORG_CACHE_DIR',
  'BORG_CONFIG_DIR',
  'BORG_SECURITY_DIR',
  'BORG_KEYS_DIR',
]);

/**
 * The engine's variables for a helper, all of them given to the launcher on stdin
 * (engine-launch.ts), never in the container's env, which shows in `docker inspect`: the
 * repository, S3 keys, BORG_RSH… The bot's local places are dropped; a name the launcher does
 * not take (not one restic or borg reads) is refused before any container is made.
 */
export function helperEnv(command: EngineCommand): Record<string, string> {
  const env = Object.fromEntries(
    Object.entries({ ...command.env, ...command.passwordOnStdin }).filter(
      ([name]) => !localPathVariables.has(name),
    ),
  );
  const refused = refusedLaunchNames(env);
  if (refused.length > 0) {
    throw new UserError('backup-engine-helper-env', { names: refused.join(', ') });
  }
  return env;
}

/** The root inside a helper when the engine names no mount point. */
const defaultRoot = '/pes-volume';
const cacheRoot = '/pes-cache';
const defaultGraceSeconds = 15;
const owner = `${hostname()}:${process.pid}`;

interface Place {
  readonly volume: string;
  readonly root: string;
  readonly mode: VolumeMode;
}

/** A uid and gid to run the engine as, and the capabilities it keeps (setpriv's names). */
interface EngineUser {
  readonly uid: number;
  readonly gid: number;
  readonly caps: readonly string[];
}

/** What the engine needs of the volume: read it all, or write it all with owners and modes. */
const engineCaps: Readonly<Record<VolumeMode, readonly string[]>> = {
  read: ['dac_read_search'],
  write: ['chown', 'fowner', 'dac_override', 'fsetid'],
};

/**
 * The owner of a repository on a local path, when it is not root: undefined when there is
 * none, it is root's, or this process cannot see it (then the engine runs as root).
 */
async function repositoryOwner(
  path: string | undefined,
): Promise<{ uid: number; gid: number } | undefined> {
  if (path === undefined) return undefined;
  try {
    const info = await stat(path);
    return info.uid === 0 ? undefined : { uid: info.uid, gid: info.gid };
  } catch {
    return undefined;
  }
}

/**
 * The user's name for the engine: borg records one in each archive and fails when the uid
 * has no passwd entry in the image unless LOGNAME names it (Python's getpass.getuser reads
 * it first). This process's own name when the uid is its own, else the number.
 */
function userName(uid: number): string {
  try {
    const me = userInfo();
    if (me.uid === uid) return me.username;
  } catch {
    // No passwd entry here either: the number.
  }
  return String(uid);
}

/** The engine's argv under setpriv: that uid and gid, only these capabilities, then exec. */
function asUser(user: EngineUser, cmd: readonly string[]): string[] {
  const caps = user.caps.map((c) => `+${c}`).join(',');
  return [
    'setpriv',
    `--reuid=${user.uid}`,
    `--regid=${user.gid}`,
    '--clear-groups',
    `--inh-caps=-all,${caps}`,
    `--ambient-caps=${caps}`,
    '--',
    ...cmd,
  ];
}

interface ContainedRun {
  readonly cmd: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Written to the process's stdin, then EOF. */
  readonly stdin?: Buffer;
  readonly onStdout: (chunk: Buffer) => void;
  readonly onStderr: (chunk: Buffer) => void;
  /** A cancel stops it with SIGINT and a grace period (an engine); else it is killed. */
  readonly interruptible: boolean;
  readonly purpose: string;
  /** Runs the command as this user with only these capabilities; none: root. */
  readonly user?: EngineUser | undefined;
}

function mounts(settings: EngineHelperSettings, place: Place): MountSettings[] {
  const list: MountSettings[] = [
    { Type: 'volume', Source: place.volume, Target: place.root, ReadOnly: place.mode === 'read' },
  ];
  const repo = settings.repositoryPath;
  if (repo !== undefined) list.push({ Type: 'bind', Source: repo, Target: repo, ReadOnly: false });
  if (settings.cacheVolume !== undefined) {
    list.push({ Type: 'volume', Source: settings.cacheVolume, Target: cacheRoot, ReadOnly: false });
  }
  return list;
}

/** Runs one command in a container of its own; its exit code. Removed whatever happens. */
async function runContained(
  connection: DockerConnection,
  settings: EngineHelperSettings,
  place: Place,
  run: ContainedRun,
  signal?: AbortSignal,
): Promise<number> {
  signal?.throwIfAborted();
  const caches = settings.cacheVolume === undefined ? '/tmp' : cacheRoot;
  const env = {
    // Messages are matched by their English text (spawn.ts does the same here).
    LC_ALL: 'C',
    LANG: 'C',
    HOME: '/tmp',
    XDG_CACHE_HOME: `${caches}/cache`,
    XDG_CONFIG_HOME: `${caches}/config`,
    ...(run.user === undefined ? {} : { LOGNAME: userName(run.user.uid) }),
    ...run.env,
  };
  let id: string;
  try {
    // Not aborted by the job's signal: an aborted create may still make the container a
    // moment later, where nobody removes it (helper-container.ts).
    const created = await requestDocker(connection, (abortSignal) =>
      connection.docker.createContainer({
        Image: settings.image,
        // The image's ENTRYPOINT is reset (an empty list: the Engine API's "no entrypoint",
        // where an absent one keeps the image's): the bot's own image has one (tini, then
        // the bot's command line), which would take this command as the bot's arguments.
        // The command runs as given, and the launcher, or the file operation, is the
        // container's first process (the launcher hands the stop signal on itself).
        Entrypoint: [],
        Cmd: run.user === undefined ? [...run.cmd] : asUser(run.user, run.cmd),
        Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
        WorkingDir: place.root,
        // The files belong to the application's users: only root reads and restores them all
        // (an engine run as the repository's owner keeps just what it needs: see above).
        User: '0:0',
        Hostname: hostname(),
        Labels: { [helperLabel]: run.purpose, [helperOwnerLabel]: owner },
        AttachStdin: true,
        OpenStdin: true,
        StdinOnce: true,
        AttachStdout: true,
        AttachStderr: true,
        Tty: false,
        StopSignal: 'SIGINT',
        NetworkDisabled: settings.network === undefined,
        HostConfig: {
          NetworkMode: settings.network ?? 'none',
          LogConfig: { Type: 'none', Config: {} },
          Mounts: mounts(settings, place),
          SecurityOpt: ['no-new-privileges'],
          ...(run.user === undefined
            ? {}
            : {
                // Root's own powers beyond these are of no use to setpriv and the engine.
                CapDrop: ['ALL'],
                CapAdd: ['SETUID', 'SETGID', ...run.user.caps.map((c) => c.toUpperCase())],
              }),
        },
        abortSignal,
      }),
    );
    id = created.id;
  } catch (error) {
    if (hasEngineStatus(error, 404)) {
      throw new UserError(
        'backup-engine-helper-image-missing',
        { image: settings.image },
        { cause: error },
      );
    }
    throw error;
  }
  const container = connection.docker.getContainer(id);
  const waiting = new AbortController();
  let stopping: Promise<void> | undefined;
  const onAbort = (): void => {
    const grace = run.interruptible ? (settings.stopGraceSeconds ?? defaultGraceSeconds) : 0;
    stopping ??= stopContainer(connection, id, grace).catch(() => undefined);
  };
  try {
    const socket = await openHijacked(
      connection,
      (abortSignal) =>
        container.attach({
          stream: true,
          stdin: true,
          stdout: true,
          stderr: true,
          hijack: true,
          abortSignal,
        }),
      signal,
    );
    try {
      const demuxer = new FrameDemuxer();
      const output = new Promise<void>((resolve, reject) => {
        socket.on('data', (chunk: Buffer) => {
          for (const frame of demuxer.push(chunk)) {
            if (frame.stream === 'stdout') run.onStdout(frame.data);
            else if (frame.stream === 'stderr') run.onStderr(frame.data);
          }
        });
        socket.once('end', resolve);
        socket.once('close', resolve);
        socket.once('error', reject);
      });
      output.catch(() => undefined);
      // `next-exit`, asked before the start: a process that exits at once is not missed.
      const exited = container
        .wait({ condition: 'next-exit', abortSignal: waiting.signal })
        .then((r: { StatusCode: number }) => r.StatusCode);
      exited.catch(() => undefined);
      await requestDocker(connection, (abortSignal) => container.start({ abortSignal }), signal);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (signal?.aborted === true) onAbort();
      // A process that needs no input may exit, and close its side, before this write lands:
      // the write's EPIPE is then no failure (the exit code tells how it went), and an empty
      // input is only the half-close.
      if (run.stdin === undefined || run.stdin.length === 0) socket.end();
      else {
        const writer = socketWriter(socket);
        writer.on('error', () => undefined);
        writer.end(run.stdin);
      }
      let code: number;
      try {
        code = await exited;
      } catch (error) {
        throw toDockerError(error, connection.host);
      }
      // The process has exited: the rest of its output is on its way, then the stream ends.
      await output;
      await stopping;
      signal?.throwIfAborted();
      return code;
    } finally {
      socket.destroy();
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    waiting.abort();
    // Never the job's signal: a cancelled helper must still be removed.
    await removeContainer(connection, id).catch(() => undefined);
  }
}

interface Gathered {
  readonly code: number;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/**
 * Runs a file operation as root (`stdin` written to it, then EOF); its exit code, stdout and
 * the end of stderr. More stdout than `limit` fails the operation.
 */
async function gather(
  connection: DockerConnection,
  settings: EngineHelperSettings,
  place: Place,
  cmd: readonly string[],
  signal?: AbortSignal,
  io: { readonly stdin?: Buffer; readonly limit?: number } = {},
): Promise<Gathered> {
  const out: Buffer[] = [];
  let size = 0;
  const err = tailKeeper(16 * 1024);
  const code = await runContained(
    connection,
    settings,
    place,
    {
      cmd,
      ...(io.stdin === undefined ? {} : { stdin: io.stdin }),
      onStdout: (chunk) => {
        size += chunk.length;
        if (io.limit === undefined || size <= io.limit) out.push(Buffer.from(chunk));
      },
      onStderr: (chunk) => err.push(chunk),
      interruptible: false,
      purpose: 'volume-files',
    },
    signal,
  );
  if (io.limit !== undefined && size > io.limit) {
    throw new Error(`${cmd[0] ?? '?'} in the helper printed more than ${io.limit} bytes`);
  }
  return { code, stdout: Buffer.concat(out), stderr: err.text() };
}

/** Runs a file operation; its stdout. A failure is told with the tool's own message. */
async function collect(
  connection: DockerConnection,
  settings: EngineHelperSettings,
  place: Place,
  cmd: readonly string[],
  signal?: AbortSignal,
  accept: (code: number) => boolean = (code) => code === 0,
): Promise<Buffer> {
  const { code, stdout, stderr } = await gather(connection, settings, place, cmd, signal);
  if (!accept(code)) {
    throw new Error(`${cmd[0] ?? '?'} in the helper failed (${code}): ${stderr.trim()}`);
  }
  return stdout;
}

function splitNul(data: Buffer): string[] {
  const parts = data.toString('utf8').split('\0');
  if (parts.at(-1) === '') parts.pop();
  return parts;
}

/** The helper's image lacks node, the launcher or the tree measure (engine-launch-input.ts). */
function launcherMissingError(settings: EngineHelperSettings, cause?: unknown): UserError {
  return new UserError(
    'backup-engine-launcher-missing',
    { image: settings.image },
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Measures or compares the volume's tree in a helper, as root on the same mount as every
 * file operation, with the bot's own walk (tree-measure-cli.ts): its one line of output. An
 * image without node or the entry point is told as for the engine's launcher.
 */
async function treeInHelper(
  connection: DockerConnection,
  settings: EngineHelperSettings,
  place: Place,
  command: TreeMeasureCommand,
  input: string,
  signal?: AbortSignal,
): Promise<string> {
  let run: Gathered;
  try {
    run = await gather(connection, settings, place, treeMeasureArgv(command, place.root), signal, {
      stdin: Buffer.from(input, 'utf8'),
      limit: maxReplyBytes,
    });
  } catch (error) {
    // Started as the container's command, a missing node fails the start itself.
    if (nodeNotFound(error)) {
      throw launcherMissingError(settings, error);
    }
    throw error;
  }
  if (treeMeasureMissing(run.code, run.stderr)) {
    throw launcherMissingError(settings);
  }
  if (run.code !== 0) {
    throw new Error(`the tree ${command} in the helper failed (${run.code}): ${run.stderr.trim()}`);
  }
  return run.stdout.toString('utf8');
}

export function helperSite(
  connection: DockerConnection,
  settings: EngineHelperSettings,
  volume: string,
  mountpoint: string | undefined,
  mode: VolumeMode,
): VolumeSite {
  const root = mountpoint === undefined || mountpoint === '' ? defaultRoot : mountpoint;
  const place: Place = { volume, root, mode };
  // The caches of a shared cache volume are handed to the engine's user once per site: a
  // volume made by the engine is root's, and so is what an engine run as root left in it.
  let cachesReady: Promise<void> | undefined;
  const engineUser = async (signal?: AbortSignal): Promise<EngineUser | undefined> => {
    const found = await repositoryOwner(settings.repositoryPath);
    if (found === undefined) return undefined;
    const user = { ...found, caps: engineCaps[mode] };
    if (settings.cacheVolume !== undefined) {
      cachesReady ??= collect(
        connection,
        settings,
        place,
        [
          'find',
          cacheRoot,
          '!',
          '-uid',
          String(user.uid),
          '-exec',
          'chown',
          '-h',
          `${user.uid}:${user.gid}`,
          '{}',
          '+',
        ],
        signal,
      ).then(() => undefined);
      try {
        await cachesReady;
      } catch (error) {
        cachesReady = undefined;
        throw error;
      }
    }
    return user;
  };
  const runner: EngineRunner = async (command, options) => {
    const stdout = tailKeeper(options.stdoutLimit ?? 64 * 1024 * 1024);
    const stderr = tailKeeper(options.stderrLimit ?? 64 * 1024);
    const outLines =
      options.onStdoutLine === undefined ? undefined : lineSplitter(options.onStdoutLine);
    const errLines =
      options.onStderrLine === undefined ? undefined : lineSplitter(options.onStderrLine);
    if (options.stdout !== undefined) throw new Error('a helper does not stream stdout');
    const grace =
      options.killGraceMs === undefined ? {} : { stopGraceSeconds: options.killGraceMs / 1000 };
    // Before any container: a variable that cannot go is refused with nothing made.
    const header = launchHeader(helperEnv(command));
    const user = await engineUser(options.signal);
    const launched = runContained(
      connection,
      { ...settings, ...grace },
      place,
      {
        cmd: launchArgv(command.program, command.args, launchStall(options.stall)),
        stdin: Buffer.from(`${header}${command.password}\n`),
        onStdout: (chunk) => (outLines === undefined ? stdout.push(chunk) : outLines.push(chunk)),
        onStderr: (chunk) => {
          stderr.push(chunk);
          errLines?.push(chunk);
        },
        interruptible: true,
        purpose: `engine-${command.program}`,
        user,
      },
      options.signal,
    );
    let code: number;
    try {
      code = await launched;
    } catch (error) {
      // Started as the container's command (no user to switch to), a missing node fails the
      // start itself.
      if (nodeNotFound(error)) {
        throw launcherMissingError(settings, error);
      }
      throw error;
    }
    if (launcherMissing(code, stderr.text())) {
      throw launcherMissingError(settings);
    }
    outLines?.end();
    errLines?.end();
    return {
      exitCode: code,
      exitSignal: null,
      stdout: outLines === undefined ? stdout.text() : '',
      stderr: stderr.text(),
      stdinError: undefined,
      stdoutError: undefined,
      ...(launchStalled(code, stderr.text()) ? { stalled: true } : {}),
    } satisfies SpawnResult;
  };
  return {
    root,
    runner,
    async isEmpty(signal) {
      const out = await collect(
        connection,
        settings,
        place,
        ['find', root, '-mindepth', '1', '-maxdepth', '1', '-print', '-quit'],
        signal,
      );
      return out.length === 0;
    },
    async empty(signal) {
      // rm does not follow symbolic links: a link is removed, never what it points to.
      await collect(
        connection,
        settings,
        place,
        ['find', root, '-mindepth', '1', '-maxdepth', '1', '-exec', 'rm', '-rf', '--', '{}', '+'],
        signal,
      );
    },
    async removePaths(paths, volumeName, signal) {
      const above = new Set<string>();
      for (const path of paths) {
        const parts = path.split('/');
        for (let i = 1; i < parts.length; i++) above.add(parts.slice(0, i).join('/'));
      }
      if (above.size > 0) {
        // -P (the default): a symbolic link is reported as one, never followed. Missing
        // folders are told on stderr only (exit 1): the engine makes them, as real folders.
        const out = await collect(
          connection,
          settings,
          place,
          [
            'find',
            ...[...above].map((p) => `${root}/${p}`),
            '-maxdepth',
            '0',
            '-printf',
            '%y\\0%P\\0%p\\0',
          ],
          signal,
          (code) => code === 0 || code === 1,
        );
        const types = new Map<string, string>();
        const fields = splitNul(out);
        for (let i = 0; i + 3 <= fields.length; i += 3) {
          types.set((fields[i + 2] ?? '').slice(root.length + 1), fields[i] ?? '');
        }
        for (const path of paths) {
          const parts = path.split('/');
          for (let i = 1; i < parts.length; i++) {
            const type = types.get(parts.slice(0, i).join('/'));
            if (type === undefined) break;
            if (type !== 'd') {
              throw new UserError('backup-path-unsafe', {
                volume: volumeName,
                path: codeName(path),
                reason: type === 'l' ? 'symbolic link above it' : 'a file above it',
              });
            }
          }
        }
      }
      if (paths.length === 0) return;
      await collect(
        connection,
        settings,
        place,
        ['rm', '-rf', '--', ...paths.map((p) => `${root}/${p}`)],
        signal,
      );
    },
    async measure(options): Promise<TreeMeasure> {
      const output = await treeInHelper(
        connection,
        settings,
        place,
        'measure',
        measureRequestLine(options),
        options.signal,
      );
      return parseMeasureReply(output);
    },
    async compare(expected: TreeExpectation, signal) {
      const output = await treeInHelper(
        connection,
        settings,
        place,
        'compare',
        compareRequestLine(expected),
        signal,
      );
      return comparedFromReply(output, expected);
    },
    // Each command's container is removed when the command ends: nothing is left open.
    close: () => Promise.resolve(),
  };
}

/**
 * The image of the container this process runs in, by id (a tag may have moved since), when
 * it runs in a container of this engine (its host name is then the container's short id);
 * undefined otherwise.
 */
export async function ownImage(connection: DockerConnection): Promise<string | undefined> {
  try {
    const info = await requestDocker(connection, (abortSignal) =>
      connection.docker.getContainer(hostname()).inspect({ abortSignal }),
    );
    return info.Image === '' ? undefined : info.Image;
  } catch {
    return undefined;
  }
}
