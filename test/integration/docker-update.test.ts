/**
 * `update` and `rollback` through the bot against the real engine of scripts/test-env.sh,
 * with the test images pes-test/app:1, :2 (healthy) and :3 (its health check fails). Tests
 * run in order and share the three-replica `app` service: 1 → 2, 2 → 3 (put back), back to 1.
 */
import type { ContainerInspectInfo } from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestBot } from '../helpers/bot.ts';
import { appImage, DockerTestBed } from '../helpers/docker.ts';
import { createOf, proxiedEngineBot } from '../helpers/engine-proxy.ts';
import {
  admin,
  composeContainers,
  composeService,
  engineBot,
  engineSnapshot,
  yes,
} from '../helpers/docker-snapshot.ts';

const previousLabel = 'pes.bot/previous-image';
const replacesLabel = 'pes.bot/replaces';
const digest = `sha256:${'ab'.repeat(32)}`;

/** A container's configuration but for what an update is meant to change. */
function configOf(info: ContainerInspectInfo): unknown {
  const labels = Object.fromEntries(
    Object.entries(info.Config.Labels).filter(
      ([key]) => key !== previousLabel && key !== replacesLabel,
    ),
  );
  return {
    Name: info.Name,
    Config: { ...info.Config, Hostname: undefined, Image: undefined, Labels: labels },
    HostConfig: info.HostConfig,
  };
}

function short(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

describe('update and rollback (real engine)', () => {
  let bed: DockerTestBed;
  let t: TestBot;
  let volume: string;
  const imageIds: Record<number, string> = {};
  const project = (): string => bed.project('app');
  const replica = (n: number): string => `${project()}-app-${n}`;
  const app = (): Promise<ContainerInspectInfo[]> => composeContainers(bed, project(), 'app');

  async function replicaOf(name: string, number: number, image: string, extra = {}): Promise<void> {
    await bed.createContainer({
      name: `${bed.project(name)}-${name}-${number}`,
      image,
      cmd: undefined,
      compose: { project: bed.project(name), service: name, number },
      labels: { 'pes.example/tier': 'web' },
      hostConfig: {
        RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 },
        Binds: [`${volume}:/shared`],
      },
      // The image's own CMD (sleep) ignores SIGTERM; one second is enough to wait for it.
      config: { Env: ['PES_MODE=test'], StopTimeout: 1, Cmd: undefined, ...extra },
    });
  }

  beforeAll(async () => {
    bed = new DockerTestBed();
    volume = `${bed.runId}-shared`;
    await bed.docker.createVolume({ Name: volume, Labels: { 'pes.test': '1' } });
    for (const tag of [1, 2, 3] as const) {
      imageIds[tag] = (await bed.docker.getImage(appImage(tag)).inspect()).Id;
    }
    t = engineBot(bed, [
      composeService('app', project()),
      composeService('mixed', bed.project('mixed')),
      composeService('data', bed.project('data')),
      composeService('ghost', bed.project('ghost')),
    ]);
    for (const n of [1, 2, 3]) await replicaOf('app', n, appImage(1));
    await bed.waitFor('the replicas to be healthy', async () => {
      const all = await app();
      return all.every((c) => c.State.Health?.Status === 'healthy') ? true : undefined;
    });
  });

  afterAll(async () => {
    await bed?.cleanup();
    await bed?.docker
      .getVolume(volume)
      .remove()
      .catch(() => undefined);
  });

  it('says so when the image is unchanged, asking nothing', async () => {
    const outcome = await t.run(admin, 'update app', {
      sink: { confirm: { kind: 'prompt', ask: () => Promise.reject(new Error('asked')) } },
    });
    expect(outcome.status).toBe('ok');
    expect(outcome.message.text).toBe('app already runs this image; nothing was changed.');
  });

  it('updates 1 → 2 one container at a time; only the image changes', async () => {
    const before = await app();
    const asked: string[] = [];
    const outcome = await t.run(admin, 'update app 2', yes(asked));
    expect(outcome.status, JSON.stringify(outcome.message)).toBe('ok');
    const change = `pes-test/app:1 (${short(imageIds[1] ?? '')}) → pes-test/app:2 (${short(imageIds[2] ?? '')})`;
    expect(asked[0]).toBe(
      [
        'Update app — containers are recreated one at a time; on any failure everything is put back:',
        ...[1, 2, 3].map((n) => `• ${replica(n)}: ${change}`),
      ].join('\n'),
    );
    expect(outcome.message.title).toBe('app updated');
    expect(outcome.message.fields?.[0]?.value).toMatch(/^.* · updated · healthy · \d+\.\d s$/);

    const after = await app();
    expect(after.map((c) => c.Name)).toEqual(before.map((c) => c.Name));
    for (const [index, info] of after.entries()) {
      const old = before[index];
      if (old === undefined) throw new Error('replica missing');
      expect(info.Id).not.toBe(old.Id);
      expect(info.Image).toBe(imageIds[2]);
      expect(info.Config.Image).toBe('pes-test/app:2');
      expect(info.State.Health?.Status).toBe('healthy');
      expect(info.Config.Labels[previousLabel]).toBe(`pes-test/app:1@${imageIds[1]}`);
      expect(configOf(info)).toEqual(configOf(old));
    }
    // One at a time: each container was healthy before the next one was stopped.
    const order = t.progress
      .map((p) => p.text)
      .filter((text) => text.endsWith(': stopping') || text.endsWith(': healthy'));
    expect(order).toEqual(
      [1, 2, 3].flatMap((n) => [`${replica(n)}: stopping`, `${replica(n)}: healthy`]),
    );
    // No set-aside container is left.
    expect(Object.keys(await engineSnapshot(bed)).filter((n) => n.endsWith('.pes-old'))).toEqual(
      [],
    );
  }, 60_000);

  it('changes nothing on a dry run of update or rollback', async () => {
    const before = await engineSnapshot(bed);
    const update = await t.run(admin, 'update app 3 --dry-run');
    expect(update.status).toBe('ok');
    expect(update.message.title).toBe('Plan: update app');
    expect(update.data).toMatchObject({
      dryRun: true,
      plan: {
        changes: [1, 2, 3].map((n) => ({
          container: replica(n),
          from: { reference: 'pes-test/app:2', id: imageIds[2] },
          to: { reference: 'pes-test/app:3', id: imageIds[3] },
        })),
        pull: false,
      },
    });
    const rollback = await t.run(admin, 'rollback app --dry-run');
    expect(rollback.message.title).toBe('Plan: roll back app');
    expect(await engineSnapshot(bed)).toEqual(before);
  });

  it('puts every container back, the same container, when tag 3 fails its health check', async () => {
    const before = await engineSnapshot(bed);
    const ids = (await app()).map((c) => c.Id);
    const outcome = await t.run(admin, 'update app 3', yes([]));
    expect(outcome.errorCode).toBe('update-rolled-back');
    expect(outcome.message.text).toBe(
      `The update of app was rolled back: it failed at ${replica(1)}: Container ${replica(1)} did not become healthy: ` +
        `health check failed: version 3 is broken. Everything was put back as it was: ` +
        `${replica(1)}: restored, running, healthy; ${replica(2)}: unchanged; ${replica(3)}: unchanged.`,
    );
    const after = await app();
    expect(after.map((c) => c.Id)).toEqual(ids);
    for (const info of after) {
      expect(info.State.Running).toBe(true);
      expect(info.Image).toBe(imageIds[2]);
    }
    // The very same containers: identical apart from their run state (restarted).
    const snapshot = await engineSnapshot(bed);
    expect(Object.keys(snapshot).sort()).toEqual(Object.keys(before).sort());
    for (const [name, info] of Object.entries(snapshot)) {
      const { Config, HostConfig, Mounts, Image } = info as ContainerInspectInfo;
      const old = before[name] as ContainerInspectInfo;
      expect({ Config, HostConfig, Mounts, Image }).toEqual({
        Config: old.Config,
        HostConfig: old.HostConfig,
        Mounts: old.Mounts,
        Image: old.Image,
      });
    }
    // The rollback reads as one, and the share shown never goes back (job-runner.ts).
    expect(t.progress.map((p) => p.text)).toContain(
      `↩ rolling back after a failure: ${replica(1)}: the old one is back`,
    );
    const fractions = t.progress.filter((p) => p.jobId === outcome.jobId).map((p) => p.fraction);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    expect(fractions.at(-1)).toBeLessThan(1);
  }, 60_000);

  it('puts back containers it had already updated when a later one fails', async () => {
    // The third replica checks its own health: fine on tag 1, failing on tag 2.
    for (const n of [1, 2]) await replicaOf('mixed', n, appImage(1));
    await replicaOf('mixed', 3, appImage(1), {
      Healthcheck: { Test: ['CMD', 'grep', '-qx', '1', '/version'], Interval: 500e6, Retries: 1 },
    });
    const mixed = bed.project('mixed');
    const before = await composeContainers(bed, mixed, 'mixed');
    const outcome = await t.run(admin, 'update mixed 2', yes([]));
    expect(outcome.errorCode).toBe('update-rolled-back');
    expect(outcome.message.text).toContain(
      'Everything was put back as it was: ' +
        [1, 2, 3].map((n) => `${mixed}-mixed-${n}: restored, running, healthy`).join('; '),
    );
    const after = await composeContainers(bed, mixed, 'mixed');
    expect(after.map((c) => [c.Id, c.Image, c.Config])).toEqual(
      before.map((c) => [c.Id, c.Image, c.Config]),
    );
  }, 60_000);

  it('refuses a second mutating command on the service while an update runs', async () => {
    const seen = t.progress.length;
    const running = t.run(admin, 'update app 1', yes([]));
    await bed.waitFor('the update to start', () =>
      Promise.resolve(
        t.progress.slice(seen).some((p) => p.text === `${replica(1)}: stopping`) ? true : undefined,
      ),
    );
    for (const text of ['scale app 2', 'update app 2', 'rollback app', 'update app 2 --dry-run']) {
      const second = await t.run(admin, text, yes([]));
      expect(second.errorCode, `${text}: ${JSON.stringify(second.message)}`).toBe('service-busy');
    }
    const first = await running;
    expect(first.status, JSON.stringify(first.message)).toBe('ok');
    for (const info of await app()) expect(info.Image).toBe(imageIds[1]);
  }, 60_000);

  it('rolls back to the image before the last update', async () => {
    const asked: string[] = [];
    const outcome = await t.run(admin, 'rollback app', yes(asked));
    expect(outcome.status, JSON.stringify(outcome.message)).toBe('ok');
    expect(outcome.message.title).toBe('app rolled back');
    expect(asked[0]).toContain(
      `${replica(1)}: pes-test/app:1 (${short(imageIds[1] ?? '')}) → pes-test/app:2 (${short(imageIds[2] ?? '')})`,
    );
    for (const info of await app()) {
      expect(info.Config.Image).toBe('pes-test/app:2');
      expect(info.Image).toBe(imageIds[2]);
      expect(info.Config.Labels[previousLabel]).toBe(`pes-test/app:1@${imageIds[1]}`);
    }
  }, 60_000);

  it('finishes an interrupted update by putting the set-aside containers back', async () => {
    // What a bot that died half-way leaves: replica 2 set aside, a new one in its place.
    const original = await bed.docker.getContainer(replica(2)).inspect();
    await bed.docker.getContainer(replica(2)).rename({ name: `${replica(2)}.pes-old` });
    await bed.docker.getContainer(original.Id).stop({ t: 1 });
    await replicaOf('app', 2, appImage(3));
    const before = await engineSnapshot(bed);
    for (const text of ['update app 1', 'scale app 4']) {
      const refused = await t.run(admin, text, yes([]));
      expect(refused.errorCode, text).toBe('update-interrupted');
      expect(refused.message.text).toContain('Put them back with: rollback app');
    }
    expect(await engineSnapshot(bed)).toEqual(before);

    const outcome = await t.run(admin, 'rollback app', yes([]));
    expect(outcome.status, JSON.stringify(outcome.message)).toBe('ok');
    const restored = await bed.docker.getContainer(replica(2)).inspect();
    expect(restored.Id).toBe(original.Id);
    expect(restored.State.Running).toBe(true);
    expect((await app()).map((c) => c.Name)).toEqual([1, 2, 3].map((n) => `/${replica(n)}`));
  }, 60_000);

  it('puts back what it changed when the job is cancelled half-way', async () => {
    const before = await app();
    const seen = t.progress.length;
    const running = t.run(admin, 'update app 1', yes([]));
    // Cancelled once the first replica is done and the second one is being replaced.
    await bed.waitFor('the second replica to be replaced', () =>
      Promise.resolve(
        t.progress.slice(seen).some((p) => p.text === `${replica(2)}: creating`) ? true : undefined,
      ),
    );
    const job = t.jobs.list({ limit: 10, activeOnly: true })[0];
    const cancel = await t.run(admin, `cancel ${job?.id ?? 0}`);
    expect(cancel.status).toBe('ok');
    const outcome = await running;
    expect(outcome.errorCode).toBe('update-cancelled');
    expect(t.jobs.get(job?.id ?? 0)?.state).toBe('cancelled');
    const after = await app();
    expect(after.map((c) => [c.Name, c.Id, c.Image, c.State.Running])).toEqual(
      before.map((c) => [c.Name, c.Id, c.Image, true]),
    );
    const texts = t.progress.slice(seen).map((p) => p.text);
    expect(texts).toContain(`↩ rolling back after a failure: ${replica(1)}: the old one is back`);
    expect(texts).toContain(`↩ rolling back after a failure: ${replica(2)}: the old one is back`);
    expect(Object.keys(await engineSnapshot(bed)).filter((n) => n.endsWith('.pes-old'))).toEqual(
      [],
    );
  }, 60_000);

  /** The replicas, by name, as they were, all running; nothing else of the run added. */
  async function expectAllBack(before: ContainerInspectInfo[], names: string[]): Promise<void> {
    const after = await app();
    expect(after.map((c) => [c.Name, c.Id, c.Image, c.State.Running])).toEqual(
      before.map((c) => [c.Name, c.Id, c.Image, true]),
    );
    expect(Object.keys(await engineSnapshot(bed)).sort()).toEqual(names);
    const labelled = await bed.docker.listContainers({
      all: true,
      filters: { label: before.map((c) => `${replacesLabel}=${c.Id}`) },
    });
    expect(labelled).toEqual([]);
  }

  it('puts back a container the engine makes after the cancel, and says what each one is', async () => {
    const before = await app();
    const names = Object.keys(await engineSnapshot(bed)).sort();
    const { proxy, platform, bot } = await proxiedEngineBot(
      [composeService('app', project())],
      30_000,
    );
    try {
      // The engine gets the second replica's create, but answers only after the cancel.
      const held = proxy.hold(createOf(replica(2)));
      const running = bot.run(admin, 'update app 1', yes([]));
      await held.arrived;
      const job = bot.jobs.list({ limit: 10, activeOnly: true })[0];
      expect((await bot.run(admin, `cancel ${job?.id ?? 0}`)).status).toBe('ok');
      await platform.aborted;
      held.release();
      const outcome = await running;
      // The create did happen on the engine: the container it made must be gone again.
      await held.applied;
      await expectAllBack(before, names);
      expect(bot.jobs.get(job?.id ?? 0)?.state).toBe('cancelled');
      expect(outcome.errorCode).toBe('update-cancelled');
      expect(outcome.message.text).toBe(
        `Updating app was cancelled at ${replica(2)}; everything was put back as it was: ` +
          `${replica(1)}: restored, running, healthy; ${replica(2)}: restored, running, healthy; ` +
          `${replica(3)}: unchanged.`,
      );
    } finally {
      await proxy.close();
    }
  }, 90_000);

  it('waits for a create that outlasts the time limit before it puts things back', async () => {
    const before = await app();
    const names = Object.keys(await engineSnapshot(bed)).sort();
    const { proxy, bot } = await proxiedEngineBot([composeService('app', project())], 3_000);
    try {
      // No answer to the first replica's create within the time limit; the engine makes the
      // container only once the update has given up waiting for it.
      const held = proxy.hold(createOf(replica(1)));
      const running = bot.run(admin, 'update app 1', yes([]));
      await held.arrived;
      await bed.waitFor(
        'the update to give up on the create',
        () =>
          Promise.resolve(
            bot.progress.some((p) => p.text === `${replica(1)}: failed`) || undefined,
          ),
        30_000,
      );
      held.release();
      const outcome = await running;
      await held.applied;
      await expectAllBack(before, names);
      expect(outcome.errorCode).toBe('update-rolled-back');
      expect(outcome.message.text).toMatch(
        new RegExp(
          `^The update of app was rolled back: it failed at ${replica(1)}: .*no answer in 3 s.*\\. ` +
            `Everything was put back as it was: ${replica(1)}: restored, running, healthy; ` +
            `${replica(2)}: unchanged; ${replica(3)}: unchanged\\.$`,
        ),
      );
    } finally {
      await proxy.close();
    }
  }, 90_000);

  it('completes an update cancelled while the old containers are removed, and says so', async () => {
    const before = await app();
    const from = before[0]?.Image === imageIds[2] ? 2 : 1;
    const to = from === 1 ? 2 : 1;
    const { proxy, platform, bot } = await proxiedEngineBot(
      [composeService('app', project())],
      30_000,
    );
    try {
      // Every new container is healthy; the removal of the first old one waits for the cancel.
      const oldId = before[0]?.Id ?? '';
      const held = proxy.hold(
        (method, url) => method === 'DELETE' && url.pathname.endsWith(`/containers/${oldId}`),
      );
      const running = bot.run(admin, `update app ${to}`, yes([]));
      await held.arrived;
      const job = bot.jobs.list({ limit: 10, activeOnly: true })[0];
      expect((await bot.run(admin, `cancel ${job?.id ?? 0}`)).status).toBe('ok');
      await platform.aborted;
      held.release();
      const outcome = await running;
      expect(outcome.status, JSON.stringify(outcome.message)).toBe('ok');
      expect(bot.jobs.get(job?.id ?? 0)?.state).toBe('succeeded');
      expect(outcome.message.title).toBe('app updated');
      expect(outcome.message.text).toContain(
        'The cancel came after the work was complete: it was carried out in full.',
      );
      expect(bot.jobs.get(job?.id ?? 0)?.result).toContain('The cancel came after the work');
      const after = await app();
      expect(after.map((c) => [c.Name, c.Image, c.State.Running])).toEqual(
        before.map((c) => [c.Name, imageIds[to], true]),
      );
      expect(Object.keys(await engineSnapshot(bed)).filter((n) => n.endsWith('.pes-old'))).toEqual(
        [],
      );
    } finally {
      await proxy.close();
    }
    // Back to the image the next tests start from.
    expect((await t.run(admin, `update app ${from}`, yes([]))).status).toBe('ok');
  }, 120_000);

  it('carries anonymous volumes over to the new container', async () => {
    const data = bed.project('data');
    await replicaOf('data', 1, appImage(1), { Volumes: { '/data': {} } });
    const [before] = await composeContainers(bed, data, 'data');
    const volumeOf = (info: ContainerInspectInfo | undefined): string | undefined =>
      info?.Mounts.find((m) => m.Destination === '/data')?.Name;
    expect(volumeOf(before)).toMatch(/^[0-9a-f]{64}$/);
    const outcome = await t.run(admin, 'update data 2', yes([]));
    expect(outcome.status, JSON.stringify(outcome.message)).toBe('ok');
    const [after] = await composeContainers(bed, data, 'data');
    expect(after?.Id).not.toBe(before?.Id);
    expect(volumeOf(after)).toBe(volumeOf(before));
    expect(after?.Config.Volumes).toEqual({ '/data': {} });
  });

  it('refuses bad targets, missing images and vanished services, changing nothing', async () => {
    const before = await engineSnapshot(bed);
    for (const [text, code] of [
      ["update app 'x;id'", 'update-bad-target'],
      ['update app ../../x', 'update-bad-target'],
      ['update app pes-test/app:2', 'update-bad-target'],
      ['update app 9', 'image-missing'],
      [`update app pes-test/app@${digest}`, 'image-missing'],
      ['update ghost 2', 'service-vanished'],
      ['rollback ghost', 'service-vanished'],
      ['rollback mixed', 'nothing-to-roll-back'],
    ] as const) {
      const outcome = await t.run(admin, text, yes([]));
      expect(outcome.errorCode, text).toBe(code);
    }
    const missing = await t.run(admin, 'update app 9');
    expect(missing.message.text).toContain('The image pes-test/app:9 is not present');
    const bad = await t.run(admin, "update app 'x;id'");
    expect(bad.message.text).toBe(
      '"x;id" is neither an image tag nor image@sha256:…; nothing was changed.\n' +
        'A tag: letters, digits, _ . - (up to 128, e.g. 4.5.1); or image@sha256:<64 hex>.',
    );
    expect(await engineSnapshot(bed)).toEqual(before);
  });

  it('pulls a missing image only when pulling is on, and a failed pull changes nothing', async () => {
    const pulling = engineBot(bed, [composeService('app', project())], { pull: true });
    const before = await engineSnapshot(bed);
    // Nothing listens on port 9 of the loopback: the engine's pull fails at once.
    const outcome = await pulling.run(admin, `update app 127.0.0.1:9/pes/app@${digest}`, yes([]));
    expect(outcome.errorCode).toBe('docker-error');
    expect(outcome.message.text).toMatch(
      /^The Docker engine answered with an error: pull 127\.0\.0\.1:9\/pes\/app@sha256:(ab){32}: .*connection refused\.$/,
    );
    expect(await engineSnapshot(bed)).toEqual(before);
  });
});
