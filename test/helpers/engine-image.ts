/**
 * The image of the helper that runs restic and borg next to a volume in the tests: Debian's
 * restic and borgbackup on the debian base of scripts/image-bases.sh (test/fakes/engine-helper/
 * Dockerfile), with Node, the engine launcher (src/backup/engine-launch.ts) and the tree
 * measure (src/backup/tree-measure-cli.ts) where the bot's image has them. The bot's own image
 * would do too, but building it takes minutes; this one holds the same engine packages and is
 * built once per content (the tag carries the hash of the Dockerfile, the bot's files it holds
 * and the Node version).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * The bot's files that run in a helper or a claim pod, under src/backup: the engine launcher
 * and the tree measure, with all they import (node's own modules aside). In the build
 * context at the same place (`src/backup/…`), which the Dockerfiles copy to /app/src.
 */
const launcherFiles = [
  'engine-launch.ts',
  'engine-launch-input.ts',
  'engines/stall.ts',
  'name-text.ts',
  'printable-name.ts',
  'tree-measure-cli.ts',
  'tree-measure-input.ts',
  'tree-walk.ts',
];
const launcherDir = join(import.meta.dirname, '..', '..', 'src', 'backup');

/** A hash of the Dockerfile in `dir`, the bot's files and the Node that runs the tests. */
export function launcherImageHash(dockerfile: string, extra = ''): string {
  const hash = createHash('sha256').update(`${extra}\n${process.version}\n${dockerfile}`);
  for (const file of launcherFiles) hash.update(readFileSync(join(launcherDir, file)));
  return hash.digest('hex').slice(0, 16);
}

/**
 * A build context of the Dockerfile in `dir`, the bot's files (`src/backup/…`) and the Node
 * that runs the tests (Node 24: it runs their TypeScript as the bot's image does); removed by
 * the returned function.
 */
export function launcherContext(dir: string): {
  readonly path: string;
  readonly remove: () => void;
} {
  const path = mkdtempSync(join(tmpdir(), 'pes-engine-image-'));
  copyFileSync(join(dir, 'Dockerfile'), join(path, 'Dockerfile'));
  copyFileSync(process.execPath, join(path, 'node'));
  for (const file of launcherFiles) {
    const target = join(path, 'src', 'backup', file);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(join(launcherDir, file), target);
  }
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

const contextDir = join(import.meta.dirname, '..', 'fakes', 'engine-helper');

export const engineHelperImage = `pes-test/engine-helper:${launcherImageHash(
  readFileSync(join(contextDir, 'Dockerfile'), 'utf8'),
)}`;

export function ensureEngineHelperImage(): string {
  const known = spawnSync('docker', ['image', 'inspect', engineHelperImage], { stdio: 'ignore' });
  if (known.status === 0) return engineHelperImage;
  const context = launcherContext(contextDir);
  try {
    const built = spawnSync(
      'docker',
      ['build', '--network', 'none', '--tag', engineHelperImage, context.path],
      { encoding: 'utf8', env: { ...process.env, DOCKER_BUILDKIT: '0' }, timeout: 600_000 },
    );
    if (built.status !== 0) {
      throw new Error(`building ${engineHelperImage} failed: ${built.stderr.slice(-2000)}`);
    }
  } finally {
    context.remove();
  }
  return engineHelperImage;
}

/**
 * An image made from the engine helper's image by a few more Dockerfile lines (an ENTRYPOINT
 * like the bot's image has, say), built without a registry: its base is the local helper
 * image. The tag carries the hash of the base's tag and of the lines.
 */
export function ensureDerivedEngineImage(name: string, lines: readonly string[]): string {
  const base = ensureEngineHelperImage();
  const dockerfile = [`FROM ${base}`, ...lines, ''].join('\n');
  const tag = `pes-test/${name}:${createHash('sha256').update(dockerfile).digest('hex').slice(0, 16)}`;
  const known = spawnSync('docker', ['image', 'inspect', tag], { stdio: 'ignore' });
  if (known.status === 0) return tag;
  const path = mkdtempSync(join(tmpdir(), 'pes-engine-image-'));
  try {
    writeFileSync(join(path, 'Dockerfile'), dockerfile);
    const built = spawnSync('docker', ['build', '--network', 'none', '--tag', tag, path], {
      encoding: 'utf8',
      env: { ...process.env, DOCKER_BUILDKIT: '0' },
      timeout: 600_000,
    });
    if (built.status !== 0) throw new Error(`building ${tag} failed: ${built.stderr.slice(-2000)}`);
  } finally {
    rmSync(path, { recursive: true, force: true });
  }
  return tag;
}
