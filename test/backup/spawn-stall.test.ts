/**
 * The stall watch of runProcess: a program that stops getting further is ended, also one that
 * ignores SIGINT and leaves a stopped child holding its pipes (what restic and borg do when
 * their sftp or ssh peer stops answering); one that keeps getting further is left alone.
 */
import { describe, expect, it } from 'vitest';
import { runProcess } from '../../src/backup/engines/spawn.ts';

const progressOnly = (line: string): boolean => line.startsWith('progress');

describe('runProcess stall watch', () => {
  it('ends a program that prints the same line over and over, SIGINT ignored, child holding stderr', async () => {
    const started = Date.now();
    // The stopped `sleep` keeps stderr open, as the stopped sftp-server does restic's.
    const script =
      'trap \'\' INT; sleep 600 & kill -STOP $!; echo "child $!" >&2; echo progress 1; ' +
      'while true; do echo same; sleep 0.1; done';
    const result = await runProcess('sh', ['-c', script], {
      onStdoutLine: () => undefined,
      onStderrLine: () => undefined,
      stall: { ms: 500, isProgress: progressOnly, killGraceMs: 300 },
    });
    expect(result.stalled).toBe(true);
    expect(result.exitSignal).toBe('SIGKILL');
    // Bounded by the watch and the grace, with room for a loaded machine.
    expect(Date.now() - started).toBeLessThan(15_000);
    const child = /child (\d+)/.exec(result.stderr)?.[1];
    if (child !== undefined) process.kill(Number(child), 'SIGKILL');
  });

  it('leaves a program that keeps getting further alone', async () => {
    const script = 'i=0; while [ $i -lt 12 ]; do echo progress $i; sleep 0.1; i=$((i+1)); done';
    const lines: string[] = [];
    const result = await runProcess('sh', ['-c', script], {
      onStdoutLine: (line) => lines.push(line),
      stall: { ms: 1000, isProgress: progressOnly, killGraceMs: 300 },
    });
    expect(result.stalled).toBeUndefined();
    expect(result.exitCode).toBe(0);
    expect(lines).toHaveLength(12);
  });

  it('counts progress on stderr too, when the program says so there', async () => {
    const script = 'i=0; while [ $i -lt 12 ]; do echo progress $i >&2; sleep 0.1; i=$((i+1)); done';
    const result = await runProcess('sh', ['-c', script], {
      stall: { ms: 1000, isProgress: progressOnly, killGraceMs: 300 },
    });
    expect(result.stalled).toBeUndefined();
    expect(result.exitCode).toBe(0);
  });
});
