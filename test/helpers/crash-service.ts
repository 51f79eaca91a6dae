/**
 * The service the crash tests kill the bot over: `moodle`, a Compose-labelled container of
 * the test image pes-test/app (its health check passes) with a volume of random data big
 * enough that a backup or a restore of it takes a while, on the engine of scripts/test-env.sh.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { createVolume } from './backup-env.ts';
import { appImage, type DockerTestBed } from './docker.ts';

export interface CrashService {
  readonly project: string;
  readonly volume: string;
  /** The first container's name, Compose v2 style. */
  readonly first: string;
  readonly container: Docker.Container;
  /** The `services:` lines of the configuration. */
  readonly lines: readonly string[];
  /** A new restic repository's path (not made yet: the bot makes it on first use). */
  readonly repository: string;
  /** Removes the repository's directory (the containers and volume go with the test bed). */
  cleanup(): void;
}

/** Fills the volume with `mb` MiB of random bytes in two files, inside a throwaway container. */
async function fill(bed: DockerTestBed, volume: string, mb: number): Promise<void> {
  const half = Math.max(1, Math.floor(mb / 2));
  const writer = await bed.createContainer({
    cmd: [
      'sh',
      '-c',
      `dd if=/dev/urandom of=/v/a.bin bs=1M count=${half} 2>/dev/null && ` +
        `dd if=/dev/urandom of=/v/b.bin bs=1M count=${mb - half} 2>/dev/null && echo ok > /v/ok`,
    ],
    hostConfig: { Mounts: [{ Type: 'volume', Source: volume, Target: '/v' }] },
  });
  const { StatusCode } = (await writer.wait()) as { StatusCode: number };
  await writer.remove({ force: true });
  if (StatusCode !== 0) throw new Error(`filling ${volume} failed (${StatusCode})`);
}

export async function createCrashService(
  bed: DockerTestBed,
  options: { volumeMb: number; scaleMax?: number; replicas?: number },
): Promise<CrashService> {
  const project = bed.project('moodle');
  const volume = await createVolume(bed, 'moodledata');
  if (options.volumeMb > 0) await fill(bed, volume, options.volumeMb);
  const first = `${project}-moodle-1`;
  const container = await bed.createContainer({
    name: first,
    image: appImage(1),
    cmd: ['sleep', '3600'],
    compose: { project, service: 'moodle', number: 1 },
    hostConfig: { Mounts: [{ Type: 'volume', Source: volume, Target: '/data' }] },
    // Stops at once: sleep ignores SIGTERM, and the default 10 s would fill every window.
    config: { StopTimeout: 1 },
  });
  // More replicas of the same (Compose numbers them; the bot finds them by label).
  for (let number = 2; number <= (options.replicas ?? 1); number++) {
    await bed.createContainer({
      name: `${project}-moodle-${number}`,
      image: appImage(1),
      cmd: ['sleep', '3600'],
      compose: { project, service: 'moodle', number },
      hostConfig: { Mounts: [{ Type: 'volume', Source: volume, Target: '/data' }] },
      config: { StopTimeout: 1 },
    });
  }
  const scaleMax = options.scaleMax ?? 3;
  const repositoryDir = mkdtempSync(join(tmpdir(), 'pes-crash-'));
  return {
    project,
    volume,
    first,
    container,
    lines: [
      '  moodle:',
      `    containers: { compose: { project: ${project}, service: moodle } }`,
      `    scale: { min: 1, max: ${scaleMax} }`,
      '    health: { minRunning: 1, timeoutSeconds: 60 }',
      `    volumes: [${volume}]`,
    ],
    repository: join(repositoryDir, 'repo'),
    cleanup: () => rmSync(repositoryDir, { recursive: true, force: true }),
  };
}

export interface ProjectContainer {
  readonly name: string;
  /** running, created, exited… */
  readonly state: string;
  /** The image reference it was made from, e.g. pes-test/app:2. */
  readonly image: string;
}

/** The containers of the service's Compose project now, by name. */
export async function projectContainers(
  bed: DockerTestBed,
  project: string,
): Promise<ProjectContainer[]> {
  const list = await bed.docker.listContainers({
    all: true,
    filters: { label: [`com.docker.compose.project=${project}`] },
  });
  return list
    .map((c) => ({ name: (c.Names[0] ?? '').replace(/^\//, ''), state: c.State, image: c.Image }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
