/**
 * A program as a producer (its stdout is the stream) or a consumer (the stream is its
 * stdin), run either inside a container through the Platform's exec or on the bot's own
 * machine (e.g. pg_dump over TCP). Always an argv array; passwords only in the environment.
 */
import { randomBytes } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import { UserError } from '../../core/errors.ts';
import type { Platform } from '../../core/platform.ts';
import { drain, runProcess } from '../engines/spawn.ts';
import type { ProducedStream } from '../types.ts';
import { lastLines, producedStream } from '../../streams/produced.ts';

/**
 * The container a program runs in: its name, or found at each run (a cluster database's pod,
 * whose name changes with each rollout).
 */
export type ContainerRef = string | ((signal?: AbortSignal) => Promise<string>);

/** Where a program runs. */
export type Runner =
  | {
      readonly kind: 'exec';
      readonly platform: Platform;
      readonly container: ContainerRef;
      readonly user?: string;
      /**
       * A pod's exec (pods/exec): a producer there runs under a stdin watchdog
       * (`watchedArgv`) and a consumer is killable (`killableArgv`), since closing the
       * exec's connection does not end its process.
       */
      readonly watchdog?: boolean;
    }
  | { readonly kind: 'host' };

/**
 * The runner with its container found now, for a run of several programs (a probe, then the
 * dump): looked up once, so that all of them run in the same pod even when a rollout
 * replaces it meanwhile, and with one API round trip instead of one per program.
 */
export async function pinRunner(runner: Runner, signal?: AbortSignal): Promise<Runner> {
  if (runner.kind !== 'exec' || typeof runner.container === 'string') return runner;
  return { ...runner, container: await runner.container(signal) };
}

/** Whether the program ran and exited 0 (a probe: what it printed does not matter). */
export async function succeeds(
  runner: Runner,
  argv: readonly string[],
  signal?: AbortSignal,
): Promise<boolean> {
  try {
    const outcome = await run({ runner, argv, source: argv[0] ?? '' }, {}, signal);
    return outcome.exitCode === 0;
  } catch {
    // A program that is not there fails to start on some platforms instead of exiting 127.
    signal?.throwIfAborted();
    return false;
  }
}

export interface ProgramSpec {
  readonly runner: Runner;
  readonly argv: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** The source id, for messages (`postgres:moodle`). */
  readonly source: string;
}

interface Outcome {
  readonly exitCode: number | null;
  readonly stderr: string;
}

/** Starts the program; its stdout is the stream, `done` rejects on a non-zero exit. */
export function produce(spec: ProgramSpec, signal?: AbortSignal): ProducedStream {
  const stream = new PassThrough();
  if (spec.runner.kind !== 'exec' || spec.runner.watchdog !== true) {
    return producedStream(stream, run(spec, { stdout: stream }, signal), spec.source);
  }
  // The watchdog's stdin: held open while the dump runs, ended once its output is complete
  // (the exec waits for its input to end before it returns), on a cancel, or when the
  // consumer went away; a cut connection ends it on the pod's side too.
  const lifeline = new PassThrough();
  const release = (): void => {
    lifeline.end();
  };
  stream.once('finish', release).once('close', release);
  signal?.addEventListener('abort', release, { once: true });
  const outcome = run(
    { ...spec, argv: watchedArgv(spec.argv) },
    { stdout: stream, stdin: lifeline },
    signal,
  ).finally(() => {
    signal?.removeEventListener('abort', release);
    release();
  });
  return producedStream(stream, outcome, spec.source);
}

/**
 * `argv` under a stdin watchdog. Closing a pods/exec connection (a cancel, a failed upload)
 * does not end the process it started (kubernetes/kubernetes#89031, kubernetes/kubectl#1076):
 * a pg_dump or mariadb-dump left in the application's pod would keep its snapshot and locks,
 * and the next run would start a second one. What does reach the process is the end of its
 * stdin, when the kubelet closes the stream. So the program runs in the background with
 * /dev/null as its stdin, and `cat` waits on the exec's stdin: its end (the bot's, or the
 * connection's) kills the program. When the program ends first, the watchdog is killed and
 * the program's exit status is the shell's; its stdout and stderr pass through untouched.
 * The `cat` left behind holds only the exec's stdin (its output goes to /dev/null, so the
 * exec's output streams end with the program), and ends with that stdin. A POSIX sh, as
 * dash and busybox have: a background job's stdin is /dev/null unless redirected, hence fd 3.
 * A restore is killable instead (`killableArgv`). `cat` is checked first: without it the
 * watchdog would end at once and kill the dump with no reason given.
 */
export function watchedArgv(argv: readonly string[]): string[] {
  const script =
    needs('cat', 'the dump watchdog') +
    'exec 3<&0 </dev/null; "$@" & p=$!; ' +
    '(cat <&3 >/dev/null 2>&1; kill $p 2>/dev/null) & w=$!; ' +
    'wait $p; s=$?; kill $w 2>/dev/null; exit $s';
  return ['sh', '-c', script, 'sh', ...argv];
}

/** A script's first line: exits 127 with a reason when `program` cannot run in the container. */
function needs(program: string, what: string): string {
  return (
    `command -v ${program} >/dev/null 2>&1 || ` +
    `{ echo 'pes: ${what} needs ${program} in the container' >&2; exit 127; }; `
  );
}

/**
 * `argv` of a cluster restore, killable by `killArgv(pidfile)` from a second exec. A restore
 * cannot run under the stdin watchdog (its stdin is the dump), and the end of its input does
 * not end it when it does not read: `pg_restore --clean --single-transaction` waiting for a
 * DROP behind the application's transaction would keep running in the pod after a cancel,
 * holding its exclusive locks, and `mariadb` would later run the SQL it had buffered after the
 * job was reported cancelled. So the program runs in the background with the exec's stdin
 * (fd 3: a background job's stdin is /dev/null unless redirected), its pid in `pidfile`
 * (a random name, nothing secret), which the shell removes when the program ends; its output
 * and exit status pass through untouched.
 */
export function killableArgv(pidfile: string, argv: readonly string[]): string[] {
  const script =
    needs('rm', 'the restore wrapper') +
    'f=$1; shift; exec 3<&0 </dev/null; "$@" <&3 3<&- & p=$!; ' +
    'echo $p > "$f"; wait $p; s=$?; rm -f "$f"; exit $s';
  return ['sh', '-c', script, 'sh', pidfile, ...argv];
}

/**
 * Ends the restore `killableArgv(pidfile)` started. SIGTERM: pg_restore then sends the server
 * a cancel, so its transaction rolls back; mariadb ends without running the rest of its input.
 */
export function killArgv(pidfile: string): string[] {
  const script =
    '[ -s "$1" ] || exit 0; read -r p < "$1"; kill -TERM "$p"; s=$?; rm -f "$1"; exit $s';
  return ['sh', '-c', script, 'sh', pidfile];
}

/** How long the kill of a cancelled restore may take: it must not hold up the cancel. */
const killTimeoutMs = 30_000;

/** Runs the program with the stream as its stdin; rejects on a non-zero exit. */
export async function consume(
  spec: ProgramSpec,
  input: Readable,
  signal?: AbortSignal,
): Promise<void> {
  const outcome =
    spec.runner.kind === 'exec' && spec.runner.watchdog === true
      ? await runKillable(spec, spec.runner, input, signal)
      : await run(spec, { stdin: input }, signal);
  if (outcome.exitCode === 0) {
    // It took what it needed (pg_restore stops before the end of its input): the engine
    // that writes the rest must still be able to finish.
    await drain(input);
  } else {
    input.destroy();
    throw new UserError('backup-consumer-failed', {
      source: spec.source,
      code: outcome.exitCode ?? 'signal',
      reason: lastLines(outcome.stderr),
    });
  }
}

/**
 * A cluster restore (`killableArgv`): when it does not end on its own (a cancel, a broken
 * connection or input), a second exec in the same container kills it. Its failure is reported
 * on the error the restore fails with, never instead of it.
 */
async function runKillable(
  spec: ProgramSpec,
  runner: Extract<Runner, { kind: 'exec' }>,
  input: Readable,
  signal?: AbortSignal,
): Promise<Outcome> {
  let container: string;
  try {
    container =
      typeof runner.container === 'string' ? runner.container : await runner.container(signal);
  } catch (error) {
    input.resume();
    throw error;
  }
  const pidfile = `/tmp/pes-restore-${randomBytes(8).toString('hex')}.pid`;
  const pinned = { ...runner, container };
  try {
    const outcome = await run(
      { ...spec, runner: pinned, argv: killableArgv(pidfile, spec.argv) },
      { stdin: input },
      signal,
    );
    if (signal?.aborted !== true) return outcome;
  } catch (error) {
    throw await withKill(error, pinned, pidfile);
  }
  throw await withKill(signal.reason, pinned, pidfile);
}

async function withKill(
  error: unknown,
  runner: Extract<Runner, { kind: 'exec' }> & { readonly container: string },
  pidfile: string,
): Promise<unknown> {
  let failure: string | undefined;
  try {
    const result = await runner.platform.exec(
      runner.container,
      killArgv(pidfile),
      runner.user === undefined ? {} : { user: runner.user },
      AbortSignal.timeout(killTimeoutMs),
    );
    // 1: no pidfile or no such process, the restore already ended.
    if (result.exitCode !== 0 && result.exitCode !== 1) {
      failure = `exit ${String(result.exitCode)}: ${lastLines(result.stderr)}`;
    }
  } catch (killError) {
    failure = killError instanceof Error ? killError.message : String(killError);
  }
  if (failure !== undefined && error instanceof Error) {
    // Logged with the restore's own failure (the logger writes an error's cause). A cause the
    // error already has is kept beside the note, never replaced by it.
    const note = new Error(`the restore in ${runner.container} could not be killed: ${failure}`);
    const cause: unknown =
      error.cause === undefined ? note : new AggregateError([error.cause, note], note.message);
    return Object.assign(error, { cause });
  }
  return error;
}

async function run(
  spec: ProgramSpec,
  streams: { readonly stdin?: Readable; readonly stdout?: PassThrough },
  signal?: AbortSignal,
): Promise<Outcome> {
  const { runner } = spec;
  if (runner.kind === 'exec') {
    let container: string;
    try {
      container =
        typeof runner.container === 'string' ? runner.container : await runner.container(signal);
    } catch (error) {
      // As after a run that never started: the input flows away, the output ends broken.
      streams.stdin?.resume();
      streams.stdout?.destroy();
      throw error;
    }
    const result = await runner.platform.exec(
      container,
      spec.argv,
      {
        ...streams,
        ...(runner.user === undefined ? {} : { user: runner.user }),
        ...(spec.env === undefined ? {} : { env: spec.env }),
      },
      signal,
    );
    return result;
  }
  const [file = '', ...args] = spec.argv;
  const result = await runProcess(file, args, {
    ...streams,
    ...(spec.env === undefined ? {} : { env: spec.env }),
    ...(signal === undefined ? {} : { signal }),
  });
  if (result.stdinError !== undefined) {
    // The input broke off: whatever the program made of it is incomplete.
    throw result.stdinError;
  }
  if (result.stdoutError !== undefined) throw result.stdoutError;
  return result;
}
