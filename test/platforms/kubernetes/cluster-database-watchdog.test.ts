/**
 * The stdin watchdog a cluster database's dump runs under (process.ts watchedArgv), with this
 * machine's sh: the program's output and exit status pass through untouched, the shell ends
 * with the program while its stdin is still open (else the exec would wait for the bot, and
 * the bot for the exec), and the end of its stdin ends the program.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { killArgv, killableArgv, watchedArgv } from '../../../src/backup/sources/process.ts';

interface Ended {
  readonly code: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

function start(
  argv: readonly string[],
  options: { readonly wrap?: (argv: readonly string[]) => string[]; readonly path?: string } = {},
): {
  readonly ended: Promise<Ended>;
  readonly endStdin: () => void;
  readonly write: (text: string) => void;
} {
  const [, ...args] = (options.wrap ?? watchedArgv)(argv);
  const child = spawn('/bin/sh', args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(options.path === undefined ? {} : { env: { PATH: options.path } }),
  });
  const out: Buffer[] = [];
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const ended = new Promise<Ended>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }));
  });
  return {
    ended,
    endStdin: () => child.stdin.end(),
    write: (text) => child.stdin.write(text),
  };
}

describe('the stdin watchdog of a dump', () => {
  it('passes output and exit status through and ends with the program, its stdin still open', async () => {
    const run = start(['sh', '-c', 'printf "a\\000b"; echo warning >&2; exit 7']);
    try {
      // 'close' (all output streams ended) comes with stdin never ended.
      const ended = await run.ended;
      expect(ended.code).toBe(7);
      expect([...ended.stdout]).toEqual([0x61, 0, 0x62]);
      expect(ended.stderr).toBe('warning\n');
    } finally {
      run.endStdin();
    }
  });

  it('ends the program when its stdin ends', async () => {
    const run = start(['sleep', '600']);
    run.endStdin();
    const ended = await run.ended;
    // 128 + SIGTERM: killed, not finished.
    expect(ended.code).toBe(143);
  });
});

describe('the watchdog and the restore wrapper say what they miss', () => {
  it('the watchdog without cat exits 127 with a reason, the program never run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pes-nocat-'));
    try {
      const marker = join(dir, 'ran');
      const run = start(['/bin/sh', '-c', `: > ${marker}`], { path: dir });
      const ended = await run.ended.finally(run.endStdin);
      expect(ended.code).toBe(127);
      expect(ended.stderr).toBe('pes: the dump watchdog needs cat in the container\n');
      expect(existsSync(marker)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the restore wrapper without rm exits 127 with a reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pes-norm-'));
    try {
      const pidfile = join(dir, 'restore.pid');
      const run = start(['/bin/cat'], { wrap: (a) => killableArgv(pidfile, a), path: dir });
      const ended = await run.ended.finally(run.endStdin);
      expect(ended.code).toBe(127);
      expect(ended.stderr).toBe('pes: the restore wrapper needs rm in the container\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the killable restore wrapper', () => {
  it('feeds its stdin to the program, passes its exit status, and removes its pidfile', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pes-restore-'));
    try {
      const pidfile = join(dir, 'restore.pid');
      const run = start(['sh', '-c', 'cat; exit 3'], { wrap: (a) => killableArgv(pidfile, a) });
      run.write('dump\n');
      run.endStdin();
      const ended = await run.ended;
      expect(ended.code).toBe(3);
      expect(ended.stdout.toString()).toBe('dump\n');
      expect(existsSync(pidfile)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is ended by the kill from another shell while its stdin stays open', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pes-restore-'));
    try {
      const pidfile = join(dir, 'restore.pid');
      // Stands for a restore blocked on a lock: it reads nothing.
      const run = start(['sleep', '600'], { wrap: (a) => killableArgv(pidfile, a) });
      const deadline = Date.now() + 30_000;
      while (!existsSync(pidfile) || readFileSync(pidfile, 'utf8').trim() === '') {
        if (Date.now() > deadline) throw new Error('no pidfile');
        await new Promise((r) => setTimeout(r, 50));
      }
      const [file = '', ...args] = killArgv(pidfile);
      await promisify(execFile)(file, args);
      const ended = await run.ended.finally(run.endStdin);
      // 128 + SIGTERM.
      expect(ended.code).toBe(143);
      expect(existsSync(pidfile)).toBe(false);
      // Nothing left to kill: the kill of an ended restore succeeds.
      await promisify(execFile)(file, args);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
