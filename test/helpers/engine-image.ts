/**
 * The image of the helper that runs restic and borg next to a volume in the tests: Debian's
 * restic and borgbackup on the debian base of scripts/image-bases.sh (test/fakes/engine-helper/
 * Dockerfile). The bot's own image would do too, but building it takes minutes; this one
 * holds the same engine packages and is built once per engine (kept by its tag).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const engineHelperImage = 'pes-test/engine-helper:1';

export function ensureEngineHelperImage(): string {
  const known = spawnSync('docker', ['image', 'inspect', engineHelperImage], { stdio: 'ignore' });
  if (known.status === 0) return engineHelperImage;
  const context = join(import.meta.dirname, '..', 'fakes', 'engine-helper');
  const built = spawnSync(
    'docker',
    ['build', '--network', 'none', '--tag', engineHelperImage, context],
    { encoding: 'utf8', env: { ...process.env, DOCKER_BUILDKIT: '0' }, timeout: 600_000 },
  );
  if (built.status !== 0) {
    throw new Error(`building ${engineHelperImage} failed: ${built.stderr.slice(-2000)}`);
  }
  return engineHelperImage;
}
