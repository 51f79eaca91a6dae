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
 * Refused input (no header, bad JSON, a name not allowed, too long a line) ends it with
 * `launchRefusedExit` and one line on stderr that names no value, before anything is started.
 * Only node's own modules and the pure input module are imported: the launcher runs from the
 * image's sources as they are (Node strips the types).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import {
  launchPrograms,
  launchRefusedExit,
  maxHeaderBytes,
  parseLaunchHeader,
  type LaunchProgram,
} from './engine-launch-input.ts';

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

function isProgram(name: string | undefined): name is LaunchProgram {
  return launchPrograms.some((p) => p === name);
}

async function main(): Promise<void> {
  const [program, ...args] = process.argv.slice(2);
  if (!isProgram(program)) refuse(`the program must be one of ${launchPrograms.join(', ')}`);
  const { line, rest } = await readHeader();
  const header = parseLaunchHeader(line);
  if (!header.ok) refuse(header.reason);
  const started = spawn(program, args, {
    env: { ...process.env, ...header.env },
    stdio: ['pipe', 'inherit', 'inherit'],
  });
  child = started;
  started.once('error', (error: NodeJS.ErrnoException) => {
    process.stderr.write(
      `engine-launch: cannot start ${program}: ${error.code ?? error.message}\n`,
    );
    process.exit(127);
  });
  started.once('exit', (code, signal) => {
    process.exit(code ?? (signal === null ? 1 : signalExit(signal)));
  });
  // An engine that needs no more input may close its stdin first: no failure of the run.
  started.stdin?.on('error', () => undefined);
  if (started.stdin !== null) {
    if (rest.length > 0) started.stdin.write(rest);
    process.stdin.pipe(started.stdin);
  }
}

await main();
