/**
 * provision and deprovision through the bot, against the real engine of
 * scripts/test-env.sh, with the templates of test/fixtures/templates (network none). Tests
 * run in order and share one instance; every name starts with the test bed's run id.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerPlatform } from '../../src/platforms/docker/docker-platform.ts';
import { DirectoryTemplateCatalog } from '../../src/provision/templates.ts';
import { createTestBot, type TestBot } from '../helpers/bot.ts';
import { DockerTestBed } from '../helpers/docker.ts';
import { fixtureTemplates } from '../provision/helpers.ts';

const admin = 'local:root';

function codeOf(outcome: { data?: unknown }): string {
  const data = outcome.data as { confirmation?: unknown } | undefined;
  if (typeof data?.confirmation !== 'string') throw new Error('no pending confirmation');
  return data.confirmation;
}

describe('provision and deprovision (real engine)', () => {
  let bed: DockerTestBed;
  let t: TestBot;
  // Assigned in beforeAll, where the run id is known.
  let app = '';
  let foreign = '';

  beforeAll(() => {
    bed = new DockerTestBed();
    t = createTestBot({
      platform: new DockerPlatform(bed.connection),
      templates: new DirectoryTemplateCatalog(fixtureTemplates),
    });
    app = bed.containerName('app');
    foreign = bed.containerName('foreign');
  });

  afterAll(async () => {
    if (bed === undefined) return;
    await bed.cleanup();
    // Containers the bot made carry pes.test.run from the template; its volumes do too.
    const { Volumes: volumes } = await bed.docker.listVolumes({
      filters: { label: [`pes.test.run=${bed.runId}`] },
    });
    for (const volume of volumes ?? []) await bed.docker.getVolume(volume.Name).remove();
  });

  /**
   * Every container and volume that belongs to this test, inspected, minus what changes on
   * its own (health-check logs). Other runs may share the engine, so their objects are left
   * out: this test's objects all start with the run id or carry the bot's labels.
   */
  async function snapshot(): Promise<unknown> {
    const ours = (name: string, labels: Record<string, string> | null | undefined): boolean =>
      name.startsWith(bed.runId) || Object.keys(labels ?? {}).some((k) => k.startsWith('pes.bot/'));
    const containers = await bed.docker.listContainers({ all: true });
    const { Volumes: volumes } = await bed.docker.listVolumes();
    const inspected = await Promise.all(
      containers
        .filter((c) => ours(c.Names[0]?.slice(1) ?? '', c.Labels))
        .map(async (c) => {
          const info = await bed.docker.getContainer(c.Id).inspect();
          // A health check runs as an exec: its id comes and goes on its own.
          return { ...info, ExecIDs: undefined, State: { ...info.State, Health: undefined } };
        }),
    );
    const volumeInfo = await Promise.all(
      (volumes ?? [])
        .filter((v) => ours(v.Name, v.Labels))
        .map((v) => bed.docker.getVolume(v.Name).inspect()),
    );
    const byName = (a: { Name: string }, b: { Name: string }): number =>
      a.Name.localeCompare(b.Name);
    return { containers: inspected.sort(byName), volumes: volumeInfo.sort(byName) };
  }

  async function volumeLabels(name: string): Promise<Record<string, string> | undefined> {
    try {
      return (await bed.docker.getVolume(name).inspect()).Labels ?? {};
    } catch {
      return undefined;
    }
  }

  async function containerExists(name: string): Promise<boolean> {
    const listed = await bed.docker.listContainers({ all: true, filters: { name: [name] } });
    return listed.some((c) => c.Names.includes(`/${name}`));
  }

  it('provisions a labelled volume and a healthy, labelled container', async () => {
    const outcome = await t.run(admin, `provision testapp ${app} run=${bed.runId}`, {
      preconfirmed: true,
    });
    expect(outcome.status, JSON.stringify(outcome.message)).toBe('ok');
    expect(outcome.message.text).toContain(
      `Container \`${app}\`: healthy. Volumes: \`${app}-data\`.`,
    );

    const own = {
      'pes.bot/managed': 'true',
      'pes.bot/template': 'testapp',
      'pes.bot/instance': app,
    };
    const info = await bed.docker.getContainer(app).inspect();
    expect(info.State.Health?.Status).toBe('healthy');
    expect(info.Config.Labels).toMatchObject({ ...own, 'pes.test.run': bed.runId });
    expect(info.HostConfig.NetworkMode).toBe('none');
    expect(info.HostConfig.RestartPolicy?.Name).toBe('unless-stopped');
    expect(info.Mounts).toEqual([
      expect.objectContaining({ Type: 'volume', Name: `${app}-data`, Destination: '/data' }),
    ]);
    expect(await volumeLabels(`${app}-data`)).toMatchObject(own);

    // The generated secret is in the container, and in nothing a person or a log sees.
    const secret = info.Config.Env.find((e) => e.startsWith('APP_PASSWORD='))?.split('=')[1];
    expect(secret).toMatch(/^[A-Za-z0-9]{32}$/);
    const seen = JSON.stringify([
      outcome,
      t.replies,
      t.progress,
      t.jobs.list({ limit: 10 }),
      t.audit.last(10),
      t.logs,
    ]);
    expect(seen).not.toContain(secret);

    // Each step shows up in the job's progress, in order.
    expect(t.progress.map((p) => p.text)).toEqual([
      `creating ${app}-data`,
      `creating ${app}`,
      `starting ${app}`,
      `waiting for ${app} to become healthy`,
      `${app} is healthy`,
    ]);
  });

  it('refuses to provision a name that exists, and changes nothing', async () => {
    const before = await snapshot();
    const again = await t.run(admin, `provision testapp ${app} run=${bed.runId}`, {
      preconfirmed: true,
    });
    expect(again.errorCode).toBe('provision-exists');
    expect(again.message.text).toContain(
      `The name ${app} is taken; Docker already has: ${app}, ${app}-data;`,
    );

    // Someone else's container of that name: not the bot's, still refused, nothing made.
    await bed.createContainer({ name: foreign });
    const taken = await t.run(admin, `provision testapp ${foreign} run=${bed.runId}`, {
      preconfirmed: true,
    });
    expect(taken.errorCode).toBe('provision-exists');
    expect(await volumeLabels(`${foreign}-data`)).toBeUndefined();

    // An image that is not on the host, with pulling off (the default): refused up front.
    const absent = await t.run(admin, `provision noimage ${bed.runId}-img`, { preconfirmed: true });
    expect(absent.errorCode).toBe('provision-image-missing');
    expect(absent.message.text).toContain('pes-test/absent:1 is not on the host');

    // Bad parameters are refused before anything is looked at.
    const bad = await t.run(admin, `provision testapp ${bed.runId}-x run=${bed.runId} colour=red`);
    expect(bad.errorCode).toBe('provision-unknown-param');

    const after = await snapshot();
    const { containers, ...rest } = after as { containers: { Name: string }[] };
    expect({ ...rest, containers: containers.filter((c) => c.Name !== `/${foreign}`) }).toEqual(
      before,
    );
  });

  it('--dry-run leaves every container and volume exactly as it was', async () => {
    const before = await snapshot();
    const fresh = await t.run(
      admin,
      `provision testapp ${bed.runId}-new run=${bed.runId} greeting=hi --dry-run`,
    );
    expect(fresh.status).toBe('ok');
    expect(fresh.message.text).toContain(`• new volumes: \`${bed.runId}-new-data\` → /data`);
    const down = await t.run(admin, `deprovision ${app} --delete-data --dry-run`);
    expect(down.status).toBe('ok');
    expect(down.message.text).toContain(`Delete the volumes of ${app}: \`${app}-data\`.`);
    expect(t.jobs.list({ limit: 10, activeOnly: true })).toEqual([]);
    expect(await snapshot()).toEqual(before);
  });

  it('deprovision asks, removes the container and keeps the volume', async () => {
    const pending = await t.run(admin, `deprovision ${app}`);
    expect(pending.status).toBe('pending');
    expect(await containerExists(app)).toBe(true);

    const done = await t.run(admin, `confirm ${codeOf(pending)}`);
    expect(done.status, JSON.stringify(done.message)).toBe('ok');
    expect(await containerExists(app)).toBe(false);
    expect(await volumeLabels(`${app}-data`)).toMatchObject({ 'pes.bot/instance': app });
    // The foreign container of the earlier test was never the bot's to touch.
    expect(await containerExists(foreign)).toBe(true);
  });

  it('--delete-data asks twice; the first yes alone deletes nothing', async () => {
    // An unlabelled container that now takes the instance's name must survive this.
    await bed.createContainer({ name: app });
    const first = await t.run(admin, `deprovision ${app} --delete-data`);
    expect(first.status).toBe('pending');
    const second = await t.run(admin, `confirm ${codeOf(first)}`);
    expect(second.status).toBe('pending');
    expect(codeOf(second)).not.toBe(codeOf(first));
    expect(second.message.text).toContain('All their data will be lost forever');
    expect(await volumeLabels(`${app}-data`)).toBeDefined();

    const done = await t.run(admin, `confirm ${codeOf(second)}`);
    expect(done.status, JSON.stringify(done.message)).toBe('ok');
    expect(done.message.text).toContain(`Deleted volumes: \`${app}-data\`.`);
    expect(await volumeLabels(`${app}-data`)).toBeUndefined();
    expect(await containerExists(app)).toBe(true);

    const gone = await t.run(admin, `deprovision ${app}`);
    expect(gone.errorCode).toBe('unknown-instance');
  });

  it('removes what it created when the new container never becomes healthy', async () => {
    const name = bed.containerName('broken');
    const outcome = await t.run(admin, `provision broken ${name} run=${bed.runId}`, {
      preconfirmed: true,
    });
    expect(outcome.errorCode).toBe('provision-failed');
    expect(outcome.message.text).toMatch(
      new RegExp(
        `^Container ${name} did not become healthy: health check failed.*` +
          `What this run created was removed: ${name}, ${name}-data\\.`,
        's',
      ),
    );
    expect(await containerExists(name)).toBe(false);
    expect(await volumeLabels(`${name}-data`)).toBeUndefined();
  });
});
