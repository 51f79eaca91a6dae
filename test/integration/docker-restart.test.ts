/**
 * `restart` through the bot against the real engine of scripts/test-env.sh. Containers stop
 * with a short StopTimeout: `sleep` as PID 1 ignores SIGTERM, so the engine kills it then.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDefinition } from '../../src/core/catalog.ts';
import type { ContainerReport } from '../../src/core/platform.ts';
import { DockerPlatform } from '../../src/platforms/docker/docker-platform.ts';
import { createTestBot, type TestBot } from '../helpers/bot.ts';
import { service, testCatalog } from '../helpers/catalog.ts';
import { appImage, DockerTestBed } from '../helpers/docker.ts';

const admin = 'local:root';

interface Snapshot {
  readonly id: string;
  readonly startedAt: string;
  readonly restartCount: number;
  /** Running and, when the image has a health check, healthy. */
  readonly ready: boolean;
}

describe('restart (real engine)', () => {
  let bed: DockerTestBed;
  let services: Map<string, ServiceDefinition>;
  let t: TestBot;

  /** A Compose service of `count` replicas; `cmd` per replica number when given. */
  async function replicas(
    name: string,
    count: number,
    options: { image?: string; cmd?: (n: number) => string[]; stopSeconds?: number } = {},
  ): Promise<string[]> {
    const project = bed.project(name);
    const names: string[] = [];
    for (let n = 1; n <= count; n++) {
      const container = bed.containerName(`${name}-${n}`);
      names.push(container);
      await bed.createContainer({
        name: container,
        compose: { project, service: name, number: n },
        ...(options.image === undefined ? {} : { image: options.image }),
        ...(options.cmd === undefined ? {} : { cmd: options.cmd(n) }),
        config: { StopTimeout: options.stopSeconds ?? 1 },
      });
    }
    services.set(
      name,
      service(name, {
        containers: { compose: { project, service: name } },
        health: { minRunning: 1, timeoutSeconds: 20 },
      }),
    );
    return names;
  }

  async function snapshot(name: string): Promise<Snapshot> {
    const info = await bed.docker.getContainer(name).inspect();
    const health = info.State.Health?.Status;
    return {
      id: info.Id,
      startedAt: info.State.StartedAt,
      restartCount: info.RestartCount,
      ready: info.State.Running && (health === undefined || health === 'healthy'),
    };
  }

  const snapshots = (names: readonly string[]): Promise<Snapshot[]> =>
    Promise.all(names.map(snapshot));

  async function allReady(names: readonly string[]): Promise<void> {
    await bed.waitFor(`${names.join(', ')} to be ready`, async () =>
      (await snapshots(names)).every((s) => s.ready) ? true : undefined,
    );
  }

  beforeAll(() => {
    bed = new DockerTestBed();
    services = new Map();
    // The catalog reads the map when asked, so services added by each test are in it.
    t = createTestBot({
      platform: new DockerPlatform(bed.connection),
      catalog: testCatalog({ services }),
    });
  });

  afterAll(async () => {
    await bed?.cleanup();
  });

  it('restarts replicas one at a time, each healthy before the next, reporting each', async () => {
    // Stopped at once: a restart that did not wait would have the next replica down while
    // the previous one is still waiting for its first health check (1 s after start).
    const names = await replicas('web', 3, { image: appImage(1), stopSeconds: 0 });
    await allReady(names);
    const before = await snapshots(names);
    const progressFrom = t.progress.length;

    let done = false;
    const running = t.run(admin, 'restart web').finally(() => {
      done = true;
    });
    // Inspected last replica first: a container restarted later is then always seen before
    // one restarted earlier, so two "not ready" in one sample cannot come from two moments.
    let mostNotReady = 0;
    let samples = 0;
    while (!done) {
      const sample: Snapshot[] = [];
      for (const name of [...names].reverse()) sample.push(await snapshot(name));
      const notReady = sample.filter((s) => !s.ready).length;
      mostNotReady = Math.max(mostNotReady, notReady);
      if (notReady > 0) samples++;
      await sleep(50);
    }
    const outcome = await running;

    expect(outcome.status).toBe('ok');
    expect(mostNotReady).toBe(1);
    expect(samples).toBeGreaterThan(3);
    const after = await snapshots(names);
    const started = after.map((s) => Date.parse(s.startedAt));
    for (const [i, s] of after.entries()) {
      expect(s.id).toBe(before[i]?.id);
      expect(started[i]).toBeGreaterThan(Date.parse(before[i]?.startedAt ?? ''));
      // The next one starts only after the previous passed its first check, 1 s after start.
      if (i > 0) expect(started[i]).toBeGreaterThan((started[i - 1] ?? Infinity) + 900);
    }

    const job = t.jobs.get(outcome.jobId ?? 0);
    expect(job?.state).toBe('succeeded');
    expect(job?.lockKey).toBe('web');
    const reports = (outcome.data as { containers: ContainerReport[] }).containers;
    expect(reports.map((r) => [r.container, r.action, r.health])).toEqual(
      names.map((n) => [n, 'restarted', 'healthy']),
    );
    expect(outcome.message.fields?.map((f) => f.label)).toEqual(names);
    for (const field of outcome.message.fields ?? []) {
      expect(field.value).toMatch(/^restarted · healthy · \d+\.\d s$/);
    }

    const progress = t.progress.slice(progressFrom);
    expect(progress.map((p) => p.text)).toEqual(
      names.flatMap((n) => [
        `${n}: stopping`,
        `${n}: starting`,
        `${n}: waiting until healthy`,
        `${n}: healthy`,
      ]),
    );
    const fractions = progress.map((p) => p.fraction);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    expect(fractions.at(-1)).toBe(1);
  });

  it('changes nothing on --dry-run and lists the containers in restart order', async () => {
    const names = [1, 2, 3].map((n) => bed.containerName(`web-${n}`));
    const before = await snapshots(names);
    const jobsBefore = t.jobs.list({ limit: 100 }).length;

    const outcome = await t.run(admin, 'restart web --dry-run');

    expect(outcome.status).toBe('ok');
    expect(outcome.jobId).toBeUndefined();
    expect((outcome.data as { order: string[] }).order).toEqual(names);
    expect(outcome.message.fields?.map((f) => f.label)).toEqual(
      names.map((n, i) => `${i + 1}. ${n}`),
    );
    await sleep(500);
    expect(await snapshots(names)).toEqual(before);
    expect(t.jobs.list({ limit: 100 })).toHaveLength(jobsBefore);
  });

  it('waits for running when there is no health check, and refuses a second job meanwhile', async () => {
    const names = await replicas('plain', 2);
    const progressFrom = t.progress.length;
    const first = t.run(admin, 'restart plain');
    await bed.waitFor('the restart to begin', () =>
      Promise.resolve(t.progress.length > progressFrom ? true : undefined),
    );

    const second = await t.run(admin, 'restart plain');
    expect(second.status).toBe('failed');
    expect(second.errorCode).toBe('service-busy');
    expect(second.message.text).toMatch(/^plain is busy: job \d+, restart by root/);
    // A plan made now would describe a service in the middle of a change: the holder is
    // named instead. Reading is never blocked by the lock.
    expect((await t.run(admin, 'restart plain --dry-run')).errorCode).toBe('service-busy');
    expect((await t.run(admin, 'status plain')).status).toBe('ok');

    const outcome = await first;
    expect(outcome.status).toBe('ok');
    const reports = (outcome.data as { containers: ContainerReport[] }).containers;
    expect(reports.map((r) => [r.container, r.health])).toEqual(names.map((n) => [n, 'running']));
    expect(outcome.message.fields?.[0]?.value).toMatch(
      /^restarted · running \(no health check\) · /,
    );
  });

  it('stops at the first container that does not come back, leaving the rest untouched', async () => {
    // Replica 2 starts once, then exits at every later start: /tmp survives a restart.
    const names = await replicas('flaky', 3, {
      cmd: (n) =>
        n === 2
          ? ['sh', '-c', 'test -f /tmp/ran && exit 3; touch /tmp/ran; exec sleep 3600']
          : ['sleep', '3600'],
    });
    await allReady(names);
    const before = await snapshots(names);
    const progressFrom = t.progress.length;

    const outcome = await t.run(admin, 'restart flaky');

    expect(outcome.status).toBe('failed');
    expect(outcome.errorCode).toBe('restart-halted');
    const [c1, c2, c3] = names;
    expect(outcome.message.text?.split('\n')[0]).toBe(
      `Restart of flaky stopped: container ${c2} did not become healthy (exited with code 3). ` +
        `Already restarted: ${c1}; not touched: ${c3}.`,
    );
    expect(t.jobs.get(outcome.jobId ?? 0)?.state).toBe('failed');
    expect(t.progress.slice(progressFrom).at(-1)?.text).toBe(`${c2}: failed`);

    const after = await snapshots(names);
    expect(after[0]?.startedAt).not.toBe(before[0]?.startedAt);
    expect(after[0]?.ready).toBe(true);
    expect(after[2]).toEqual(before[2]);
  });

  it('stops between containers when the job is cancelled', async () => {
    const names = await replicas('slow', 3);
    await allReady(names);
    const before = await snapshots(names);
    const running = t.run(admin, 'restart slow');
    await bed.waitFor('the first replica to be restarted', () =>
      Promise.resolve(t.progress.some((p) => p.text === `${names[0]}: healthy`) ? true : undefined),
    );
    const [job] = t.jobs.list({ limit: 1, activeOnly: true });
    expect((await t.run(admin, `cancel ${job?.id}`)).status).toBe('ok');

    const outcome = await running;
    expect(outcome.errorCode).toBe('job-cancelled');
    expect(t.jobs.get(job?.id ?? 0)?.state).toBe('cancelled');
    const after = await snapshots(names);
    // The second may have been under way when the cancel arrived; it is then left running.
    expect(after[1]?.ready).toBe(true);
    expect(after[2]).toEqual(before[2]);
  });

  it('refuses a service with no containers and an unknown one, changing nothing', async () => {
    services.set(
      'ghost',
      service('ghost', {
        containers: { compose: { project: bed.project('ghost'), service: 'x' } },
      }),
    );
    const vanished = await t.run(admin, 'restart ghost');
    expect(vanished.errorCode).toBe('service-vanished');
    expect(vanished.message.text?.split('\n')[0]).toBe(
      'Service ghost has no containers; nothing was changed.',
    );
    expect((await t.run(admin, 'restart ghost --dry-run')).errorCode).toBe('service-vanished');
    expect((await t.run(admin, 'restart nosuch')).errorCode).toBe('unknown-service');
  });
});
