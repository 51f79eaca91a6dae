/**
 * Sources and the Platform verbs under them, for real: PostgreSQL and MariaDB from Debian's
 * packages on 127.0.0.1 (scripts/test-env.sh) dumped over TCP and restored with both engines; exec with
 * binary streams; volumes that do not exist; hooks in a container; a service stopped and
 * started around a restore; scratch volumes for drills.
 */
import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Container } from 'dockerode';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execHooks, withHooks } from '../../src/backup/sources/hooks.ts';
import { mysqlSource } from '../../src/backup/sources/mysql.ts';
import { postgresSource } from '../../src/backup/sources/postgres.ts';
import type { DatabaseDefinition } from '../../src/core/catalog.ts';
import { UserError } from '../../src/core/errors.ts';
import type { DockerPlatform } from '../../src/platforms/docker/docker-platform.ts';
import {
  helperOwnerLabel,
  removeLeftHelpers,
} from '../../src/platforms/docker/helper-container.ts';
import {
  backupProduced,
  createTestRepo,
  createVolume,
  dockerPlatform,
  engineKinds,
  findSnapshot,
  mysqlQuery,
  psql,
  removeVolumes,
  requireTestMysql,
  requireTestPostgres,
  restoreInto,
  testPostgresSocketDir,
  tagsFor,
  type TestMysql,
  type TestPostgres,
  type TestRepo,
} from '../helpers/backup-env.ts';
import { service } from '../helpers/catalog.ts';
import { appImage, busyboxImage, DockerTestBed } from '../helpers/docker.ts';

async function expectUserError(promise: Promise<unknown>, code: string): Promise<UserError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected ${code}`).toBeInstanceOf(UserError);
  expect((error as UserError).code).toBe(code);
  return error as UserError;
}

const rowsQuery =
  "select string_agg(id || ':' || name || ':' || md5(data), ',' order by id) from items";

describe.each(engineKinds)('PostgreSQL over TCP with %s', (kind) => {
  let pg: TestPostgres;
  let repo: TestRepo;
  let bed: DockerTestBed;
  const database = `pt_${kind}_${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    pg = requireTestPostgres();
    bed = new DockerTestBed();
    repo = await createTestRepo(kind);
    await psql(pg, 'postgres', `create database ${database}`);
  });

  afterAll(async () => {
    if (pg !== undefined)
      await psql(pg, 'postgres', `drop database if exists ${database} with (force)`);
    repo?.cleanup();
  });

  it('backup → change the rows → restore: the rows equal the original', async () => {
    await psql(
      pg,
      database,
      'create table items (id int primary key, name text not null, data bytea);' +
        "insert into items select i, 'item ' || i, sha256(i::text::bytea) from generate_series(1, 2000) i;" +
        'create index items_name on items (name);',
    );
    const original = await psql(pg, database, rowsQuery);
    const db: DatabaseDefinition = {
      name: 'app',
      engine: 'postgres',
      container: 'unused-over-tcp',
      database,
      user: pg.user,
      via: 'tcp',
      host: pg.host,
      port: pg.port,
    };
    const source = postgresSource(db, { platform: dockerPlatform(bed), password: pg.password });
    const started = Date.now();
    const made = await backupProduced(
      repo.engine,
      await source.produce(),
      tagsFor('lms', source.id),
      source.filename,
    );
    const backupMs = Date.now() - started;

    await psql(
      pg,
      database,
      "update items set name = 'changed' where id % 3 = 0; delete from items where id > 1500;" +
        "insert into items values (5000, 'new', null); drop index items_name;",
    );
    expect(await psql(pg, database, rowsQuery)).not.toBe(original);

    const snapshot = await findSnapshot(repo.engine, 'lms', made.snapshotId);
    expect(snapshot.filename).toBe('app.pgdump');
    const restoreStarted = Date.now();
    await restoreInto(repo.engine, snapshot, (input) => source.consume(input));
    console.info(
      `${kind}: PostgreSQL dump ${backupMs} ms, restore ${Date.now() - restoreStarted} ms`,
    );
    expect(await psql(pg, database, rowsQuery)).toBe(original);
    expect(
      await psql(pg, database, "select count(*) from pg_indexes where indexname = 'items_name'"),
    ).toBe('1');
  });

  it('a dump of a database that does not exist fails and leaves no snapshot', async () => {
    const source = postgresSource(
      {
        name: 'gone',
        engine: 'postgres',
        container: 'x',
        database: 'no_such_db',
        user: pg.user,
        via: 'tcp',
        host: pg.host,
        port: pg.port,
      },
      { platform: dockerPlatform(bed), password: pg.password },
    );
    const error = await expectUserError(
      backupProduced(
        repo.engine,
        await source.produce(),
        tagsFor('nodb', source.id),
        source.filename,
      ),
      'backup-producer-failed',
    );
    expect(error.text('en')).toContain('no_such_db');
    expect(error.text('en')).not.toContain(pg.password);
    expect(await repo.engine.list('nodb')).toEqual([]);
  });
});

describe('PostgreSQL inside its container (via: exec) with restic', () => {
  let pg: TestPostgres;
  let repo: TestRepo;
  let bed: DockerTestBed;
  const database = `px_${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    pg = requireTestPostgres();
    bed = new DockerTestBed();
    repo = await createTestRepo('restic');
    await psql(pg, 'postgres', `create database ${database}`);
  });

  afterAll(async () => {
    await bed?.cleanup();
    if (pg !== undefined)
      await psql(pg, 'postgres', `drop database if exists ${database} with (force)`);
    repo?.cleanup();
  });

  it('pg_dump and pg_restore run in the container: the rows come back', async () => {
    // Debian's pg_dump and pg_restore in a container with no network, reaching the server
    // through its socket directory mounted where a database's own container has it.
    const container = await bed.createContainer({
      image: 'pes-test/pg-client:1',
      hostConfig: { Binds: [`${testPostgresSocketDir()}:/var/run/postgresql`] },
    });
    await psql(
      pg,
      database,
      'create table items (id int primary key, name text not null, data bytea);' +
        "insert into items select i, 'item ' || i, sha256(i::text::bytea) from generate_series(1, 2000) i;",
    );
    const original = await psql(pg, database, rowsQuery);
    const db: DatabaseDefinition = {
      name: 'app',
      engine: 'postgres',
      container: container.id,
      database,
      user: pg.user,
      via: 'exec',
    };
    const source = postgresSource(db, { platform: dockerPlatform(bed), password: undefined });
    const made = await backupProduced(
      repo.engine,
      await source.produce(),
      tagsFor('lms', source.id),
      source.filename,
    );
    await psql(pg, database, "update items set name = 'changed'; delete from items where id > 10;");
    expect(await psql(pg, database, rowsQuery)).not.toBe(original);
    const snapshot = await findSnapshot(repo.engine, 'lms', made.snapshotId);
    await restoreInto(repo.engine, snapshot, (input) => source.consume(input));
    expect(await psql(pg, database, rowsQuery)).toBe(original);
  });
});

const mysqlRows =
  "select group_concat(concat_ws(':', id, name, md5(data)) order by id separator ',') from items";

describe.each(engineKinds)('MariaDB over TCP with %s', (kind) => {
  let my: TestMysql;
  let repo: TestRepo;
  let bed: DockerTestBed;
  const database = `mt_${kind}_${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    my = requireTestMysql();
    bed = new DockerTestBed();
    repo = await createTestRepo(kind);
    await mysqlQuery(my, `create database ${database}`);
  });

  afterAll(async () => {
    if (my !== undefined) await mysqlQuery(my, `drop database if exists ${database}`);
    repo?.cleanup();
  });

  const definition = (name: string, db: string): DatabaseDefinition => ({
    name,
    engine: 'mysql',
    container: 'unused-over-tcp',
    database: db,
    user: my.user,
    via: 'tcp',
    host: my.host,
    port: my.port,
  });

  it('backup → change the rows → restore: the rows equal the original', async () => {
    await mysqlQuery(
      my,
      `use ${database};` +
        'create table items (id int primary key, name varchar(64) not null, data blob, ' +
        'key items_name (name)) engine=InnoDB;' +
        "insert into items select seq, concat('item ', seq), unhex(sha2(seq, 256)) " +
        'from seq_1_to_2000;',
    );
    const query = `use ${database}; ${mysqlRows}`;
    const original = await mysqlQuery(my, query);
    expect(original.split(',')).toHaveLength(2000);
    const source = mysqlSource(definition('app', database), {
      platform: dockerPlatform(bed),
      password: my.password,
    });
    const made = await backupProduced(
      repo.engine,
      await source.produce(),
      tagsFor('lms', source.id),
      source.filename,
    );
    await mysqlQuery(
      my,
      `use ${database};` +
        "update items set name = 'changed' where id % 3 = 0; delete from items where id > 1500;" +
        "insert into items values (5000, 'new', null); alter table items drop key items_name;",
    );
    expect(await mysqlQuery(my, query)).not.toBe(original);
    const snapshot = await findSnapshot(repo.engine, 'lms', made.snapshotId);
    expect(snapshot.filename).toBe('app.sql');
    await restoreInto(repo.engine, snapshot, (input) => source.consume(input));
    expect(await mysqlQuery(my, query)).toBe(original);
    expect(
      await mysqlQuery(
        my,
        'select count(*) from information_schema.statistics ' +
          `where table_schema = '${database}' and index_name = 'items_name'`,
      ),
    ).toBe('1');
  });

  it('a dump of a database that does not exist fails and leaves no snapshot', async () => {
    const source = mysqlSource(definition('gone', 'no_such_db'), {
      platform: dockerPlatform(bed),
      password: my.password,
    });
    const error = await expectUserError(
      backupProduced(
        repo.engine,
        await source.produce(),
        tagsFor('nodb', source.id),
        source.filename,
      ),
      'backup-producer-failed',
    );
    expect(error.text('en')).toContain('no_such_db');
    expect(error.text('en')).not.toContain(my.password);
    expect(await repo.engine.list('nodb')).toEqual([]);
  });
});

describe('Docker platform verbs for backups', () => {
  let bed: DockerTestBed;
  let platform: DockerPlatform;

  beforeAll(() => {
    bed = new DockerTestBed();
    platform = dockerPlatform(bed);
  });

  afterAll(async () => {
    await bed?.cleanup();
    if (bed !== undefined) await removeVolumes(bed);
  });

  it('exec streams binary stdin and stdout unchanged (no TTY), with backpressure', async () => {
    const container = await bed.createContainer();
    const data = randomBytes(20 * 1024 * 1024);
    const out = new PassThrough();
    const hash = createHash('sha256');
    let size = 0;
    out.on('data', (chunk: Buffer) => {
      size += chunk.length;
      hash.update(chunk);
    });
    const started = Date.now();
    const result = await platform.exec(container.id, ['cat'], {
      stdin: Readable.from([data]),
      stdout: out,
    });
    console.info(`exec: 20 MB through cat in ${Date.now() - started} ms`);
    expect(result.exitCode).toBe(0);
    expect(size).toBe(data.length);
    expect(hash.digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
  });

  it('exec reports the exit code, stderr and stdout; env and user reach the command', async () => {
    const container = await bed.createContainer();
    const failed = await platform.exec(container.id, ['ls', '/no/such/path'], {});
    expect(failed.exitCode).not.toBe(0);
    expect(failed.stderr).toContain('/no/such/path');
    const env = await platform.exec(container.id, ['env'], {
      env: { PGPASSWORD: 'in-env-only' },
      user: 'nobody',
    });
    expect(env.stdout).toContain('PGPASSWORD=in-env-only');
    const id = await platform.exec(container.id, ['id', '-u'], { user: 'nobody' });
    expect(id.stdout.trim()).toBe('65534');
  });

  it('a cancelled exec does not leave its command running in the container', async () => {
    const container = await bed.createContainer();
    const controller = new AbortController();
    const sink = new PassThrough();
    sink.resume();
    setTimeout(() => controller.abort(new Error('cancelled by the test')), 500);
    await expect(
      platform.exec(container.id, ['cat', '/dev/zero'], { stdout: sink }, controller.signal),
    ).rejects.toThrow('cancelled by the test');
    await bed.waitFor('the command to end', async () => {
      const ps = await platform.exec(container.id, ['ps', '-o', 'args'], {});
      return ps.exitCode === 0 && !ps.stdout.includes('cat /dev/zero') ? true : undefined;
    });
  });

  it('exec into a container that does not exist is a Docker error', async () => {
    await expectUserError(platform.exec(`${bed.runId}-nothing`, ['true'], {}), 'docker-error');
  });

  it('reading a volume that does not exist fails before anything runs, and creates none', async () => {
    const name = `${bed.runId}-missing`;
    await expectUserError(platform.readVolume(name), 'backup-volume-missing');
    await expectUserError(platform.writeVolume(name, Readable.from([])), 'backup-volume-missing');
    const { Volumes } = await bed.docker.listVolumes({ filters: { name: [name] } });
    expect(Volumes ?? []).toEqual([]);
  });

  it('a helper image that is not on the host is named, with what to do', async () => {
    const volume = await createVolume(bed, 'noimage');
    const other = dockerPlatform(bed);
    other.helperImage = 'pes-test/not-there:1';
    const produced = await other.readVolume(volume);
    produced.stream.resume();
    const error = await expectUserError(produced.done, 'backup-helper-image-missing');
    expect(error.hint('en')).toContain('docker pull pes-test/not-there:1');
  });

  it('a restore stream that breaks off is an error, never taken for the whole', async () => {
    const volume = await createVolume(bed, 'cut');
    let sent = 0;
    const cut = new Readable({
      read() {
        if (sent >= 256 * 1024) {
          this.destroy(new Error('the snapshot stream broke off'));
          return;
        }
        // A valid start of a tar stream would be the same: what matters is the cut.
        sent += 64 * 1024;
        this.push(Buffer.alloc(64 * 1024));
      },
    });
    await expect(platform.writeVolume(volume, cut)).rejects.toThrow(
      'the snapshot stream broke off',
    );
  });

  it('hooks: the after-command runs in the container even when the backup fails', async () => {
    const container = await bed.createContainer();
    const hooks = execHooks(platform, {
      container: container.id,
      before: [['touch', '/tmp/maintenance']],
      after: [['rm', '/tmp/maintenance']],
    });
    let during = -1;
    await expect(
      withHooks(hooks, async () => {
        during = (await platform.exec(container.id, ['test', '-e', '/tmp/maintenance'], {}))
          .exitCode;
        throw new Error('the backup failed');
      }),
    ).rejects.toThrow('the backup failed');
    expect(during).toBe(0);
    const after = await platform.exec(container.id, ['test', '-e', '/tmp/maintenance'], {});
    expect(after.exitCode).toBe(1);
  });

  it('stops a service and starts it again, healthy', async () => {
    const project = bed.project('svc');
    for (const number of [1, 2]) {
      await bed.createContainer({
        name: bed.containerName(`svc-${number}`),
        image: appImage(1),
        compose: { project, service: 'svc', number },
        // `sleep` as pid 1 ignores SIGTERM: do not wait Docker's default 10 s for it.
        config: { StopTimeout: 1 },
      });
    }
    const svc = service('svc', { containers: { compose: { project, service: 'svc' } } });
    const stopped = await platform.stopService(svc);
    expect([...stopped].sort()).toEqual([bed.containerName('svc-1'), bed.containerName('svc-2')]);
    expect((await platform.status(svc)).state).toBe('down');
    expect(await platform.stopService(svc)).toEqual([]);
    const started = await platform.startService(svc);
    expect(started).toHaveLength(2);
    const status = await platform.status(svc);
    expect(status.state).toBe('up');
    expect(status.containers.every((c) => c.health === 'healthy')).toBe(true);
  });

  it('sweeps helpers a dead bot left behind, never one a live bot may still use', async () => {
    const host = hostname();
    const dead = 2_000_000_000;
    const helper = (owner?: string): Record<string, string> => ({
      'pes.bot/helper': 'read-volume',
      ...(owner === undefined ? {} : { [helperOwnerLabel]: owner }),
    });
    const exited = async (owner?: string): Promise<Container> => {
      const c = await bed.createContainer({ cmd: ['true'], labels: helper(owner) });
      await c.wait();
      return c;
    };
    const idle = (owner: string): Promise<Container> =>
      bed.docker.createContainer({
        Image: busyboxImage,
        Cmd: ['true'],
        Labels: { 'pes.test': '1', 'pes.test.run': bed.runId, ...helper(owner) },
        HostConfig: { NetworkMode: 'none' },
      });
    const gone = [await exited(`${host}:${dead}`), await exited(), await idle(`${host}:${dead}`)];
    const kept = [
      await exited(`${host}:${process.pid}`),
      await idle(`${host}:${process.pid}`),
      await idle(`another-host:${dead}`),
      await bed.createContainer({ labels: helper(`${host}:${dead}`) }),
    ];
    const isAlive = (pid: number): boolean => pid === process.pid;
    expect(await removeLeftHelpers(bed.connection, isAlive)).toBeGreaterThanOrEqual(gone.length);
    for (const c of gone) await expect(c.inspect()).rejects.toThrow();
    for (const c of kept) expect((await c.inspect()).Id).toBe(c.id);
    await Promise.all(kept.map((c) => c.remove({ force: true })));
  });

  it('makes and removes scratch volumes for drills', async () => {
    const name = await platform.createScratchVolume({ 'pes.test': '1', 'pes.test.run': bed.runId });
    const info = await bed.docker.getVolume(name).inspect();
    expect(info.Labels).toMatchObject({ 'pes.bot/scratch': 'true', 'pes.test.run': bed.runId });
    await platform.removeVolume(name);
    await platform.removeVolume(name);
    await expect(bed.docker.getVolume(name).inspect()).rejects.toThrow();
  });
});
