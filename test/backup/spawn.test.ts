/** Running engine programs: argv, environment, streams with backpressure, cancel, errors. */
import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runProcess } from '../../src/backup/engines/spawn.ts';
import { UserError } from '../../src/core/errors.ts';

describe('runProcess', () => {
  it('passes secrets in the environment, drops inherited variables by prefix', async () => {
    process.env['RESTIC_STRAY_TEST'] = 'from-the-bot';
    try {
      const result = await runProcess('env', [], {
        env: { RESTIC_PASSWORD: 'pw-in-env' },
        dropEnv: ['RESTIC_'],
      });
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toContain('RESTIC_PASSWORD=pw-in-env');
      expect(result.stdout).not.toContain('RESTIC_STRAY_TEST');
      expect(result.stdout).toContain('LC_ALL=C');
    } finally {
      delete process.env['RESTIC_STRAY_TEST'];
    }
  });

  it('starts an engine without the bot’s own malloc settings', async () => {
    const before = { ...process.env };
    process.env['MALLOC_ARENA_MAX'] = '2';
    process.env['MALLOC_MMAP_THRESHOLD_'] = '65536';
    process.env['PES_SEEN_TEST'] = 'yes';
    try {
      const result = await runProcess('env', [], {});
      expect(result.stdout).toContain('PES_SEEN_TEST=yes');
      expect(result.stdout).not.toMatch(/^MALLOC_/m);
    } finally {
      for (const name of ['MALLOC_ARENA_MAX', 'MALLOC_MMAP_THRESHOLD_', 'PES_SEEN_TEST']) {
        if (before[name] === undefined) Reflect.deleteProperty(process.env, name);
        else process.env[name] = before[name];
      }
    }
  });

  it('streams stdin to stdout with backpressure: a slow consumer gets every byte', async () => {
    const size = 8 * 1024 * 1024;
    let produced = 0;
    const input = new Readable({
      read() {
        if (produced >= size) return void this.push(null);
        const chunk = Buffer.alloc(64 * 1024, produced % 251);
        produced += chunk.length;
        this.push(chunk);
      },
    });
    let received = 0;
    let maxBuffered = 0;
    const output = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _encoding, callback) {
        received += chunk.length;
        maxBuffered = Math.max(maxBuffered, produced - received);
        setTimeout(callback, 0);
      },
    });
    const result = await runProcess('cat', [], { stdin: input, stdout: output });
    expect(result.exitCode).toBe(0);
    expect(received).toBe(size);
    // Pipes and stream buffers hold a few hundred KB at most, never the whole stream.
    expect(maxBuffered).toBeLessThan(2 * 1024 * 1024);
  });

  it('splits stdout into lines across chunks', async () => {
    const lines: string[] = [];
    const result = await runProcess('printf', ['a\\nbb\\n\\nccc'], {
      onStdoutLine: (l) => lines.push(l),
    });
    expect(result.exitCode).toBe(0);
    expect(lines).toEqual(['a', 'bb', 'ccc']);
  });

  it('keeps only the tail of stderr', async () => {
    const result = await runProcess('ls', ['/no/such/dir/at/all'], { stderrLimit: 20 });
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr.length).toBeLessThanOrEqual(20);
  });

  it('a missing program is a clear error', async () => {
    const error: unknown = await runProcess('no-such-program-pes', []).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).code).toBe('backup-program-missing');
  });

  it('a cancel interrupts the program (SIGINT) and rejects with the reason', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const running = runProcess('sleep', ['30'], { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('cancelled by test')), 100);
    await expect(running).rejects.toThrow('cancelled by test');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('reports a consumer that broke off', async () => {
    const output = new Writable({
      write(_chunk, _encoding, callback) {
        callback(new Error('disk gone'));
      },
    });
    const result = await runProcess('head', ['-c', '1000000', '/dev/zero'], { stdout: output });
    expect(result.stdoutError?.message).toBe('disk gone');
  });
});
