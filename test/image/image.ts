/**
 * The container image, built for real from the repository's Dockerfile in the private test
 * engine: scripts/image-bases.sh makes the two bases the Dockerfile names (no registry is
 * reachable), then `docker build` runs with network mode none. Used by image.test.ts and by
 * bench/image.ts; other tests that need the image (a kubelet running it) can call it too.
 */
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/cli.ts';

/** The tag the built image gets in the test engine. */
export const imageTag = 'pes-test/pes-bot:image';

/** The image's size target (issue 15): 300 MB, the test base's package repository left out. */
export const imageTargetBytes = 300_000_000;

export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `docker ARGS…` against the test engine; never throws for a non-zero exit. */
export function docker(
  args: readonly string[],
  options: { readonly timeoutMs?: number; readonly input?: string } = {},
): Promise<Run> {
  return run('docker', args, options);
}

function run(
  command: string,
  args: readonly string[],
  options: { readonly timeoutMs?: number; readonly input?: string },
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      cwd: repoRoot,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 120_000,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** A command that must succeed: its output, or an error carrying what it said. */
export async function mustDocker(
  args: readonly string[],
  options: { readonly timeoutMs?: number; readonly input?: string } = {},
): Promise<string> {
  const result = await docker(args, options);
  if (result.code !== 0) {
    throw new Error(
      `docker ${args.join(' ')} exited ${String(result.code)}:\n${result.stderr.slice(-4000)}`,
    );
  }
  return result.stdout;
}

export interface BuiltImage {
  readonly tag: string;
  /** `docker build` wall time, bases excluded (layers already cached make it shorter). */
  readonly buildMs: number;
  /** The image's size in the engine. */
  readonly bytes: number;
  /** Of which the test base's local package repository (not in a real debian:*-slim). */
  readonly testRepositoryBytes: number;
  /** What the builder said it sent as the build context (what .dockerignore lets in). */
  readonly contextLine: string;
}

/** The engine's socket on the host (DOCKER_HOST of scripts/test-env.sh). */
export function engineSocket(): string {
  const host = process.env['DOCKER_HOST'] ?? '';
  if (process.env['PES_TEST_DOCKER'] !== '1' || !host.startsWith('unix://')) {
    throw new Error(
      'The image tests need the private Docker engine: run them through ' +
        '`bash scripts/test-env.sh npx vitest run test/image`.',
    );
  }
  return host.slice('unix://'.length);
}

/** The group that owns the engine's socket: what `--group-add` gives the bot's user. */
export function socketGid(): number {
  return statSync(engineSocket()).gid;
}

/** Makes the bases (cached), then builds the image from the Dockerfile with no network. */
export async function buildImage(log: (line: string) => void = () => {}): Promise<BuiltImage> {
  engineSocket();
  const t0 = Date.now();
  const bases = await run('bash', [join(repoRoot, 'scripts/image-bases.sh')], {
    timeoutMs: 30 * 60_000,
  });
  if (bases.code !== 0) throw new Error(`scripts/image-bases.sh failed:\n${bases.stderr}`);
  log(`bases ready in ${Date.now() - t0} ms`);
  const t1 = Date.now();
  // The classic builder (the test engine has no BuildKit client): RUN steps get network
  // mode none, so nothing in the build can reach a registry or a mirror.
  const build = await run(
    'docker',
    ['build', '--network', 'none', '--label', 'pes.test.image=1', '-t', imageTag, '.'],
    { timeoutMs: 20 * 60_000 },
  );
  if (build.code !== 0) {
    throw new Error(`docker build failed:\n${(build.stdout + build.stderr).slice(-6000)}`);
  }
  const buildMs = Date.now() - t1;
  const bytes = Number(await mustDocker(['image', 'inspect', '-f', '{{.Size}}', imageTag]));
  const testRepositoryBytes = Number(
    (
      await mustDocker([
        'image',
        'inspect',
        '-f',
        '{{index .Config.Labels "pes.test.extra-bytes"}}',
        imageTag,
      ])
    ).trim(),
  );
  // Progress lines end in \r: the last one has the whole context.
  const contextLine =
    (build.stdout + build.stderr)
      .split(/[\r\n]+/)
      .filter((line) => line.startsWith('Sending build context to Docker daemon'))
      .at(-1) ?? '';
  return { tag: imageTag, buildMs, bytes, testRepositoryBytes, contextLine };
}

export function megabytes(bytes: number): string {
  return (bytes / 1_000_000).toFixed(1);
}
