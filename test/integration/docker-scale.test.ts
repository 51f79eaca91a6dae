/**
 * `scale` through the bot against the real engine of scripts/test-env.sh. Tests in this file
 * run in order and share the `web` service: 1 → 3 → 1.
 */
import type { ContainerInspectInfo } from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDefinition } from '../../src/core/catalog.ts';
import { service } from '../helpers/catalog.ts';
import { appImage, DockerTestBed } from '../helpers/docker.ts';
import {
  admin,
  composeContainers,
  composeService,
  engineBot,
  engineSnapshot,
  yes,
} from '../helpers/docker-snapshot.ts';
import type { TestBot } from '../helpers/bot.ts';
import { createOf, proxiedEngineBot } from '../helpers/engine-proxy.ts';
import { scaleLabel } from '../../src/platforms/docker/scale-apply.ts';

/** Stops at once on SIGTERM, leaving a mark in the shared volume that it was asked nicely. */
const graceful = [
  'sh',
  '-c',
  'trap "touch /named/stopped-$(hostname); exit 0" TERM; while :; do sleep 1; done',
];

/** What a replica must share with the first container: everything but identity. */
function configOf(info: ContainerInspectInfo): unknown {
  // Identity: the replica number, and the token of the scale that made it (scale-apply.ts).
  const labels = Object.fromEntries(
    Object.entries(info.Config.Labels).filter(
      ([key]) => key !== 'com.docker.compose.container-number' && key !== scaleLabel,
    ),
  );
  return {
    Config: { ...info.Config, Hostname: undefined, Labels: labels },
    HostConfig: info.HostConfig,
  };
}

function namesOf(infos: readonly ContainerInspectInfo[]): string[] {
  return infos.map((i) => i.Name.replace(/^\//, ''));
}

describe('scale (real engine)', () => {
  let bed: DockerTestBed;
  let t: TestBot;
  let web: ServiceDefinition;
  let volume: string;
  const project = (): string => bed.project('web');
  const replica = (n: number): string => `${project()}-web-${n}`;

  beforeAll(async () => {
    bed = new DockerTestBed();
    volume = `${bed.runId}-shared`;
    await bed.docker.createVolume({ Name: volume, Labels: { 'pes.test': '1' } });
    web = composeService('web', project());
    t = engineBot(bed, [
      web,
      composeService('sick', bed.project('sick')),
      composeService('zero', bed.project('zero')),
      composeService('ghost', bed.project('ghost')),
      service('named', { containers: { names: [bed.containerName('named')] } }),
    ]);
    await bed.createContainer({
      name: replica(1),
      compose: { project: project(), service: 'web', number: 1 },
      cmd: graceful,
      labels: { 'pes.example/role': 'frontend' },
      hostConfig: {
        RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 },
        Binds: [`${volume}:/named`],
      },
      config: {
        Env: ['PES_MODE=test', 'PATH=/bin'],
        WorkingDir: '/tmp',
        StopTimeout: 5,
        Volumes: { '/anon': {} },
      },
    });
  });

  afterAll(async () => {
    await bed?.cleanup();
    await bed?.docker
      .getVolume(volume)
      .remove()
      .catch(() => undefined);
  });

  it('scales 1 → 3: next numbers, Compose labels, the first container’s configuration', async () => {
    const outcome = await t.run(admin, 'scale web 3');
    expect(outcome.status, JSON.stringify(outcome.message)).toBe('ok');
    expect(outcome.message.title).toBe(`web: 1 → 3`);
    expect(outcome.message.fields?.map((f) => f.label)).toEqual([replica(2), replica(3)]);
    expect(outcome.message.fields?.[0]?.value).toMatch(/^created · running \(no health check\) · /);

    const containers = await composeContainers(bed, project(), 'web');
    expect(namesOf(containers)).toEqual([replica(1), replica(2), replica(3)]);
    const [first, ...added] = containers;
    if (first === undefined) throw new Error('no first container');
    for (const [index, info] of added.entries()) {
      expect(info.State.Running).toBe(true);
      expect(info.Config.Labels['com.docker.compose.container-number']).toBe(String(index + 2));
      expect(configOf(info)).toEqual(configOf(first));
      expect(info.Config.Hostname).toBe(info.Id.slice(0, 12));
      expect(info.Config.Labels[scaleLabel]).toMatch(/^[0-9a-f-]{36}$/);
      // The named volume is shared; the anonymous one is the replica's own.
      const named = info.Mounts.find((m) => m.Destination === '/named');
      expect(named?.Name).toBe(volume);
      const anon = info.Mounts.find((m) => m.Destination === '/anon');
      expect(anon?.Name).toMatch(/^[0-9a-f]{64}$/);
      expect(anon?.Name).not.toBe(first.Mounts.find((m) => m.Destination === '/anon')?.Name);
    }
    expect(t.progress.map((p) => p.text)).toContain(`${replica(2)}: creating`);
    expect(t.jobs.get(outcome.jobId ?? 0)?.state).toBe('succeeded');
  });

  it('changes nothing on a dry run, up or down', async () => {
    const before = await engineSnapshot(bed);
    const down = await t.run(admin, 'scale web 1 --dry-run');
    expect(down.status).toBe('ok');
    expect(down.data).toMatchObject({
      dryRun: true,
      plan: { before: 3, after: 1, create: [], remove: [replica(3), replica(2)] },
    });
    const up = await t.run(admin, 'scale web 4 --dry-run');
    expect(up.data).toMatchObject({ plan: { create: [replica(4)], remove: [] } });
    const zero = await t.run(admin, 'scale web 0 --dry-run');
    expect(zero.status).toBe('ok');
    expect(await engineSnapshot(bed)).toEqual(before);
  });

  it('refuses bad counts, counts out of bounds and unknown services, changing nothing', async () => {
    const before = await engineSnapshot(bed);
    for (const [text, code] of [
      ['scale web -1', 'invalid-argument'],
      ['scale web 1e9', 'invalid-argument'],
      ['scale web 2.5', 'invalid-argument'],
      ['scale web 99', 'scale-out-of-bounds'],
      ['scale web 5', 'scale-out-of-bounds'],
      ['scale nosuch 2', 'unknown-service'],
    ] as const) {
      const outcome = await t.run(admin, text);
      expect(outcome.errorCode, text).toBe(code);
      expect(outcome.status, text).toBe('usage');
    }
    const bounds = await t.run(admin, 'scale web 99');
    expect(bounds.message.text).toBe(
      'web: 99 is outside the allowed range 0…4; nothing was changed.\n' +
        'The bounds are set in the configuration: services.web.scale.min / max.',
    );
    expect(await engineSnapshot(bed)).toEqual(before);
  });

  it('asks before scaling to 0 and changes nothing when declined', async () => {
    const before = await engineSnapshot(bed);
    const pending = await t.run(admin, 'scale web 0');
    expect(pending.status).toBe('pending');
    expect(pending.message.text).toContain(`(${replica(3)}, ${replica(2)}, ${replica(1)})`);
    const declined = await t.run(admin, 'scale web 0', {
      sink: { confirm: { kind: 'prompt', ask: () => Promise.resolve(false) } },
    });
    expect(declined.errorCode).toBe('confirmation-declined');
    // Other counts ask nothing: the prompt would fail the test if it were called.
    expect(await engineSnapshot(bed)).toEqual(before);
  });

  it('scales 3 → 1: highest numbers first, stopped gracefully, volumes kept', async () => {
    const before = await composeContainers(bed, project(), 'web');
    const anonymous = before.map((i) => i.Mounts.find((m) => m.Destination === '/anon')?.Name);
    const outcome = await t.run(admin, 'scale web 1', {
      sink: { confirm: { kind: 'prompt', ask: () => Promise.reject(new Error('asked')) } },
    });
    expect(outcome.status, JSON.stringify(outcome.message)).toBe('ok');
    expect(outcome.message.title).toBe('web: 3 → 1');
    expect(outcome.message.fields?.map((f) => f.label)).toEqual([replica(3), replica(2)]);

    const after = await composeContainers(bed, project(), 'web');
    expect(after.map((i) => i.Id)).toEqual([before[0]?.Id]);
    const stopping = t.progress.map((p) => p.text).filter((text) => text.endsWith(': stopping'));
    expect(stopping.slice(-2)).toEqual([`${replica(3)}: stopping`, `${replica(2)}: stopping`]);
    // Their SIGTERM handlers ran (a graceful stop), and wrote into the shared volume.
    for (const removed of before.slice(1)) {
      const mark = `/named/stopped-${removed.Id.slice(0, 12)}`;
      await expect(
        bed.docker.getContainer(replica(1)).infoArchive({ path: mark }),
      ).resolves.toBeDefined();
    }
    // Anonymous volumes of removed replicas are kept (documented in scale.ts).
    for (const name of anonymous.slice(1)) {
      await expect(bed.docker.getVolume(name ?? '').inspect()).resolves.toMatchObject({
        Name: name,
      });
      await bed.docker.getVolume(name ?? '').remove();
    }
  });

  it('takes back the replicas it created when one does not become healthy', async () => {
    const sick = bed.project('sick');
    await bed.createContainer({
      name: `${sick}-sick-1`,
      image: appImage(3),
      compose: { project: sick, service: 'sick', number: 1 },
      config: { StopTimeout: 1 },
    });
    const before = await engineSnapshot(bed);
    const outcome = await t.run(admin, 'scale sick 3');
    expect(outcome.errorCode).toBe('scale-up-failed');
    expect(outcome.message.text).toBe(
      `Scaling sick failed at ${sick}-sick-2: Container ${sick}-sick-2 did not become healthy: ` +
        `health check failed: version 3 is broken. The containers it created were removed: ${sick}-sick-2.`,
    );
    const after = await engineSnapshot(bed);
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
  });

  it('takes back a replica the engine makes after the cancel', async () => {
    const late = bed.project('late');
    await bed.createContainer({
      name: `${late}-late-1`,
      compose: { project: late, service: 'late', number: 1 },
      config: { StopTimeout: 0 },
    });
    const before = Object.keys(await engineSnapshot(bed)).sort();
    const { proxy, platform, bot } = await proxiedEngineBot([composeService('late', late)], 30_000);
    try {
      // The engine gets the new replica's create but answers only after the cancel. A client
      // that gave up on it meanwhile asks nothing more: the engine makes it on release.
      const held = proxy.hold(createOf(`${late}-late-2`), 'on-release');
      const running = bot.run(admin, 'scale late 2');
      await held.arrived;
      const job = bot.jobs.list({ limit: 10, activeOnly: true })[0];
      expect((await bot.run(admin, `cancel ${job?.id ?? 0}`)).status).toBe('ok');
      await platform.aborted;
      held.release();
      const outcome = await running;
      await held.applied;
      expect(Object.keys(await engineSnapshot(bed)).sort()).toEqual(before);
      expect(bot.jobs.get(job?.id ?? 0)?.state).toBe('cancelled');
      expect(outcome.errorCode).toBe('scale-up-failed');
      expect(outcome.message.text).toBe(
        `Scaling late failed at ${late}-late-2: Job ${job?.id ?? 0} was cancelled. ` +
          `The containers it created were removed: ${late}-late-2.`,
      );
    } finally {
      await proxy.close();
    }
  }, 60_000);

  it('leaves alone a container that took the replica’s name meanwhile (409), and its volumes', async () => {
    const race = bed.project('race');
    await bed.createContainer({
      name: `${race}-race-1`,
      compose: { project: race, service: 'race', number: 1 },
      config: { StopTimeout: 0 },
    });
    const { proxy, bot } = await proxiedEngineBot([composeService('race', race)], 30_000);
    try {
      // Planned with the name free; before the bot's create reaches the engine, Compose
      // (here: the test) makes a replica of that name, with an anonymous volume.
      const held = proxy.hold(createOf(`${race}-race-2`));
      const running = bot.run(admin, 'scale race 2');
      await held.arrived;
      const foreign = await bed.createContainer({
        name: `${race}-race-2`,
        compose: { project: race, service: 'race', number: 2 },
        config: { StopTimeout: 0, Volumes: { '/anon': {} } },
      });
      const foreignInfo = await foreign.inspect();
      const anon = foreignInfo.Mounts.find((m) => m.Destination === '/anon')?.Name ?? '';
      held.release();
      const outcome = await running;
      await held.applied;
      expect(outcome.errorCode).toBe('scale-up-failed');
      expect(outcome.message.text).toMatch(
        new RegExp(
          `^Scaling race failed at ${race}-race-2: .*is already in use.*\\. The containers it created were removed: —\\.$`,
        ),
      );
      expect((await foreign.inspect()).Id).toBe(foreignInfo.Id);
      expect((await bed.docker.getVolume(anon).inspect()).Name).toBe(anon);
    } finally {
      await proxy.close();
    }
  }, 60_000);

  it('scales to 0 when confirmed; with no container left, scale refuses', async () => {
    const zero = bed.project('zero');
    await bed.createContainer({
      name: `${zero}-zero-1`,
      compose: { project: zero, service: 'zero', number: 1 },
      config: { StopTimeout: 0 },
    });
    const asked: string[] = [];
    const outcome = await t.run(admin, 'scale zero 0', yes(asked));
    expect(outcome.status, JSON.stringify(outcome.message)).toBe('ok');
    expect(asked).toHaveLength(1);
    expect(outcome.message.title).toBe('zero: 1 → 0');
    expect(await composeContainers(bed, zero, 'zero')).toEqual([]);
    const again = await t.run(admin, 'scale zero 1');
    expect(again.errorCode).toBe('service-vanished');
  });

  it('refuses a service with no containers, and one configured by names', async () => {
    const before = await engineSnapshot(bed);
    const ghost = await t.run(admin, 'scale ghost 2');
    expect(ghost.errorCode).toBe('service-vanished');
    expect(ghost.message.text).toContain('Service ghost has no containers; nothing was changed.');
    const named = await t.run(admin, 'scale named 2');
    expect(named.errorCode).toBe('scale-needs-compose');
    expect(await engineSnapshot(bed)).toEqual(before);
  });
});
