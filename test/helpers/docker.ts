/**
 * The real Docker engine for integration tests, as started by scripts/test-env.sh.
 * Every container made here is labelled `pes.test=1` (the env script removes those when the
 * last run leaves) and `pes.test.run=<id>`, so that a test file removes only its own: other
 * runs may share the engine at the same time.
 */
import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import type { ContainerCreateOptions, HostConfig } from 'dockerode';
import { connectDocker, type DockerConnection } from '../../src/platforms/docker/client.ts';
import { composeLabels } from '../../src/platforms/docker/discover.ts';

/** Images built by scripts/test-env.sh from a static busybox. */
export const busyboxImage = 'pes-test/busybox:1';
/** /version holds the tag; the image's HEALTHCHECK passes for 1 and 2 and fails for 3. */
export function appImage(tag: 1 | 2 | 3): string {
  return `pes-test/app:${tag}`;
}

const nanosPerMs = 1_000_000;

/**
 * Fails (never skips) when the test environment is not there: a test that passes because it
 * did not run would hide a broken CI.
 */
export function requireTestDocker(): DockerConnection {
  if (process.env['PES_TEST_DOCKER'] !== '1' || process.env['DOCKER_HOST'] === undefined) {
    throw new Error(
      'These tests need the private Docker engine: run them through ' +
        '`bash scripts/test-env.sh npx vitest run …` (or `npm test`), which sets ' +
        'DOCKER_HOST and PES_TEST_DOCKER=1.',
    );
  }
  return connectDocker({ timeoutMs: 30_000 });
}

export interface TestContainerOptions {
  readonly name?: string;
  readonly image?: string;
  /** Default: `sleep 3600`. */
  readonly cmd?: readonly string[];
  readonly compose?: {
    readonly project: string;
    readonly service: string;
    readonly number?: number;
  };
  readonly labels?: Readonly<Record<string, string>>;
  /** A health check run every `intervalMs` (default 200 ms); unhealthy after `retries` (1). */
  readonly healthcheck?: {
    readonly test: readonly string[];
    readonly intervalMs?: number;
    readonly retries?: number;
  };
  readonly hostConfig?: HostConfig;
  /** Other create options, set last (e.g. `Tty`, `StopTimeout`). */
  readonly config?: Partial<ContainerCreateOptions>;
  /** Default true. */
  readonly start?: boolean;
}

export class DockerTestBed {
  readonly connection: DockerConnection;
  readonly docker: Docker;
  /** Unique to this test bed: names, Compose projects and the cleanup label use it. */
  readonly runId: string;

  constructor(connection: DockerConnection = requireTestDocker()) {
    this.connection = connection;
    this.docker = connection.docker;
    this.runId = `pt${randomBytes(4).toString('hex')}`;
  }

  /** A Compose project name no other run uses. */
  project(name: string): string {
    return `${this.runId}-${name}`;
  }

  /** A container name no other run uses. */
  containerName(name: string): string {
    return `${this.runId}-${name}`;
  }

  async createContainer(options: TestContainerOptions = {}): Promise<Docker.Container> {
    const labels: Record<string, string> = {
      'pes.test': '1',
      'pes.test.run': this.runId,
      ...options.labels,
    };
    if (options.compose !== undefined) {
      labels[composeLabels.project] = options.compose.project;
      labels[composeLabels.service] = options.compose.service;
      labels[composeLabels.number] = String(options.compose.number ?? 1);
      labels[composeLabels.oneoff] = 'False';
    }
    const create: ContainerCreateOptions = {
      ...(options.name === undefined ? {} : { name: options.name }),
      Image: options.image ?? busyboxImage,
      Cmd: [...(options.cmd ?? ['sleep', '3600'])],
      Labels: labels,
      HostConfig: {
        // Tests never touch a network (docs/ARCHITECTURE.md, Testing); the engine has no bridge.
        NetworkMode: 'none',
        LogConfig: { Type: 'none', Config: {} },
        ...options.hostConfig,
      },
    };
    if (options.healthcheck !== undefined) {
      const intervalMs = options.healthcheck.intervalMs ?? 200;
      create.Healthcheck = {
        Test: [...options.healthcheck.test],
        Interval: intervalMs * nanosPerMs,
        Timeout: 5_000 * nanosPerMs,
        Retries: options.healthcheck.retries ?? 1,
        StartPeriod: 0,
      };
    }
    Object.assign(create, options.config);
    const container = await this.docker.createContainer(create);
    if (options.start ?? true) await container.start();
    return container;
  }

  /**
   * Polls `check` until it returns a value other than undefined; fails with `what` after
   * `timeoutMs`.
   */
  async waitFor<T>(
    what: string,
    check: () => Promise<T | undefined>,
    timeoutMs = 15_000,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      if (Date.now() > deadline)
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** Removes every container this test bed made (with their anonymous volumes). */
  async cleanup(): Promise<void> {
    const mine = await this.docker.listContainers({
      all: true,
      filters: { label: [`pes.test.run=${this.runId}`] },
    });
    await Promise.all(
      mine.map((info) => this.docker.getContainer(info.Id).remove({ force: true, v: true })),
    );
  }
}
