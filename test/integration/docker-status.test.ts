/**
 * DockerPlatform.status against the real engine of scripts/test-env.sh. Tests in this file
 * run in order and share the test bed; each makes its own service.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDefinition } from '../../src/core/catalog.ts';
import { UserError } from '../../src/core/errors.ts';
import type { ContainerStatus, ServiceStatus } from '../../src/core/platform.ts';
import { connectDocker, requestDocker } from '../../src/platforms/docker/client.ts';
import { DockerPlatform } from '../../src/platforms/docker/docker-platform.ts';
import { inspectContainer } from '../../src/platforms/docker/status.ts';
import { service } from '../helpers/catalog.ts';
import { appImage, DockerTestBed } from '../helpers/docker.ts';

function composeService(name: string, project: string, minRunning = 1): ServiceDefinition {
  return service(name, {
    containers: { compose: { project, service: name } },
    health: { minRunning, timeoutSeconds: 30 },
  });
}

function byName(status: ServiceStatus, name: string): ContainerStatus {
  const found = status.containers.find((c) => c.name === name);
  if (found === undefined) throw new Error(`no container ${name} in ${JSON.stringify(status)}`);
  return found;
}

describe('DockerPlatform.status (real engine)', () => {
  let bed: DockerTestBed;
  let platform: DockerPlatform;

  beforeAll(() => {
    bed = new DockerTestBed();
    platform = new DockerPlatform(bed.connection);
  });

  afterAll(async () => {
    await bed?.cleanup();
  });

  const webProject = (): string => bed.project('web');
  const web = (): ServiceDefinition => composeService('web', webProject(), 2);

  it('reports a Compose service with two running replicas as up, in replica order', async () => {
    const before = Date.now();
    // Created in reverse order: the result must follow the replica number, not creation.
    for (const number of [2, 1]) {
      await bed.createContainer({
        name: bed.containerName(`web-${number}`),
        compose: { project: webProject(), service: 'web', number },
      });
    }
    const status = await platform.status(web());

    expect(status.service).toBe('web');
    expect(status.state).toBe('up');
    expect(status.containers.map((c) => c.name)).toEqual([
      bed.containerName('web-1'),
      bed.containerName('web-2'),
    ]);
    for (const container of status.containers) {
      expect(container).toMatchObject({
        state: 'running',
        health: 'none',
        image: 'pes-test/busybox',
        tag: '1',
        restartCount: 0,
      });
      expect(container.id).toMatch(/^[0-9a-f]{64}$/);
      // Engine and test share a clock; allow for rounding in the engine's timestamps.
      expect(container.startedAt?.getTime()).toBeGreaterThanOrEqual(before - 2_000);
      expect(container.startedAt?.getTime()).toBeLessThanOrEqual(Date.now() + 2_000);
    }
  });

  it('reports the service as degraded when one replica is stopped', async () => {
    // t: 0 because busybox sleep as PID 1 ignores SIGTERM; the engine kills it at once.
    await bed.docker.getContainer(bed.containerName('web-2')).stop({ t: 0 });
    const status = await platform.status(web());

    expect(status.state).toBe('degraded');
    expect(byName(status, bed.containerName('web-1')).state).toBe('running');
    const stopped = byName(status, bed.containerName('web-2'));
    expect(stopped.state).toBe('exited');
    // It did run once: the start time stays.
    expect(stopped.startedAt).toBeInstanceOf(Date);
  });

  it('finds containers by exact name only', async () => {
    const name = bed.containerName('solo');
    await bed.createContainer({ name });
    // The engine's name filter is a substring match: this one must not be counted.
    await bed.createContainer({ name: `${name}-other` });
    const status = await platform.status(service('solo', { containers: { names: [name] } }));

    expect(status.state).toBe('up');
    expect(status.containers.map((c) => c.name)).toEqual([name]);
  });

  it('reports a service whose selector matches nothing as missing', async () => {
    const byCompose = await platform.status(composeService('ghost', bed.project('ghost')));
    expect(byCompose).toEqual({ service: 'ghost', state: 'missing', containers: [] });

    const byNames = await platform.status(
      service('ghost', { containers: { names: [bed.containerName('nobody')] } }),
    );
    expect(byNames.state).toBe('missing');
  });

  it('reports a service with a container that was never started as down', async () => {
    const project = bed.project('cold');
    await bed.createContainer({ compose: { project, service: 'cold' }, start: false });
    const status = await platform.status(composeService('cold', project));

    expect(status.state).toBe('down');
    expect(status.containers[0]).toMatchObject({ state: 'created', startedAt: undefined });
  });

  it('sees a failing health check as unhealthy and the service as degraded', async () => {
    const project = bed.project('hc');
    await bed.createContainer({
      name: bed.containerName('hc-good'),
      compose: { project, service: 'hc', number: 1 },
      healthcheck: { test: ['CMD', 'true'] },
    });
    await bed.createContainer({
      name: bed.containerName('hc-bad'),
      compose: { project, service: 'hc', number: 2 },
      healthcheck: { test: ['CMD', 'false'] },
    });
    const hc = composeService('hc', project);
    const settled = await bed.waitFor('both health checks to settle', async () => {
      const status = await platform.status(hc);
      return status.containers.every((c) => c.health !== 'starting') ? status : undefined;
    });

    expect(byName(settled, bed.containerName('hc-good')).health).toBe('healthy');
    expect(byName(settled, bed.containerName('hc-bad'))).toMatchObject({
      state: 'running',
      health: 'unhealthy',
    });
    expect(settled.state).toBe('degraded');
  });

  it('reads image and tag of the app images, whose tag 3 fails its built-in health check', async () => {
    const project = bed.project('app');
    await bed.createContainer({
      name: bed.containerName('app-2'),
      image: appImage(2),
      cmd: ['sleep', '3600'],
      compose: { project, service: 'app', number: 1 },
    });
    await bed.createContainer({
      name: bed.containerName('app-3'),
      image: appImage(3),
      cmd: ['sleep', '3600'],
      compose: { project, service: 'app', number: 2 },
    });
    const app = composeService('app', project);
    const settled = await bed.waitFor('the images’ health checks to settle', async () => {
      const status = await platform.status(app);
      return status.containers.every((c) => c.health !== 'starting') ? status : undefined;
    });

    expect(byName(settled, bed.containerName('app-2'))).toMatchObject({
      image: 'pes-test/app',
      tag: '2',
      health: 'healthy',
    });
    expect(byName(settled, bed.containerName('app-3'))).toMatchObject({
      image: 'pes-test/app',
      tag: '3',
      health: 'unhealthy',
    });
  });

  it('counts restarts of a container that keeps failing', async () => {
    const project = bed.project('crash');
    await bed.createContainer({
      compose: { project, service: 'crash' },
      cmd: ['sh', '-c', 'exit 3'],
      hostConfig: { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 } },
    });
    const crash = composeService('crash', project);
    const status = await bed.waitFor('the restarts to run out', async () => {
      const s = await platform.status(crash);
      const c = s.containers[0];
      return c?.restartCount === 2 && c.state === 'exited' ? s : undefined;
    });

    expect(status.state).toBe('down');
  });

  it('skips a container that vanished between list and inspect', async () => {
    await expect(inspectContainer(bed.connection, 'f'.repeat(64))).resolves.toBeUndefined();
  });

  it("passes the engine's own message on as docker-error", async () => {
    const failing = requestDocker(bed.connection, (abortSignal) =>
      bed.docker.getContainer('pes-no-such-container').start({ abortSignal }),
    );
    await expect(failing).rejects.toSatisfy(
      (error: unknown) =>
        error instanceof UserError &&
        error.code === 'docker-error' &&
        error.message.includes('No such container: pes-no-such-container'),
    );
  });

  it('names the socket when the engine cannot be reached', async () => {
    const nowhere = new DockerPlatform(connectDocker({ host: 'unix:///nonexistent/docker.sock' }));
    const error: unknown = await nowhere
      .status(composeService('web', 'any'))
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(UserError);
    const userError = error as UserError;
    expect(userError.code).toBe('docker-unreachable');
    expect(userError.message).toBe(
      'Cannot reach the Docker engine at unix:///nonexistent/docker.sock: no such socket.',
    );
  });
});
