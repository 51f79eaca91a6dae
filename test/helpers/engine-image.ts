/**
 * The image of the helper that runs restic and borg next to a volume in the tests: Debian's
 * restic and borgbackup on the debian base of scripts/image-bases.sh (test/fakes/engine-helper/
 * Dockerfile), with Node and the engine launcher (src/backup/engine-launch.ts) where the bot's
 * image has them. The bot's own image would do too, but building it takes minutes; this one
 * holds the same engine packages and is built once per content (the tag carries the hash of
 * the Dockerfile, the launcher's files and the Node version).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

/** The launcher's files under src/backup (and in the context by their base name). */
const launcherFiles = ['engine-launch.ts', 'engine-launch-input.ts', 'engines/stall.ts'];
const launcherDir = join(import.meta.dirname, '..', '..', 'src', 'backup');

/** A hash of the Dockerfile in `dir`, the launcher's files and the Node that runs the tests. */
export function launcherImageHash(dockerfile: string, extra = ''): string {
  const hash = createHash('sha256').update(`${extra}\n${process.version}\n${dockerfile}`);
  for (const file of launcherFiles) hash.update(readFileSync(join(launcherDir, file)));
  return hash.digest('hex').slice(0, 16);
}

/**
 * A build context of the Dockerfile in `dir`, the launcher's files and the Node that runs the
 * tests (Node 24: it runs the launcher's TypeScript as the bot's image does); removed by
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
    copyFileSync(join(launcherDir, file), join(path, basename(file)));
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
