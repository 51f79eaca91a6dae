/**
 * A repository that needs credentials, reached from a helper container (engine-helper.ts):
 * a `rest:` repository behind a real restic REST server with basic auth (`rclone serve
 * restic`), on this machine's loopback, which the helper reaches on the host's network. The
 * repository URL holds the user and password (restic 0.14 reads them only from there), and
 * a backup.env S3 key rides along: all of them reach restic through the launcher's stdin
 * (src/backup/engine-launch.ts). Proved: init, backup and listing work through helpers; the
 * same without the credentials is refused by the server (so they did arrive); and neither the
 * password, the S3 key nor the URL shows in any helper's `docker inspect` (Config.Env, Cmd,
 * Args, Labels). An image without node is told as such, with nothing run. A backup whose
 * server stops answering mid-run (the server process stopped, its connections kept) is
 * ended by the launcher's stall watch and told as stalled (restic.ts makes that
 * `backup-repo-unreachable`), and its helper is removed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { isUserError } from '../../../src/core/errors.ts';
import type { SpawnResult } from '../../../src/backup/engines/spawn.ts';
import { resticError } from '../../../src/backup/engines/restic-errors.ts';
import { resticProgressWatch } from '../../../src/backup/engines/stall.ts';
import type { EngineCommand, VolumeSite } from '../../../src/backup/volume-access.ts';
import { helperSite } from '../../../src/platforms/docker/engine-helper.ts';
import { helperLabel, helperOwnerLabel } from '../../../src/platforms/docker/helper-container.ts';
import { busyboxImage, DockerTestBed } from '../../helpers/docker.ts';
import { ensureEngineHelperImage } from '../../helpers/engine-image.ts';
import { inVolume, makeVolume, removeVolumes } from '../../integration/backup-helpers.ts';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 900_000 });

const restUser = 'pes-rest-user';
const restPassword = 'rest-basic-auth-s3cr3t';
const s3Key = 'aws-secret-key-never-shown';
const repoPassword = 'repository password 42';

let bed: DockerTestBed;
let image: string;
let dir: string;
let server: ChildProcess;
let port: number;
let volume: string;
/** The inspect output of every helper made, taken right after it was made. */
const inspected: Docker.ContainerInspectInfo[] = [];

/**
 * Starts the REST server on a port the system picks (`127.0.0.1:0`: no port chosen here that
 * another process could take before rclone binds it) and reads the port from rclone's own
 * line; its other lines pass through to this process's stderr.
 */
function startServer(repository: string): Promise<{ server: ChildProcess; port: number }> {
  const started = spawn(
    'rclone',
    [
      'serve',
      'restic',
      '--addr',
      '127.0.0.1:0',
      '--user',
      restUser,
      '--pass',
      restPassword,
      repository,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let seen = '';
    let done = false;
    const fail = (error: Error): void => {
      if (done) return;
      done = true;
      clearTimeout(limit);
      started.kill('SIGTERM');
      reject(error);
    };
    // Bounded: rclone that neither serves nor exits fails the setup, not the whole run.
    const limit = setTimeout(
      () => fail(new Error(`rclone did not say where it serves: ${seen.slice(-2000)}`)),
      60_000,
    );
    started.once('exit', (code) =>
      fail(new Error(`rclone exited ${String(code)} before serving: ${seen.slice(-2000)}`)),
    );
    started.once('error', fail);
    started.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      process.stderr.write(chunk);
      if (seen.length < 64 * 1024) seen += chunk;
      const found = /Serving restic REST API on http:\/\/127\.0\.0\.1:(\d+)\//.exec(seen);
      if (found !== null && !done) {
        done = true;
        clearTimeout(limit);
        resolve({ server: started, port: Number(found[1]) });
      }
    });
  });
}

/** Waits until the server answers (401 without credentials: it is up and asks for them). */
async function serverUp(): Promise<void> {
  for (;;) {
    if (server.exitCode !== null) throw new Error(`rclone exited ${String(server.exitCode)}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/config`);
      if (response.status === 401) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  bed = new DockerTestBed();
  image = ensureEngineHelperImage();
  dir = mkdtempSync(join(tmpdir(), 'pes-helper-creds-'));
  ({ server, port } = await startServer(join(dir, 'repo')));
  await serverUp();
  volume = await makeVolume(bed, 'creds');
  await inVolume(bed, volume, 'echo hello > /v/a.txt && mkdir /v/d && echo two > /v/d/b');
  const docker = bed.connection.docker;
  const create = docker.createContainer.bind(docker);
  docker.createContainer = (async (options: Docker.ContainerCreateOptions) => {
    const made = await create(options);
    if (options.Labels?.[helperLabel] !== undefined) inspected.push(await made.inspect());
    return made;
  }) as typeof docker.createContainer;
});

afterAll(async () => {
  server?.kill('SIGCONT');
  server?.kill('SIGTERM');
  await removeVolumes(bed);
  await bed.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

function site(helperImage: string): VolumeSite {
  return helperSite(
    bed.connection,
    { image: helperImage, network: 'host' },
    volume,
    '/data',
    'read',
  );
}

function run(
  at: VolumeSite,
  command: EngineCommand,
  options: Parameters<NonNullable<VolumeSite['runner']>>[1] = {},
): Promise<SpawnResult> {
  if (at.runner === undefined) throw new Error('a helper site has a runner');
  return at.runner(command, options);
}

function restic(args: readonly string[], repository: string): EngineCommand {
  return {
    program: 'restic',
    binary: 'restic',
    args,
    env: { RESTIC_REPOSITORY: repository, AWS_SECRET_ACCESS_KEY: s3Key, RESTIC_PROGRESS_FPS: '1' },
    password: repoPassword,
    passwordOnStdin: {},
  };
}

const withCredentials = (): string => `rest:http://${restUser}:${restPassword}@127.0.0.1:${port}/`;

describe('a rest: repository with credentials through a helper container', () => {
  it('is reached with the credentials, which show nowhere in docker inspect', async () => {
    const at = site(image);
    const init = await run(at, restic(['init'], withCredentials()));
    expect(init.stderr).toBe('');
    expect(init.exitCode).toBe(0);
    const backup = await run(at, restic(['backup', '--json', '.'], withCredentials()));
    expect(backup.exitCode).toBe(0);
    const listed = await run(at, restic(['snapshots', '--json'], withCredentials()));
    expect(listed.exitCode).toBe(0);
    // restic says on stdout that it reads the password from stdin, then the JSON.
    const json = listed.stdout.split('\n').find((line) => line.startsWith('[')) ?? '';
    const snapshots = JSON.parse(json) as { paths: string[] }[];
    expect(snapshots.map((s) => s.paths)).toEqual([['/data']]);

    expect(inspected.length).toBeGreaterThanOrEqual(3);
    for (const info of inspected) {
      // Checked field by field (what the brief of the guarantee names), then as a whole.
      const shown = JSON.stringify([
        info.Config.Env,
        info.Config.Cmd,
        info.Args,
        info.Config.Labels,
      ]);
      for (const secret of [restPassword, s3Key, repoPassword, `127.0.0.1:${port}`]) {
        expect(shown).not.toContain(secret);
        expect(JSON.stringify(info)).not.toContain(secret);
      }
      expect(info.Config.Cmd?.slice(0, 3)).toEqual([
        'node',
        '/app/src/backup/engine-launch.ts',
        'restic',
      ]);
    }
  });

  it('is refused by the server without them: the credentials did arrive above', async () => {
    const refused = await run(
      site(image),
      restic(['snapshots', '--json'], `rest:http://127.0.0.1:${port}/`),
    );
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toMatch(/401|Unauthorized/i);
  });

  it('tells an image without node, running nothing', async () => {
    let thrown: unknown;
    try {
      await run(site(busyboxImage), restic(['snapshots'], withCredentials()));
    } catch (error) {
      thrown = error;
    }
    expect(isUserError(thrown) && thrown.code).toBe('backup-engine-launcher-missing');
    expect((thrown as Error).message).toContain(busyboxImage);
  });

  it('ends a backup whose server stops answering mid-run, as stalled, leaving no helper', async () => {
    const big = await makeVolume(bed, 'creds-big');
    // Random data, more than restic keeps in flight: it must wait on the server.
    await inVolume(bed, big, 'head -c 96000000 /dev/urandom > /v/big');
    const at = helperSite(bed.connection, { image, network: 'host' }, big, '/data', 'read');
    let stopped = false;
    try {
      const result = await run(at, restic(['backup', '--json', '.'], withCredentials()), {
        stall: { ms: 8000, isProgress: resticProgressWatch(), killGraceMs: 3000 },
        onStdoutLine: (line) => {
          // The server stops answering (but keeps its connections) once restic is under way.
          if (!stopped && line.includes('"message_type":"status"')) {
            stopped = true;
            server.kill('SIGSTOP');
          }
        },
      });
      expect(stopped).toBe(true);
      expect(result.stalled).toBe(true);
      // What restic.ts makes of it: the repository stopped answering (its password hidden).
      const error = resticError(result, {
        repository: withCredentials(),
        operation: 'backup',
        secrets: [repoPassword, restPassword],
        stallSeconds: 8,
      });
      expect(error.code).toBe('backup-repo-unreachable');
      expect(error.text('en')).not.toContain(restPassword);
      expect(result.stderr).toContain(
        'engine-launch: stalled: no progress for 8 s; stopping restic',
      );
    } finally {
      server.kill('SIGCONT');
    }
    // This process's helpers (other test files share the engine): none left.
    const left = await bed.docker.listContainers({
      all: true,
      filters: { label: [`${helperOwnerLabel}=${hostname()}:${process.pid}`] },
    });
    expect(left).toEqual([]);
  });
});
