/**
 * Runs restic or borg inside a helper container or a claim pod with variables that must not
 * show there: `node /app/src/backup/engine-launch.ts <restic|borg> <args…>`. Its stdin is one
 * header line, a JSON object of variables (engine-launch-input.ts says which names), then the
 * engine's own stdin (the password), which is passed on as it comes. The engine is started
 * with argv (no shell), those variables on top of this process's environment, and stdout and
 * stderr as this process's own. Its exit code is this process's (a signal: 128 + its number),
 * and SIGINT, SIGTERM and SIGHUP are handed on to it: a helper's stop signal (SIGINT) reaches
 * this process as the container's first one, and the engine must get it to remove its lock.
 *
 * With `--stall=<ms>,<grace ms>` before the program it watches the engine's output as
 * spawn.ts does for an engine run here (engines/stall.ts): an engine that shows no progress
 * for that long (a repository that stopped answering) gets SIGINT, then SIGKILL after the
 * grace, and the launcher exits with `launchStalledExit` after a line starting with
 * `stallMarker`. Here, not on the bot's side: an engine exec'd in a pod cannot be signalled
 * from outside.
 *
 * A read error of its stdin stops the engine (SIGINT, SIGKILL after a grace) and ends it
 * non-zero after one line on stderr; before the engine is started, as a refused input.
 *
 * Refused input (no header, bad JSON, a name not allowed, too long a line) ends it with
 * `launchRefusedExit` and one line on stderr that names no value, before anything is started.
 * Only node's own modules and pure modules without imports are imported: the launcher runs
 * from the image's sources as they are (Node strips the types).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import {
  launchRefusedExit,
  launchStalledExit,
  maxHeaderBytes,
  parseLaunchArgv,
  parseLaunchHeader,
  stallMarker,
  type LaunchProgram,
  type LaunchStall,
  withoutBotMalloc,
} from './engine-launch-input.ts';
import { borgProgressWatch, resticProgressWatch } from './engines/stall.ts';

function refuse(reason: string): never {
  // A pipe's or a file's writes are synchronous in Node on Linux: the line is out before exit.
  process.stderr.write(`engine-launch: ${reason}; nothing was run\n`);
  process.exit(launchRefusedExit);
}

function signalExit(signal: NodeJS.Signals): number {
  return 128 + constants.signals[signal];
}

let child: ChildProcess | undefined;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (child === undefined) process.exit(signalExit(signal));
    else child.kill(signal);
  });
}

/** How long an engine stopped for a broken stdin may take to remove its lock. */
const stdinFailureGraceMs = 10_000;
let stdinFailed = false;
// A read error of stdin (the exec's stream reset, say) would otherwise end this process with
// an uncaught error and leave the engine running alone, without its input, in a claim pod.
// The engine is stopped as a cancel stops it (SIGINT, so that it removes its lock; SIGKILL
// after a grace), and this process exits non-zero when it has ended.
process.stdin.on('error', (error: NodeJS.ErrnoException) => {
  if (stdinFailed) return;
  stdinFailed = true;
  if (child === undefined) refuse(`reading stdin failed (${error.code ?? error.message})`);
  process.stderr.write(
    `engine-launch: reading stdin failed (${error.code ?? error.message}); stopping the engine\n`,
  );
  const running = child;
  running.kill('SIGINT');
  setTimeout(() => running.kill('SIGKILL'), stdinFailureGraceMs).unref();
});

/** The header line (without its newline) and what came after it in the same read. */
function readHeader(): Promise<{ line: string; rest: Buffer }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const tooLong = (): never => refuse(`the header line is longer than ${maxHeaderBytes} bytes`);
    const onEnd = (): never => refuse('stdin ended before the header line did');
    const onData = (chunk: Buffer): void => {
      const at = chunk.indexOf(0x0a);
      if (at === -1) {
        size += chunk.length;
        if (size >= maxHeaderBytes) tooLong();
        chunks.push(chunk);
        return;
      }
      if (size + at + 1 > maxHeaderBytes) tooLong();
      process.stdin.off('data', onData);
      process.stdin.off('end', onEnd);
      process.stdin.pause();
      chunks.push(chunk.subarray(0, at));
      resolve({ line: Buffer.concat(chunks).toString('utf8'), rest: chunk.subarray(at + 1) });
    };
    process.stdin.on('data', onData);
    process.stdin.once('end', onEnd);
  });
}

/** Calls `onLine` for each line of a stream's chunks (at most 1 MiB of one line is kept). */
function lines(onLine: (line: string) => void): (chunk: Buffer) => void {
  let pending = '';
  return (chunk) => {
    const parts = (pending + chunk.toString('utf8')).split('\n');
    pending = (parts.pop() ?? '').slice(0, 1024 * 1024);
    for (const line of parts) onLine(line.replace(/\r$/, ''));
  };
}

/** Watches the engine's output; on a stall, stops it and marks the exit as stalled. */
function watchStall(
  started: ChildProcess,
  program: LaunchProgram,
  stall: LaunchStall,
): () => boolean {
  const isProgress = program === 'restic' ? resticProgressWatch() : borgProgressWatch();
  let stalled = false;
  const timer = setTimeout(() => {
    // An engine that has exited is not stalled, though its pipes may still be open (a child
    // it left behind holds them): its own exit code tells how it went.
    if (started.exitCode !== null || started.signalCode !== null) return;
    stalled = true;
    process.stderr.write(
      `${stallMarker}: no progress for ${Math.round(stall.ms / 1000)} s; stopping ${program}\n`,
    );
    started.kill('SIGINT');
    setTimeout(() => started.kill('SIGKILL'), stall.graceMs).unref();
  }, stall.ms);
  timer.unref();
  for (const stream of ['stdout', 'stderr'] as const) {
    const source = started[stream];
    if (source === null) continue;
    const target = stream === 'stdout' ? process.stdout : process.stderr;
    source.on(
      'data',
      lines((line) => {
        if (line !== '' && !stalled && isProgress(line, stream)) timer.refresh();
      }),
    );
    source.pipe(target, { end: false });
  }
  return () => stalled;
}

async function main(): Promise<void> {
  const launch = parseLaunchArgv(process.argv.slice(2));
  if (!launch.ok) refuse(launch.reason);
  const { program, args, stall } = launch;
  const { line, rest } = await readHeader();
  const header = parseLaunchHeader(line);
  if (!header.ok) refuse(header.reason);
  const started = spawn(program, args, {
    // The image's malloc settings are the bot's, not the engine's (engine-launch-input.ts).
    env: { ...withoutBotMalloc(process.env), ...header.env },
    stdio: [
      'pipe',
      stall === undefined ? 'inherit' : 'pipe',
      stall === undefined ? 'inherit' : 'pipe',
    ],
  });
  child = started;
  const stalled = stall === undefined ? () => false : watchStall(started, program, stall);
  started.once('error', (error: NodeJS.ErrnoException) => {
    process.stderr.write(
      `engine-launch: cannot start ${program}: ${error.code ?? error.message}\n`,
    );
    process.exit(127);
  });
  const finish = (code: number | null, signal: NodeJS.Signals | null): never => {
    const own = code ?? (signal === null ? 1 : signalExit(signal));
    // An engine stopped for a broken stdin may still exit 0: the run did not go as asked.
    process.exit(stalled() ? launchStalledExit : stdinFailed && own === 0 ? 1 : own);
  };
  started.once('exit', (code, signal) => {
    if (stall === undefined) finish(code, signal);
    // What the engine wrote last may still be in its pipes: passed on first ('close'). A
    // child it left behind (ssh) may hold them open: not waited for long.
    setTimeout(() => finish(code, signal), 2000);
  });
  started.once('close', finish);
  // An engine that needs no more input may close its stdin first: no failure of the run.
  started.stdin?.on('error', () => undefined);
  if (started.stdin !== null) {
    if (rest.length > 0) started.stdin.write(rest);
    process.stdin.pipe(started.stdin);
  }
}

await main();
