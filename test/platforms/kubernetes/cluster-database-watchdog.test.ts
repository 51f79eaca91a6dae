/**
 * The stdin watchdog a cluster database's dump runs under (process.ts watchedArgv), with this
 * machine's sh: the program's output and exit status pass through untouched, the shell ends
 * with the program while its stdin is still open (else the exec would wait for the bot, and
 * the bot for the exec), and the end of its stdin ends the program.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { watchedArgv } from '../../../src/backup/sources/process.ts';

interface Ended {
  readonly code: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

function start(argv: readonly string[]): {
  readonly ended: Promise<Ended>;
  readonly endStdin: () => void;
} {
  const [file = '', ...args] = watchedArgv(argv);
  const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const ended = new Promise<Ended>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }));
  });
  return { ended, endStdin: () => child.stdin.end() };
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
