/**
 * The bot's own malloc settings: one list (engine-launch-input.ts), left out of what the
 * programs it starts inherit, by bin/pes.js at start and by `withoutBotMalloc`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { botMallocSettings, withoutBotMalloc } from '../../src/backup/engine-launch-input.ts';
import { runPes } from '../helpers/cli.ts';

describe('withoutBotMalloc', () => {
  it('leaves out exactly the listed names and keeps everything else as it was', () => {
    const env = {
      MALLOC_ARENA_MAX: '2',
      MALLOC_MMAP_THRESHOLD_: '65536',
      MALLOC_TOP_PAD_: '0',
      PATH: '/usr/bin',
      RESTIC_PASSWORD: 'pw',
    };
    expect(withoutBotMalloc(env)).toEqual({
      MALLOC_TOP_PAD_: '0',
      PATH: '/usr/bin',
      RESTIC_PASSWORD: 'pw',
    });
    expect(env.MALLOC_ARENA_MAX).toBe('2');
  });

  it('lists the settings ./pes and the image give the bot', () => {
    expect([...botMallocSettings].sort()).toEqual(['MALLOC_ARENA_MAX', 'MALLOC_MMAP_THRESHOLD_']);
  });
});

describe('bin/pes.js', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('removes the listed settings from its own environment before the bot runs', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pes-malloc-'));
    const out = join(dir, 'env.json');
    // Loaded before bin/pes.js: writes down what the process's environment holds at its exit.
    const preload = join(dir, 'env-at-exit.mjs');
    writeFileSync(
      preload,
      [
        "import { writeFileSync } from 'node:fs';",
        "process.on('exit', () => {",
        '  const names = Object.keys(process.env).filter(',
        "    (name) => name.startsWith('MALLOC_') || name === 'PES_SEEN',",
        '  );',
        `  writeFileSync(${JSON.stringify(out)}, JSON.stringify(names.sort()));`,
        '});',
        '',
      ].join('\n'),
    );
    const run = await runPes(['--version'], {
      cwd: dir,
      env: {
        MALLOC_ARENA_MAX: '2',
        MALLOC_MMAP_THRESHOLD_: '65536',
        MALLOC_TOP_PAD_: '0',
        PES_SEEN: 'yes',
      },
      nodeArgs: ['--import', pathToFileURL(preload).href],
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^pes-bot /);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(['MALLOC_TOP_PAD_', 'PES_SEEN']);
  });
});
