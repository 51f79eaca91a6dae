/**
 * A helper image with an ENTRYPOINT of its own, as the bot's image has (tini, then the bot's
 * command line): the helper containers (engine-helper.ts) must run their command as given,
 * not as the entrypoint's arguments. The image here is the test helper image with an
 * entrypoint that only fails (exit 3, a line on stderr), built without a registry. Proved,
 * against the real engine of scripts/test-env.sh: a restic backup and a restore into another
 * volume through helpers of that image come back with the same files, owners and modes (the
 * engine run as the repository's owner through setpriv, the file operations as root), and a
 * cancel mid-backup still reaches restic, which removes its lock (the launcher is now the
 * container's first process and hands the stop signal on), with no helper left.
 */
import { chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SpawnResult } from '../../../src/backup/engines/spawn.ts';
import type { EngineCommand, VolumeSite } from '../../../src/backup/volume-access.ts';
import { helperSite } from '../../../src/platforms/docker/engine-helper.ts';
import { helperLabel } from '../../../src/platforms/docker/helper-container.ts';
import { DockerTestBed } from '../../helpers/docker.ts';
import { ensureDerivedEngineImage } from '../../helpers/engine-image.ts';
import { inVolume, listing, makeVolume, removeVolumes } from '../../integration/backup-helpers.ts';

vi.setConfig({ testTimeout: 240_000, hookTimeout: 900_000 });

const password = 'entrypoint test password';

let bed: DockerTestBed;
let image: string;
let dir: string;
/** The inspect output of every helper made, taken right after it was made. */
const inspected: Docker.ContainerInspectInfo[] = [];

beforeAll(() => {
  bed = new DockerTestBed();
  image = ensureDerivedEngineImage('engine-helper-entrypoint', [
    'ENTRYPOINT ["/bin/sh", "-c", "echo entrypoint-ran >&2; exit 3"]',
  ]);
  dir = mkdtempSync(join(tmpdir(), 'pes-helper-entrypoint-'));
  const docker = bed.connection.docker;
  const create = docker.createContainer.bind(docker);
  docker.createContainer = (async (options: Docker.ContainerCreateOptions) => {
    const made = await create(options);
    if (options.Labels?.[helperLabel] !== undefined) inspected.push(await made.inspect());
    return made;
  }) as typeof docker.createContainer;
});

afterAll(async () => {
  await removeVolumes(bed);
  await bed.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** A new repository's folder, owned by the bot's user as in its image: restic runs as it. */
function newRepository(name: string): string {
  const path = join(dir, name);
  mkdirSync(path);
  chownSync(path, 1000, 1000);
  return path;
}

function site(repository: string, volume: string, mode: 'read' | 'write'): VolumeSite {
  return helperSite(
    bed.connection,
    { image, repositoryPath: repository, stopGraceSeconds: 20 },
    volume,
    '/data',
    mode,
  );
}

function restic(
  repository: string,
  at: VolumeSite,
  args: readonly string[],
  signal?: AbortSignal,
): Promise<SpawnResult> {
  if (at.runner === undefined) throw new Error('a helper site has a runner');
  const command: EngineCommand = {
    program: 'restic',
    binary: 'restic',
    args,
    env: { RESTIC_REPOSITORY: repository, RESTIC_PROGRESS_FPS: '4' },
    password,
    passwordOnStdin: {},
  };
  return at.runner(command, signal === undefined ? {} : { signal });
}

async function helpersLeft(): Promise<string[]> {
  const left = await bed.docker.listContainers({ all: true, filters: { label: [helperLabel] } });
  return left.filter((c) => c.Image === image).map((c) => `${c.Names.join(',')} ${c.State}`);
}

describe('helpers of an image with an ENTRYPOINT of its own', () => {
  it('the image really has one, which fails whatever command it is given', async () => {
    // What a helper ran before the reset: its command as the entrypoint's arguments.
    const container = await bed.docker.createContainer({
      Image: image,
      Cmd: ['node', '--version'],
      Labels: { 'pes.test': '1' },
      HostConfig: { NetworkMode: 'none' },
    });
    try {
      await container.start();
      const { StatusCode } = (await container.wait()) as { StatusCode: number };
      expect(StatusCode).toBe(3);
      const logs = (await container.logs({ stdout: true, stderr: true })).toString('utf8');
      expect(logs).toContain('entrypoint-ran');
    } finally {
      await container.remove({ force: true });
    }
  });

  it('back up and restore a volume through them, file operations included', async () => {
    const source = await makeVolume(bed, 'ep-source');
    await inVolume(
      bed,
      source,
      'mkdir -p /v/d/e && echo hello > /v/a.txt && chmod 640 /v/a.txt && ' +
        'echo two > /v/d/b && chown -R 48:49 /v/d && ln -s a.txt /v/link',
    );
    const repository = newRepository('round-trip');
    const reading = site(repository, source, 'read');
    const init = await restic(repository, reading, ['init']);
    expect(init.stderr).not.toContain('entrypoint-ran');
    expect(init.exitCode).toBe(0);
    const backup = await restic(repository, reading, ['backup', '--json', '.']);
    expect(backup.stderr).not.toContain('entrypoint-ran');
    expect(backup.exitCode).toBe(0);
    // The tree measure (node, tree-measure-cli.ts) in a helper of the same image.
    const measured = await reading.measure({ samplesBefore: new Date(Date.now() + 3_600_000) });
    expect(measured.figures.files).toBe(2);
    expect(measured.samples.map((s) => s.path).sort()).toEqual(['a.txt', 'd/b']);

    const target = await makeVolume(bed, 'ep-target');
    const writing = site(repository, target, 'write');
    const restore = await restic(repository, writing, ['restore', 'latest', '--target', '/data']);
    expect(restore.stderr).not.toContain('entrypoint-ran');
    expect(restore.exitCode).toBe(0);
    expect(await listing(bed, target)).toBe(await listing(bed, source));
    const compared = await writing.compare({
      files: measured.figures.files,
      bytes: measured.figures.bytes,
      sha256: measured.figures.listDigest,
      samples: measured.samples,
    });
    expect(compared.problems).toEqual([]);

    // Each helper ran its own command with the image's entrypoint reset.
    expect(inspected.length).toBeGreaterThanOrEqual(5);
    for (const info of inspected) {
      expect(info.Config.Entrypoint ?? []).toEqual([]);
      expect(info.Path).not.toBe('/bin/sh');
    }
    expect(await helpersLeft()).toEqual([]);
  });

  it('a cancel mid-backup reaches restic: no lock and no helper left', async () => {
    const big = await makeVolume(bed, 'ep-big');
    await inVolume(bed, big, 'dd if=/dev/urandom of=/v/big bs=1M count=300 2>/dev/null');
    const repository = newRepository('cancel');
    const at = site(repository, big, 'read');
    expect((await restic(repository, at, ['init'])).exitCode).toBe(0);
    if (at.runner === undefined) throw new Error('a helper site has a runner');
    const controller = new AbortController();
    let progressed: () => void = () => undefined;
    const reading = new Promise<void>((resolve) => (progressed = resolve));
    const running = at.runner(
      {
        program: 'restic',
        binary: 'restic',
        args: ['backup', '--json', '.'],
        env: { RESTIC_REPOSITORY: repository, RESTIC_PROGRESS_FPS: '4' },
        password,
        passwordOnStdin: {},
      },
      {
        signal: controller.signal,
        // restic is mid-run, holding its lock, once it reports bytes read.
        onStdoutLine: (line) => {
          if (/"message_type":"status"/.test(line) && /"bytes_done":[1-9]/.test(line)) {
            progressed();
          }
        },
      },
    );
    const outcome = running.then(
      (r) => `finished before any progress (${String(r.exitCode)}): ${r.stderr}`,
      (e: unknown) => `failed before any progress: ${String(e)}`,
    );
    expect(await Promise.race([reading.then(() => 'reading'), outcome])).toBe('reading');
    expect(readdirSync(join(repository, 'locks'))).not.toEqual([]);
    controller.abort(new Error('cancelled by the test'));
    await expect(running).rejects.toThrow();
    expect(await helpersLeft()).toEqual([]);
    // restic got SIGINT and removed its lock (a killed one leaves it).
    expect(readdirSync(join(repository, 'locks'))).toEqual([]);
  });
});
