/**
 * How the benchmarks start a server process that stands for the bot: with the Node flags and
 * environment `./pes` gives the bot (see there: a 1 MB young generation, 32 MB of old
 * generation before the first full collection, no optimizing compiler, two malloc arenas and
 * blocks of 64 KB and more mapped on their own), so that what is measured is what runs.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

export const botNodeFlags = [
  '--max-semi-space-size=1',
  '--initial-old-space-size=32',
  '--no-opt',
] as const;

/** Runs `script --server` in a child process set up like the bot's. */
export function spawnBotLike(script: string): ChildProcessWithoutNullStreams {
  return spawn(
    process.execPath,
    [...botNodeFlags, '--disable-warning=ExperimentalWarning', script, '--server'],
    {
      stdio: 'pipe',
      env: {
        ...process.env,
        MALLOC_ARENA_MAX: process.env['MALLOC_ARENA_MAX'] ?? '2',
        MALLOC_MMAP_THRESHOLD_: process.env['MALLOC_MMAP_THRESHOLD_'] ?? '65536',
      },
    },
  );
}
