/**
 * `exec` with streams: pg_dump, pg_restore, mysqldump and backup hooks run inside the
 * service's own container with an argv array (`Cmd`, no shell) and no TTY (a TTY would
 * corrupt binary dumps, docs/FIELD-NOTES.md "Docker"), stdin and stdout streamed with backpressure.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import type { Exec } from 'dockerode';
import type { ExecOptions, ExecResult } from '../../core/platform.ts';
import { requestDocker, type DockerConnection } from './client.ts';
import {
  asError,
  settleInput,
  openHijacked,
  socketWriter,
  StdoutDemuxer,
} from './attach-stream.ts';
import { feed, type FeedOutcome } from '../../streams/feed.ts';
import { terminateExec } from './exec-kill.ts';
import { TailBuffer } from './log-stream.ts';

/** How long after its output ended an exec may still report itself running. */
const exitWaitMs = 10_000;
const stdoutTailBytes = 64 * 1024;

export async function execStream(
  connection: DockerConnection,
  container: string,
  argv: readonly string[],
  options: ExecOptions,
  signal?: AbortSignal,
): Promise<ExecResult> {
  try {
    return await runExec(connection, container, argv, options, signal);
  } catch (error) {
    // A consumer waiting on stdout must see the end was not one (a premature close); the
    // error itself is this promise's. Not destroy(error): a stream nobody listens to yet
    // would take the process down with it.
    options.stdout?.destroy();
    throw error;
  }
}

async function runExec(
  connection: DockerConnection,
  container: string,
  argv: readonly string[],
  options: ExecOptions,
  signal?: AbortSignal,
): Promise<ExecResult> {
  const withStdin = options.stdin !== undefined;
  const exec = await requestDocker(
    connection,
    (abortSignal) =>
      connection.docker.getContainer(container).exec({
        Cmd: [...argv],
        AttachStdin: withStdin,
        AttachStdout: true,
        AttachStderr: true,
        Tty: false,
        ...(options.user === undefined ? {} : { User: options.user }),
        Env: Object.entries(options.env ?? {}).map(([key, value]) => `${key}=${value}`),
        abortSignal,
      }),
    signal,
  );
  const socket = await openHijacked(
    connection,
    (abortSignal) => exec.start({ hijack: true, stdin: withStdin, abortSignal }),
    signal,
  );
  // Closing the streams gives the command EOF on stdin; one that still writes is stopped
  // by terminateExec below, where the host allows it.
  const onAbort = (): void => {
    socket.destroy();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const demuxer = new StdoutDemuxer();
    const kept = options.stdout === undefined ? new TailBuffer(stdoutTailBytes) : undefined;
    const sink = options.stdout ?? collect(kept);
    let outputError: Error | undefined;
    const output = pipeline(socket, demuxer, sink).catch((error: unknown) => {
      outputError = asError(error);
      socket.destroy();
    });
    const feeding: Promise<FeedOutcome> =
      options.stdin === undefined ? Promise.resolve({}) : feed(options.stdin, socketWriter(socket));
    // A broken input closes the connection: the command must not take a cut stream for the
    // whole of it.
    void feeding.then((fed) => {
      if (fed.inputError !== undefined) socket.destroy();
    });
    await output;
    // The command's output is all read: it has exited, and what it did not read never will be.
    socket.destroy();
    const fed = await feeding;
    signal?.throwIfAborted();
    if (fed.inputError !== undefined) throw fed.inputError;
    if (outputError !== undefined) throw outputError;
    const exitCode = await exitCodeOf(connection, exec, signal);
    await settleInput(options.stdin, exitCode === 0);
    return {
      exitCode,
      stdout: kept?.text().text ?? '',
      stderr: demuxer.stderr.text().text,
    };
  } catch (error) {
    // Abandoned (cancelled, or its reader or input broke): it must not run on, e.g. a
    // pg_dump blocked on a full pipe while holding its table locks.
    await terminateExec(connection, exec, argv);
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    socket.destroy();
  }
}

/** The output ends a moment before the engine records the exit: poll briefly. */
async function exitCodeOf(
  connection: DockerConnection,
  exec: Exec,
  signal?: AbortSignal,
): Promise<number> {
  const deadline = Date.now() + exitWaitMs;
  for (let pause = 10; ; pause = Math.min(pause * 2, 200)) {
    const info = await requestDocker(
      connection,
      (abortSignal) => exec.inspect({ abortSignal }),
      signal,
    );
    if (!info.Running && info.ExitCode !== null) return info.ExitCode;
    if (Date.now() > deadline) throw new Error('the exec ended its output but never exited');
    await sleep(pause, undefined, signal === undefined ? {} : { signal });
  }
}

function collect(kept: TailBuffer | undefined): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      kept?.push(chunk);
      callback();
    },
  });
}
