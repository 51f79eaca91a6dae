/**
 * A short-lived helper container that streams data in or out of a volume: no network, no
 * log driver (with json-file the whole stream is also written to the container log: 200 MB
 * took 7 s instead of 1.2 s, docs/FIELD-NOTES.md "Docker"), attached before it starts so that no
 * byte is missed, removed whatever happens.
 */
import type { Container, ContainerInfo, MountSettings } from 'dockerode';
import { hostname } from 'node:os';
import { UserError } from '../../core/errors.ts';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { requestDocker, toDockerError, type DockerConnection } from './client.ts';
import {
  asError,
  settleInput,
  openHijacked,
  socketWriter,
  StdoutDemuxer,
} from './attach-stream.ts';
import { feed, type FeedOutcome } from '../../streams/feed.ts';
import { hasEngineStatus, removeContainer } from './container-ops.ts';

/** Every helper carries it, so a helper left by a crash is easy to find and remove. */
export const helperLabel = 'pes.bot/helper';
/** `<host name>:<pid>` of the process that made the helper: whether it still runs. */
export const helperOwnerLabel = 'pes.bot/helper-owner';

const owner = `${hostname()}:${process.pid}`;

export interface HelperRun {
  readonly image: string;
  readonly cmd: readonly string[];
  readonly mounts: readonly MountSettings[];
  /** Fed to the helper's stdin; EOF when it ends. */
  readonly stdin?: Readable;
  /** Receives the helper's stdout; ended when the helper's output ends. */
  readonly stdout?: Writable;
  /** What the helper is for, e.g. `read-volume` (the label's value). */
  readonly purpose: string;
  /**
   * Given: the helper's removal is not waited for but handed over here (it never fails), so
   * that the caller can go on while the engine removes an exited helper, and wait for it at
   * the end. Without it, runHelper returns once the helper is gone.
   */
  readonly removing?: (removal: Promise<void>) => void;
}

export interface HelperResult {
  readonly exitCode: number;
  readonly stderr: string;
}

export async function runHelper(
  connection: DockerConnection,
  run: HelperRun,
  signal?: AbortSignal,
): Promise<HelperResult> {
  const withStdin = run.stdin !== undefined;
  const container = await createHelper(connection, run, withStdin, signal);
  // Never the job's signal: a cancelled helper must still be removed.
  let removal: Promise<void> | undefined;
  // Once: a second force-remove during the first returns at once, before it is done.
  const remove = (): Promise<void> =>
    (removal ??= removeContainer(connection, container.id).catch(() => undefined));
  const waiting = new AbortController();
  try {
    const socket = await openHijacked(
      connection,
      (abortSignal) =>
        container.attach({
          stream: true,
          stdin: withStdin,
          stdout: true,
          stderr: true,
          hijack: true,
          abortSignal,
        }),
      signal,
    );
    const onAbort = (): void => {
      socket.destroy();
      void remove();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      // `next-exit`, asked before the start: a helper that exits at once is not missed.
      const exited = container
        .wait({ condition: 'next-exit', abortSignal: waiting.signal })
        .then((r: { StatusCode: number }) => r.StatusCode);
      exited.catch(() => undefined);
      await requestDocker(connection, (abortSignal) => container.start({ abortSignal }), signal);
      const demuxer = new StdoutDemuxer();
      let outputError: Error | undefined;
      const output = pipeline(socket, demuxer, run.stdout ?? discard()).catch((error: unknown) => {
        outputError = asError(error);
        // The consumer is gone: a helper blocked on a full pipe would never exit.
        void remove();
      });
      const feeding: Promise<FeedOutcome> =
        run.stdin === undefined ? Promise.resolve({}) : feed(run.stdin, socketWriter(socket));
      // A broken input kills the helper: it must not take a cut stream for the whole.
      void feeding.then((fed) => {
        if (fed.inputError !== undefined) void remove();
      });
      const [exit] = await Promise.allSettled([exited, output]);
      // The helper has exited and its output is read: what it did not read never will be.
      socket.destroy();
      const fed = await feeding;
      signal?.throwIfAborted();
      if (fed.inputError !== undefined) throw fed.inputError;
      if (outputError !== undefined) throw outputError;
      if (exit.status === 'rejected') throw toDockerError(exit.reason, connection.host);
      await settleInput(run.stdin, exit.value === 0);
      return { exitCode: exit.value, stderr: demuxer.stderr.text().text };
    } finally {
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
    }
  } finally {
    waiting.abort();
    if (run.removing === undefined) await remove();
    else run.removing(remove());
  }
}

/** A helper that is never started: the engine writes into its mounts (archive-stream.ts). */
export interface IdleHelper {
  readonly image: string;
  readonly mounts: readonly MountSettings[];
  readonly purpose: string;
}

/** Creates an idle helper, hands its id to `use`, and removes it whatever happens. */
export async function withIdleHelper<T>(
  connection: DockerConnection,
  helper: IdleHelper,
  use: (container: string) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  // The command is never run; the engine wants one all the same when the image has none.
  const container = await createHelper(connection, { ...helper, cmd: ['true'] }, false, signal);
  try {
    return await use(container.id);
  } finally {
    // Never the job's signal: a cancelled helper must still be removed.
    await removeContainer(connection, container.id).catch(() => undefined);
  }
}

/** Creates the helper; an image that is not on the host gets a message that says so. */
async function createHelper(
  connection: DockerConnection,
  run: Pick<HelperRun, 'image' | 'cmd' | 'mounts' | 'purpose'>,
  withStdin: boolean,
  signal?: AbortSignal,
): Promise<Container> {
  let created: Container;
  try {
    // Not aborted by the job's signal: an aborted create may still make the container on the
    // engine a moment later, where nobody removes it (a restore cancelled by `pes serve`'s
    // stop left its helpers "created"; test/integration/serve-stop.test.ts).
    created = await requestDocker(connection, (abortSignal) =>
      connection.docker.createContainer({
        Image: run.image,
        Cmd: [...run.cmd],
        Labels: { [helperLabel]: run.purpose, [helperOwnerLabel]: owner },
        AttachStdin: withStdin,
        OpenStdin: withStdin,
        // The engine closes the helper's stdin when our side of the connection ends.
        StdinOnce: withStdin,
        AttachStdout: true,
        AttachStderr: true,
        Tty: false,
        NetworkDisabled: true,
        HostConfig: {
          NetworkMode: 'none',
          LogConfig: { Type: 'none', Config: {} },
          Mounts: [...run.mounts],
          SecurityOpt: ['no-new-privileges'],
        },
        abortSignal,
      }),
    );
  } catch (error) {
    if (hasEngineStatus(error, 404)) {
      throw new UserError('backup-helper-image-missing', { image: run.image }, { cause: error });
    }
    throw error;
  }
  if (signal?.aborted === true) {
    await removeContainer(connection, created.id).catch(() => undefined);
    signal.throwIfAborted();
  }
  return created;
}

/** Where stdout goes when the caller does not want it. */
function discard(): Writable {
  return new Writable({
    write(_chunk, _encoding, callback) {
      callback();
    },
  });
}

/**
 * Removes the helpers a bot that died left behind: those that are not running and whose
 * process on this host is gone (exited ones made before helpers named their process, too).
 * Running helpers, and those of a live process or of another host, are left alone: another
 * bot process (the terminal `pes` beside `pes serve`) may still be reading from one that
 * has just exited, or streaming into an idle one (created, never started).
 */
export async function removeLeftHelpers(
  connection: DockerConnection,
  isAlive: (pid: number) => boolean,
  signal?: AbortSignal,
): Promise<number> {
  const helpers = await requestDocker(
    connection,
    (abortSignal) =>
      connection.docker.listContainers({
        all: true,
        filters: { label: [helperLabel], status: ['exited', 'dead', 'created'] },
        abortSignal,
      }),
    signal,
  );
  const left = helpers.filter((c) =>
    c.Labels[helperOwnerLabel] === undefined ? c.State !== 'created' : ownerIsGone(c, isAlive),
  );
  await Promise.all(left.map((c) => removeContainer(connection, c.Id).catch(() => undefined)));
  return left.length;
}

function ownerIsGone(container: ContainerInfo, isAlive: (pid: number) => boolean): boolean {
  const [host, pid] = (container.Labels[helperOwnerLabel] ?? '').split(':');
  return host === hostname() && /^\d+$/.test(pid ?? '') && !isAlive(Number(pid));
}
