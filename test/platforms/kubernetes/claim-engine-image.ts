/**
 * The image of the claim pods in the Kubernetes backup tests (claim-engine-image/Dockerfile):
 * Debian's restic and borg on the debian base that scripts/test-env.sh makes, with Node and the
 * engine launcher as in the bot's image, built once per content (the tag carries the hash of
 * the Dockerfile, the launcher's files, the Node version and the base image's id).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launcherContext, launcherImageHash } from '../../helpers/engine-image.ts';

const contextDir = join(import.meta.dirname, 'claim-engine-image');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function docker(args: readonly string[], timeoutMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', [...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let building: Promise<string> | undefined;

export function claimEngineImage(): Promise<string> {
  building ??= buildIfMissing();
  building.catch(() => (building = undefined));
  return building;
}

async function buildIfMissing(): Promise<string> {
  const dockerfile = readFileSync(join(contextDir, 'Dockerfile'), 'utf8');
  const release = /^ARG DEBIAN_RELEASE=(\S+)$/m.exec(dockerfile)?.[1] ?? 'bookworm';
  const base = `debian:${release}-slim`;
  const inspect = await docker(['image', 'inspect', '-f', '{{.Id}}', base], 60_000);
  if (inspect.code !== 0) {
    throw new Error(
      `${base} is not in the test engine: scripts/test-env.sh makes it (scripts/image-bases.sh, as root)`,
    );
  }
  const hash = launcherImageHash(dockerfile, inspect.stdout.trim());
  const tag = `pes-test/claim-engine:${hash}`;
  if ((await docker(['image', 'inspect', '-f', '{{.Id}}', tag], 60_000)).code === 0) return tag;
  const context = launcherContext(contextDir);
  const build = await docker(
    [
      'build',
      '--network',
      'none',
      '--label',
      'pes.test.image=claim-engine',
      '-t',
      tag,
      context.path,
    ],
    20 * 60_000,
  ).finally(context.remove);
  if (build.code !== 0) {
    throw new Error(
      `docker build of the claim engine image failed:\n${(build.stdout + build.stderr).slice(-6000)}`,
    );
  }
  return tag;
}
