/**
 * backup → change → restore → equal, through the bot, against the real engine of
 * scripts/test-env.sh and real restic and borg repositories in a temporary directory. Also:
 * a corrupted pack fails `verify`; a stale lock is named with its unlock command and
 * `backup unlock` clears it; bad input leaves the service running and its data as it was.
 */
import { readdirSync, readFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ServiceDefinition } from '../../src/core/catalog.ts';
import { service } from '../helpers/catalog.ts';
import { appImage, DockerTestBed } from '../helpers/docker.ts';
import {
  backupBot,
  inVolume,
  leaveStaleResticLock,
  listing,
  makeVolume,
  psql,
  removeVolumes,
  testPostgres,
  type BackupBot,
} from './backup-helpers.ts';

const admin = 'local:root';
const fill =
  'mkdir -p /v/d/e && echo hello > /v/a.txt && chmod 640 /v/a.txt && ' +
  'dd if=/dev/urandom of=/v/d/blob bs=1024 count=700 2>/dev/null && ln -s a.txt /v/link && ' +
  'touch /v/d/e/empty && chown 33:33 /v/d && ' +
  // Names that an unpacker of image layers takes for whiteouts: a volume's files, all the same.
  'echo w > /v/.wh..wh.meta && echo x > /v/d/.wh.y && ln /v/d/blob /v/hard';
const change =
  'rm /v/a.txt && echo new > /v/new.txt && dd if=/dev/zero of=/v/d/blob bs=1024 count=3 2>/dev/null';

// A round trip is a backup and two restores, each with its safety backup, stop, start and
// health wait: borg's took 25 s on this shared machine under a load of 16 on 2 cores.
vi.setConfig({ testTimeout: 90_000 });

let bed: DockerTestBed;
let dir: string;

beforeAll(() => {
  bed = new DockerTestBed();
  dir = mkdtempSync(join(tmpdir(), 'pes-backup-flow-'));
});

afterAll(async () => {
  await bed.cleanup();
  await removeVolumes(bed);
  rmSync(dir, { recursive: true, force: true });
});

/** A healthy one-container service that has the volume mounted, as an application would. */
async function appService(name: string, volume: string): Promise<ServiceDefinition> {
  const project = bed.project(name);
  await bed.createContainer({
    name: bed.containerName(name),
    image: appImage(1),
    compose: { project, service: name },
    hostConfig: { Mounts: [{ Type: 'volume', Source: volume, Target: '/data' }] },
    config: { StopTimeout: 1 },
  });
  return service(name, {
    containers: { compose: { project, service: name } },
    health: { minRunning: 1, timeoutSeconds: 30 },
    volumes: [volume],
  });
}

async function running(name: string): Promise<boolean> {
  const info = await bed.docker.getContainer(bed.containerName(name)).inspect();
  return info.State.Running;
}

describe.each(['restic', 'borg'] as const)('volume round trip with %s', (engine) => {
  let b: BackupBot;
  let volume: string;
  let original: string;

  beforeAll(async () => {
    volume = await makeVolume(bed, `${engine}-data`);
    await inVolume(bed, volume, fill);
    original = await listing(bed, volume);
    const svc = await appService(`${engine}app`, volume);
    b = backupBot(bed, [svc], { engine, repository: join(dir, engine) });
  });

  it('backup → change → restore: the volume equals the original; the service is healthy again', async () => {
    const backup = await b.t.run(admin, `backup ${engine}app`);
    expect(backup.status).toBe('ok');
    expect(backup.message.fields?.[0]?.value).toMatch(/ · 6 files$/);
    await inVolume(bed, volume, change);
    expect(await listing(bed, volume)).not.toBe(original);

    const restore = await b.t.run(admin, `restore ${engine}app latest`, { preconfirmed: true });
    expect(restore.message.text).toContain('restore');
    expect(restore.status).toBe('ok');
    expect(await listing(bed, volume)).toBe(original);
    expect(await running(`${engine}app`)).toBe(true);

    // The safety snapshot taken first brings the changed state back.
    const safety = /restore \S+ (\S+)$/m.exec(restore.message.text ?? '')?.[1] ?? '';
    const back = await b.t.run(admin, `restore ${engine}app ${safety}`, { preconfirmed: true });
    expect(back.status).toBe('ok');
    expect(await listing(bed, volume)).toContain('./new.txt');
  });

  it('verify: the repository check and a drill into a scratch volume pass', async () => {
    const outcome = await b.t.run(admin, `verify ${engine}app`);
    expect(outcome.message.text).toContain('matched');
    expect(outcome.status).toBe('ok');
    const listed = await b.t.run(admin, `backups ${engine}app`);
    expect(listed.message.code?.content).toMatch(/yes \d{4}-/);
    const scratch = await bed.docker.listVolumes({ filters: { label: ['pes.scratch=drill'] } });
    expect(scratch.Volumes ?? []).toEqual([]);
  });

  it('refuses ../../etc, an unknown id and a wrong password; the service keeps running, data unchanged', async () => {
    const before = await listing(bed, volume);
    const bad = await b.t.run(admin, `restore ${engine}app ../../etc`, { preconfirmed: true });
    expect(bad.errorCode).toBe('backup-snapshot-invalid');
    const unknown = await b.t.run(admin, `restore ${engine}app 0123abcd`, { preconfirmed: true });
    expect(unknown.errorCode).toBe('backup-snapshot-unknown');

    const svc = b.t.bot.catalog.services.get(`${engine}app`);
    if (svc === undefined) throw new Error('no service');
    const wrong = backupBot(bed, [svc], {
      engine,
      repository: join(dir, engine),
      password: 'wrong',
    });
    const refused = await wrong.t.run(admin, `restore ${engine}app latest`, { preconfirmed: true });
    expect(refused.errorCode).toBe('backup-repo-wrong-password');
    expect(refused.message.text).not.toContain('wrong'.repeat(2));

    expect(await running(`${engine}app`)).toBe(true);
    expect(await listing(bed, volume)).toBe(before);
  });
});

describe('restic repository faults', () => {
  let b: BackupBot;
  let repository: string;

  beforeAll(async () => {
    const volume = await makeVolume(bed, 'faults');
    await inVolume(bed, volume, fill);
    repository = join(dir, 'faults');
    b = backupBot(bed, [await appService('faultapp', volume)], { engine: 'restic', repository });
    expect((await b.t.run(admin, 'backup faultapp')).status).toBe('ok');
  });

  it('a stale lock is reported with the command that clears it; backup unlock clears it', async () => {
    await leaveStaleResticLock(repository);
    const locked = await b.t.run(admin, 'backup faultapp');
    expect(locked).toMatchObject({ status: 'failed', errorCode: 'backup-repo-locked' });
    expect(locked.message.text).toContain(`restic -r ${repository} unlock`);
    expect(await running('faultapp')).toBe(true);

    expect((await b.t.run(admin, 'backup unlock')).status).toBe('ok');
    expect(readdirSync(join(repository, 'locks'))).toEqual([]);
    expect((await b.t.run(admin, 'backup faultapp')).status).toBe('ok');
  });

  it('a corrupted pack fails verify, naming what is wrong', async () => {
    const packs = readdirSync(join(repository, 'data'), { recursive: true, encoding: 'utf8' })
      .map((p) => join(repository, 'data', p))
      .filter((p) => statSync(p).isFile());
    expect(packs.length).toBeGreaterThan(0);
    for (const pack of packs) {
      const bytes = readFileSync(pack);
      // The middle of each pack: blob data, past any header a quick check would read.
      for (let i = Math.floor(bytes.length / 3); i < bytes.length / 2; i += 64) {
        bytes[i] = (bytes[i] ?? 0) ^ 0x5a;
      }
      writeFileSync(pack, bytes);
    }
    const outcome = await b.t.run(admin, 'verify faultapp');
    expect(outcome).toMatchObject({ status: 'failed', errorCode: 'backup-verify-failed' });
    expect(b.ledger.manifests('faultapp').some((m) => m.verifyOk === false)).toBe(true);
  });

  it('a restore that fails after the stop starts the service again and names the safety snapshot', async () => {
    // The packs are corrupted (above): the safety backup succeeds, reading the stream back
    // from the snapshot does not, once the service is already stopped.
    const outcome = await b.t.run(admin, 'restore faultapp latest', { preconfirmed: true });
    expect(outcome).toMatchObject({ status: 'failed', errorCode: 'backup-restore-failed' });
    expect(outcome.message.text).toContain('The service was started again.');
    expect(outcome.message.text).toMatch(
      /To return to the state before the restore: restore faultapp [0-9a-f]{64}$/,
    );
    expect(await running('faultapp')).toBe(true);
  });
});

describe('PostgreSQL round trip with restic', () => {
  const database = `pes_flow_${process.pid}`;
  let b: BackupBot;
  const rows = 'SELECT id, name FROM courses ORDER BY id';

  beforeAll(async () => {
    const pg = testPostgres();
    psql('postgres', `DROP DATABASE IF EXISTS ${database}`);
    psql('postgres', `CREATE DATABASE ${database}`);
    psql(
      database,
      "CREATE TABLE courses (id int PRIMARY KEY, name text); INSERT INTO courses VALUES (1, 'Физика'), (2, 'Math')",
    );
    const volume = await makeVolume(bed, 'pgapp');
    const svc = await appService('pgapp', volume);
    const withDb: ServiceDefinition = {
      ...svc,
      volumes: [],
      databases: [
        {
          name: 'main',
          engine: 'postgres',
          container: 'unused',
          database,
          user: pg.user,
          via: 'tcp',
          host: pg.host,
          port: pg.port,
        },
      ],
    };
    b = backupBot(
      bed,
      [withDb],
      { engine: 'restic', repository: join(dir, 'pg') },
      new Map([['pgapp/main', pg.password]]),
    );
  });

  afterAll(() => {
    psql('postgres', `DROP DATABASE IF EXISTS ${database}`);
  });

  it('backup → change → restore: the table equals the original', async () => {
    const original = psql(database, rows);
    expect(original).toBe('1|Физика\n2|Math');
    const backup = await b.t.run(admin, 'backup pgapp --only databases');
    expect(backup.status).toBe('ok');
    psql(
      database,
      "DELETE FROM courses WHERE id = 1; INSERT INTO courses VALUES (3, 'new'); CREATE TABLE extra (x int)",
    );

    const restore = await b.t.run(admin, 'restore pgapp latest', { preconfirmed: true });
    expect(restore.status).toBe('ok');
    expect(psql(database, rows)).toBe(original);
    expect(await running('pgapp')).toBe(true);

    const verify = await b.t.run(admin, 'verify pgapp');
    expect(verify.status).toBe('ok');
  });
});
