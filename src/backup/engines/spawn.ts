/**
 * Runs an engine or dump program: an argv array (never a shell), secrets in its environment
 * (never in argv, where `ps` shows them), stdin fed from a stream and stdout written to one
 * with backpressure, stdout optionally split into lines, stderr kept up to a cap.
 *
 * A cancel sends SIGINT first: restic and borg then remove their repository lock, while a
 * SIGKILLed one leaves a stale lock that blocks prune and check (docs/FIELD-NOTES.md "restic").
 */
import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { UserError } from '../../core/errors.ts';
import { withoutBotMalloc } from '../engine-launch-input.ts';
import { feed } from '../../streams/feed.ts';

export interface SpawnOptions {
  /** Set on top of the bot's environment: passwords go here. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Variables of the bot's own environment to leave out, by prefix: a stray
   * RESTIC_PASSWORD_COMMAND or BORG_REPO there must not redirect what the engine does.
   */
  readonly dropEnv?: readonly string[];
  /** Fed to the program's stdin; without it stdin is empty (a prompt reads EOF, never hangs). */
  readonly stdin?: Readable;
  /** Receives stdout; it is ended when the program's stdout ends. */
  readonly stdout?: Writable;
  /** Called for each line of stdout (when no `stdout` stream is given). */
  readonly onStdoutLine?: (line: string) => void;
  readonly onStderrLine?: (line: string) => void;
  /** Bytes of stdout kept when it is neither streamed nor split (e.g. `snapshots --json`). */
  readonly stdoutLimit?: number;
  /** Bytes of stderr kept: the newest ones, where the fatal message is. */
  readonly stderrLimit?: number;
  readonly signal?: AbortSignal;
  /** How long a program may take to exit after SIGINT before it is killed. */
  readonly killGraceMs?: number;
  /** The working directory: a file-level backup records paths relative to it. */
  readonly cwd?: string;
  /** Ends the program when it shows no progress for a while (see `StallWatch`). */
  readonly stall?: StallWatch;
}

/**
 * A repository that stops answering in the middle of a run: over sftp or ssh, restic 0.14 and
 * borg 1.2 then wait for the server forever (restic keeps printing the same status line; a
 * SIGINT does not end either of them, measured), and restic retries a failing backend for up
 * to 15 minutes. The watch ends such a program: SIGINT, then SIGKILL after `killGraceMs`.
 */
export interface StallWatch {
  /** How long the program may go without a line that `isProgress` accepts. */
  readonly ms: number;
  /** Whether a line of stdout or stderr shows the program got further. */
  readonly isProgress: (line: string, stream: 'stdout' | 'stderr') => boolean;
  /** How long a stalled program may take to exit after SIGINT: it is waiting on a dead peer. */
  readonly killGraceMs: number;
}

export interface SpawnResult {
  /** null when the program was ended by a signal. */
  readonly exitCode: number | null;
  readonly exitSignal: NodeJS.Signals | null;
  /** Collected stdout (empty when it was streamed or split into lines). */
  readonly stdout: string;
  /** The tail of stderr. */
  readonly stderr: string;
  /**
   * The input's own error, if it failed (the program then saw its stdin closed, and may
   * have taken a cut stream for the whole). A program that quit reading is not an error
   * here: after a success the rest of the input is left to the caller (`drain`).
   */
  readonly stdinError: Error | undefined;
  /** Why writing stdout to `options.stdout` failed (the consumer broke off), if it did. */
  readonly stdoutError: Error | undefined;
  /** The program was ended by the stall watch (`options.stall`). */
  readonly stalled?: boolean;
}

const defaultStdoutLimit = 64 * 1024 * 1024;
const defaultStderrLimit = 64 * 1024;
const defaultKillGraceMs = 15_000;
/** A line longer than this (no engine prints one) is cut, so memory stays bounded. */
const maxLineBytes = 1024 * 1024;

export function runProcess(
  file: string,
  args: readonly string[],
  options: SpawnOptions = {},
): Promise<SpawnResult> {
  const { signal } = options;
  if (signal?.aborted === true) return Promise.reject(signal.reason as Error);
  const child = spawn(file, [...args], {
    env: buildEnv(options),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  const { stdout: childStdout, stderr: childStderr } = child;
  if (childStdout === null || childStderr === null) throw new Error('spawn gave no stdio pipes');

  let killTimer: NodeJS.Timeout | undefined;
  const stop = (graceMs: number): void => {
    child.kill('SIGINT');
    killTimer ??= setTimeout(() => child.kill('SIGKILL'), graceMs);
  };
  const { stall } = options;
  let stalled = false;
  const stallTimer =
    stall === undefined
      ? undefined
      : setTimeout(() => {
          stalled = true;
          stop(stall.killGraceMs);
        }, stall.ms);
  const watched = (
    stream: 'stdout' | 'stderr',
    onLine: ((line: string) => void) | undefined,
  ): ((line: string) => void) | undefined => {
    if (stall === undefined || stallTimer === undefined) return onLine;
    return (line) => {
      if (!stalled && stall.isProgress(line, stream)) stallTimer.refresh();
      onLine?.(line);
    };
  };

  const stderr = tailKeeper(options.stderrLimit ?? defaultStderrLimit);
  const onStderrLine = watched('stderr', options.onStderrLine);
  const stderrLines = onStderrLine === undefined ? undefined : lineSplitter(onStderrLine);
  childStderr.on('data', (chunk: Buffer) => {
    stderr.push(chunk);
    stderrLines?.push(chunk);
  });

  let stdoutText = '';
  let stdoutError: Error | undefined;
  let stdoutDone: Promise<void>;
  if (options.stdout !== undefined) {
    stdoutDone = pipeline(childStdout, options.stdout).catch((error: unknown) => {
      stdoutError = asError(error);
      // The consumer is gone: stop the program rather than let it block on a full pipe.
      childStdout.destroy();
    });
  } else {
    const onStdoutLine = watched('stdout', options.onStdoutLine);
    const lines = onStdoutLine === undefined ? undefined : lineSplitter(onStdoutLine);
    const limit = options.stdoutLimit ?? defaultStdoutLimit;
    const kept: Buffer[] = [];
    let size = 0;
    childStdout.on('data', (chunk: Buffer) => {
      lines?.push(chunk);
      // Kept unless the caller takes the lines: a stall watch splits stdout into lines too,
      // and the output (borg's `--json` result) must still come back whole.
      if (options.onStdoutLine === undefined) {
        if (size < limit) kept.push(chunk.subarray(0, limit - size));
        size += chunk.length;
      }
    });
    stdoutDone = new Promise<void>((resolve) => {
      childStdout.on('close', () => {
        lines?.end();
        stdoutText = Buffer.concat(kept).toString('utf8');
        resolve();
      });
    });
  }

  let stdinError: Error | undefined;
  let stdinCut = false;
  const stdinDone =
    options.stdin === undefined || child.stdin === null
      ? Promise.resolve()
      : feed(options.stdin, child.stdin).then((outcome) => {
          stdinError = outcome.inputError;
          stdinCut = outcome.targetError !== undefined;
        });

  // Its stdin is closed too: borg does not act on SIGINT while it waits for input. Should
  // the EOF win the race and the engine store what it got, the engines remove that snapshot.
  const onAbort = (): void => {
    stop(options.killGraceMs ?? defaultKillGraceMs);
    options.stdin?.destroy();
  };
  signal?.addEventListener('abort', onAbort, { once: true });

  // A program the watch ended may leave a child behind that holds its stdout or stderr (the
  // ssh or sftp-server it started, stopped too): its pipes then never close on their own.
  child.once('exit', () => {
    if (!stalled) return;
    childStdout.destroy();
    childStderr.destroy();
  });

  return new Promise<SpawnResult>((resolve, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      signal?.removeEventListener('abort', onAbort);
      clearTimeout(stallTimer);
      options.stdin?.destroy();
      if (error.code === 'ENOENT')
        reject(new UserError('backup-program-missing', { program: file }));
      else reject(error);
    });
    child.once('close', (exitCode, exitSignal) => {
      signal?.removeEventListener('abort', onAbort);
      clearTimeout(killTimer);
      clearTimeout(stallTimer);
      stderrLines?.end();
      void Promise.all([stdinDone, stdoutDone]).then(() => {
        // It quit reading and failed: whoever feeds the input must stop. (After a success
        // the rest is the caller's to drain: see `drain`.)
        if ((stdinCut && exitCode !== 0) || signal?.aborted === true) options.stdin?.destroy();
        if (signal?.aborted === true) {
          reject(signal.reason as Error);
          return;
        }
        resolve({
          exitCode,
          exitSignal,
          stdout: stdoutText,
          stderr: stderr.text(),
          stdinError,
          stdoutError,
          ...(stalled ? { stalled } : {}),
        });
      });
    });
  });
}

/** Reads what is left of a stream and drops it, so that its writer can finish. */
export async function drain(input: Readable): Promise<void> {
  if (input.destroyed || input.readableEnded) return;
  await finished(input.resume()).catch(() => undefined);
}

function buildEnv(options: SpawnOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  const drop = options.dropEnv ?? [];
  for (const [key, value] of Object.entries(withoutBotMalloc(process.env))) {
    if (!drop.some((prefix) => key.startsWith(prefix))) env[key] = value;
  }
  // Messages are matched by their English text (restic 0.14 has no codes for most errors).
  env['LC_ALL'] = 'C';
  env['LANG'] = 'C';
  return { ...env, ...options.env };
}

/** Keeps the newest `limit` bytes pushed into it. */
export function tailKeeper(limit: number): { push(chunk: Buffer): void; text(): string } {
  let kept: Buffer = Buffer.alloc(0);
  return {
    push(chunk) {
      kept = Buffer.concat([kept, chunk]);
      if (kept.length > limit) kept = kept.subarray(kept.length - limit);
    },
    text: () => kept.toString('utf8'),
  };
}

/** Splits a byte stream into UTF-8 lines; a multi-byte character may span chunks. */
export function lineSplitter(onLine: (line: string) => void): {
  push(chunk: Buffer): void;
  end(): void;
} {
  let pending: Buffer = Buffer.alloc(0);
  const emit = (bytes: Buffer): void => {
    const line = bytes.toString('utf8').replace(/\r$/, '');
    if (line !== '') onLine(line);
  };
  return {
    push(chunk) {
      let data: Buffer = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      for (let nl = data.indexOf(0x0a); nl !== -1; nl = data.indexOf(0x0a)) {
        emit(data.subarray(0, nl));
        data = data.subarray(nl + 1);
      }
      pending = data.length > maxLineBytes ? data.subarray(0, maxLineBytes) : Buffer.from(data);
    },
    end() {
      if (pending.length > 0) emit(pending);
      pending = Buffer.alloc(0);
    },
  };
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
