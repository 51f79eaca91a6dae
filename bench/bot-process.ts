/**
 * How the benchmarks start a server process that stands for the bot: with the Node flags and
 * environment `./pes` gives the bot (see there: a 1 MB young generation, 64 MB of old
 * generation before the first full collection, two malloc arenas), so that what is measured
 * is what runs.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

export const botNodeFlags = ['--max-semi-space-size=1', '--initial-old-space-size=64'] as const;

/** Runs `script --server` in a child process set up like the bot's. */
export function spawnBotLike(script: string): ChildProcessWithoutNullStreams {
  return spawn(
    process.execPath,
    [...botNodeFlags, '--disable-warning=ExperimentalWarning', script, '--server'],
    {
      stdio: 'pipe',
      env: { ...process.env, MALLOC_ARENA_MAX: process.env['MALLOC_ARENA_MAX'] ?? '2' },
    },
  );
}
