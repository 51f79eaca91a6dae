/**
 * `pes serve` stopped by SIGTERM while a restore and an update are under way, on the real
 * engine of scripts/test-env.sh, with restic and a fake Mattermost the jobs were typed in:
 * both jobs are cancelled and put back what they changed (the restored service runs again,
 * the updated one is the very same container), the process exits within its grace period,
 * no helper is left, the database is not closed under a job, and each job's result reaches
 * its channel.
 */
import { mkdtempSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helperLabel, helperOwnerLabel } from '../../src/platforms/docker/helper-container.ts';
import { openDatabase } from '../../src/store/database.ts';
import {
  FakeMattermost,
  visibleText,
  type FakeChannel,
  type FakeUser,
} from '../fakes/mattermost/index.ts';
import { runPes, tempWorkdir } from '../helpers/cli.ts';
import { appImage, busyboxImage, DockerTestBed } from '../helpers/docker.ts';
import { freePort, startServe } from '../helpers/serve.ts';
import { waitFor } from '../helpers/wait.ts';
import { inVolume, makeVolume, removeVolumes } from './backup-helpers.ts';

const slashToken = 'slash-token-serve-stop-0001';
const resticPassword = 'serve-stop-restic-password';
const graceSeconds = 60;

const bed = new DockerTestBed();
let fake: FakeMattermost;
let admin: FakeUser;
let ops: FakeChannel;
let volume: string;
let web: { id: string; name: string };
let store: { id: string; name: string };
let w: { dir: string; config: string };
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  fake = await new FakeMattermost().start();
  admin = fake.data.addUser('anna');
  ops = fake.data.addChannel('ops', [fake.bot, admin]);
  volume = await makeVolume(bed, 'store-data');
  // Big enough that putting it back takes seconds, not a blink.
  await inVolume(bed, volume, 'head -c 300000000 /dev/urandom > /v/big && echo v1 > /v/mark');
  const storeName = `${bed.project('store')}-store-1`;
  const storeContainer = await bed.createContainer({
    name: storeName,
    image: busyboxImage,
    compose: { project: bed.project('store'), service: 'store', number: 1 },
    hostConfig: { Mounts: [{ Type: 'volume', Source: volume, Target: '/v' }] },
    config: { StopTimeout: 1 },
  });
  store = { id: storeContainer.id, name: storeName };
  // Healthy on image 1; on image 2 it stays "starting" (the start period forgives failed
  // checks), so an update to 2 waits for it until the stop cancels it.
  const webName = `${bed.project('web')}-web-1`;
  const webContainer = await bed.createContainer({
    name: webName,
    image: appImage(1),
    cmd: undefined,
    compose: { project: bed.project('web'), service: 'web', number: 1 },
    config: {
      Cmd: undefined,
      StopTimeout: 1,
      Healthcheck: {
        Test: ['CMD', 'sh', '-c', 'test "$(cat /version)" = 1'],
        Interval: 300_000_000,
        Timeout: 5_000_000_000,
        Retries: 1,
        StartPeriod: 600_000_000_000,
      },
    },
  });
  web = { id: webContainer.id, name: webName };
  await bed.waitFor('web to be healthy', async () =>
    (await webContainer.inspect()).State.Health?.Status === 'healthy' ? true : undefined,
  );

  const repo = mkdtempSync(join(tmpdir(), 'pes-stop-restic-'));
  w = tempWorkdir(
    [
      'locale: en',
      'state: { path: state/pes.db }',
      `server: { host: 127.0.0.1, stopGraceSeconds: ${graceSeconds} }`,
      `docker: { host: ${JSON.stringify(process.env['DOCKER_HOST'] ?? '')} }`,
      'backup:',
      '  engine: restic',
      `  repository: ${JSON.stringify(join(repo, 'repo'))}`,
      "  password: '${PES_TEST_RESTIC_PASSWORD}'",
      "  env: { RESTIC_CACHE_DIR: '${PES_TEST_RESTIC_CACHE}' }",
      `  helperImage: ${busyboxImage}`,
      'services:',
      '  store:',
      `    containers: { compose: { project: ${bed.project('store')}, service: store } }`,
      `    volumes: [${volume}]`,
      '    health: { minRunning: 1, timeoutSeconds: 60 }',
      '  web:',
      `    containers: { compose: { project: ${bed.project('web')}, service: web } }`,
      '    health: { minRunning: 1, timeoutSeconds: 120 }',
      'roles:',
      `  admin: { members: ['mattermost:${admin.id}', 'local:@me'], commands: ['*'] }`,
      'mattermost:',
      `  url: ${fake.url}`,
      "  botToken: '${PES_TEST_MM_TOKEN}'",
      "  slashTokens: ['${PES_TEST_SLASH}']",
      `  teams: [${fake.data.teamId}]`,
      `  channels: [${ops.id}]`,
      '',
    ].join('\n'),
  );
  env = {
    PES_TEST_RESTIC_PASSWORD: resticPassword,
    PES_TEST_RESTIC_CACHE: join(repo, 'cache'),
    PES_TEST_MM_TOKEN: fake.bot.token,
    PES_TEST_SLASH: slashToken,
    DOCKER_HOST: process.env['DOCKER_HOST'],
  };
  const backup = await runPes(['--config', w.config, 'backup', 'store'], { cwd: w.dir, env });
  expect(backup.code, backup.stdout + backup.stderr).toBe(0);
  // What the restore brings back differs from what is there now: it has to write it all.
  await inVolume(bed, volume, 'rm /v/big && echo v2 > /v/mark');
}, 300_000);

afterAll(async () => {
  await fake?.close();
  await bed.cleanup();
  await removeVolumes(bed);
});

interface JobRow {
  readonly id: number;
  readonly command: string;
  readonly state: string;
  readonly progress: number;
  readonly progress_text: string | null;
  readonly result: string | null;
}

function jobOf(db: DatabaseSync, command: string): JobRow | undefined {
  return db
    .prepare('SELECT * FROM jobs WHERE command = ? ORDER BY id DESC LIMIT 1')
    .get(command) as JobRow | undefined;
}

/** `/pes <text>` then `/pes confirm <code>` by the admin, the code read from the state. */
async function confirmed(db: DatabaseSync, baseUrl: string, text: string): Promise<void> {
  const asked = await fake.slash(`${baseUrl}/mattermost/command`, slashToken, admin, ops, text);
  expect(asked.status).toBe(200);
  const command = text.split(' ')[0] ?? '';
  let code: string | undefined;
  await waitFor(() => {
    const row = db
      .prepare("SELECT code FROM confirmations WHERE state = 'pending' AND command = ?")
      .get(command) as { code: string } | undefined;
    code = row?.code;
    return code !== undefined;
  }, `the confirmation of ${text}`);
  const go = await fake.slash(
    `${baseUrl}/mattermost/command`,
    slashToken,
    admin,
    ops,
    `confirm ${code ?? ''}`,
  );
  expect(go.status).toBe(200);
}

describe('pes serve stopped while jobs run', () => {
  it('cancels a restore and an update on SIGTERM: both put back, recorded and announced', async () => {
    const port = await freePort();
    const serving = startServe(w, { ...env, PES_PORT: String(port) });
    const db = openDatabase(join(w.dir, 'state/pes.db'));
    try {
      await waitFor(() => serving.output().includes('listening'), 'the server to listen', 30_000);
      const baseUrl = `http://127.0.0.1:${port}`;

      await confirmed(db, baseUrl, 'update web 2');
      await waitFor(
        () => /waiting/.test(jobOf(db, 'update')?.progress_text ?? ''),
        'the update to wait for the new container',
        60_000,
      );
      await confirmed(db, baseUrl, 'restore store latest');
      // Cut after the restore's stop: the service is down and its volume half written.
      await waitFor(
        () => (jobOf(db, 'restore')?.progress ?? 0) >= 0.4,
        'the restore to be writing the volume',
        120_000,
      );
      const cutAt = jobOf(db, 'restore');
      expect(cutAt?.progress).toBeLessThan(0.92);
      expect((await bed.docker.getContainer(store.id).inspect()).State.Running).toBe(false);

      const killedAt = Date.now();
      serving.child.kill('SIGTERM');
      expect(await serving.exited, serving.output()).toBe(0);
      expect(Date.now() - killedAt).toBeLessThan(graceSeconds * 1000);

      // The restored service runs again; the updated one is the very same container.
      const storeNow = await bed.docker.getContainer(store.id).inspect();
      expect(storeNow.State.Running).toBe(true);
      const webNow = await bed.docker.listContainers({
        all: true,
        filters: { label: [`com.docker.compose.project=${bed.project('web')}`] },
      });
      expect(webNow.map((c) => [c.Id, c.Names[0], c.Image, c.State])).toEqual([
        [web.id, `/${web.name}`, appImage(1), 'running'],
      ]);
      // No helper of this process is left.
      const helpers = await bed.docker.listContainers({
        all: true,
        filters: { label: [`${helperOwnerLabel}=${hostname()}:${serving.child.pid ?? 0}`] },
      });
      expect(
        helpers.map((c) => `${c.Labels[helperLabel] ?? ''} ${c.State}`),
        serving.output(),
      ).toEqual([]);

      // Both recorded as cancelled by the stop; nothing touched the database after it closed.
      const restore = jobOf(db, 'restore');
      const update = jobOf(db, 'update');
      expect([restore?.state, update?.state]).toEqual(['cancelled', 'cancelled']);
      // Each says why it ended and what it left: the restore started the service again, the
      // update put the old container back.
      expect(restore?.result).toContain(`Job ${restore?.id} was cancelled: the bot is stopping.`);
      expect(restore?.result).toContain('The service was started again.');
      expect(update?.result).toMatch(/cancelled/);
      expect(update?.result).toContain(`${web.name}: restored, running`);
      expect(serving.output()).not.toMatch(/database is not open|closed database/i);
      expect(serving.output()).not.toMatch(/uncaught|unhandled/i);

      // Each job's result was posted in the channel it was typed in before the bot left.
      const texts = fake.data.botPosts(ops.id).map((p) => visibleText(p));
      for (const job of [restore, update]) {
        expect(texts.join('\n')).toContain(job?.result ?? '?');
      }
      const open = db
        .prepare("SELECT count(*) AS n FROM outbox WHERE state IN ('pending', 'sending')")
        .get() as { n: number };
      expect(open.n).toBe(0);
    } finally {
      if (serving.child.exitCode === null) serving.child.kill('SIGKILL');
      db.close();
    }
  }, 400_000);
});
