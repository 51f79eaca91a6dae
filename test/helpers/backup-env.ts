/**
 * What the engine and source integration tests share: temporary repositories, engines on
 * them, labelled test volumes, seeding a volume from a directory on the host, a listing of
 * a volume taken by a probe container, and the PostgreSQL of scripts/test-env.sh.
 */
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { BorgEngine } from '../../src/backup/engines/borg.ts';
import { ResticEngine } from '../../src/backup/engines/restic.ts';
import { runProcess } from '../../src/backup/engines/spawn.ts';
import type {
  BackupEngine,
  BackupResult,
  ProducedStream,
  Snapshot,
  SnapshotTags,
} from '../../src/backup/types.ts';
import { DockerPlatform } from '../../src/platforms/docker/docker-platform.ts';
import { busyboxImage, type DockerTestBed } from './docker.ts';

export type EngineKind = 'restic' | 'borg';
export const engineKinds: readonly EngineKind[] = ['restic', 'borg'];
export const repoPassword = 'correct-horse-battery-staple-42';

export interface TestRepo {
  readonly kind: EngineKind;
  readonly repository: string;
  /** Caches and borg's security files, kept apart from the machine's own. */
  readonly env: Readonly<Record<string, string>>;
  readonly engine: ResticEngine | BorgEngine;
  /** Another engine on the same repository. */
  engineWith(password: string, lockWaitSeconds?: number): ResticEngine | BorgEngine;
  cleanup(): void;
}

export async function createTestRepo(kind: EngineKind): Promise<TestRepo> {
  const dir = mkdtempSync(join(tmpdir(), `pes-${kind}-`));
  const repository = join(dir, 'repo');
  const env: Record<string, string> =
    kind === 'restic'
      ? { RESTIC_CACHE_DIR: join(dir, 'cache') }
      : { BORG_BASE_DIR: join(dir, 'base') };
  const engineWith = (password: string, lockWaitSeconds = 1): ResticEngine | BorgEngine =>
    kind === 'restic'
      ? new ResticEngine({ repository, password, env })
      : new BorgEngine({ repository, password, env, lockWaitSeconds });
  const engine = engineWith(repoPassword);
  await engine.init();
  return {
    kind,
    repository,
    env,
    engine,
    engineWith,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function dockerPlatform(bed: DockerTestBed): DockerPlatform {
  const platform = new DockerPlatform(bed.connection);
  platform.helperImage = busyboxImage;
  return platform;
}

/** A volume removed by `removeVolumes`; driver options e.g. for a small tmpfs. */
export async function createVolume(
  bed: DockerTestBed,
  name: string,
  driverOpts?: Record<string, string>,
): Promise<string> {
  const volume = `${bed.runId}-${name}`;
  await bed.docker.createVolume({
    Name: volume,
    Labels: { 'pes.test': '1', 'pes.test.run': bed.runId },
    ...(driverOpts === undefined ? {} : { Driver: 'local', DriverOpts: driverOpts }),
  });
  return volume;
}

export async function removeVolumes(bed: DockerTestBed): Promise<void> {
  const { Volumes } = await bed.docker.listVolumes({
    filters: { label: [`pes.test.run=${bed.runId}`] },
  });
  await Promise.all(
    (Volumes ?? []).map((v) => bed.docker.getVolume(v.Name).remove({ force: true })),
  );
}

export interface SeedFile {
  readonly content?: string | Buffer;
  /** Random bytes of this size instead of content. */
  readonly size?: number;
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  /** A symbolic link to this target instead of a file. */
  readonly link?: string;
  /** An (empty) directory. */
  readonly dir?: boolean;
}

/** Makes the files in a host directory and unpacks them into the volume with writeVolume. */
export async function seedVolume(
  platform: DockerPlatform,
  volume: string,
  files: Readonly<Record<string, SeedFile>>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pes-seed-'));
  try {
    for (const [path, file] of Object.entries(files)) {
      const full = join(dir, path);
      mkdirSync(file.dir === true ? full : dirname(full), { recursive: true });
      if (file.link !== undefined) symlinkSync(file.link, full);
      else if (file.dir !== true) writeFileSync(full, file.content ?? randomBytes(file.size ?? 0));
      if (file.mode !== undefined) chmodSync(full, file.mode);
      if (file.uid !== undefined) chownSync(full, file.uid, file.gid ?? file.uid);
    }
    const tar = new PassThrough();
    const packing = runProcess('tar', ['-c', '-f', '-', '--numeric-owner', '-C', dir, '.'], {
      stdout: tar,
    });
    await Promise.all([platform.writeVolume(volume, tar), packing]);
    const packed = await packing;
    if (packed.exitCode !== 0) throw new Error(`tar failed: ${packed.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Names, modes, owners, types, link targets and sha256 of every file, sorted: equal
 * listings mean equal content. Taken by a probe container of its own, not by the code
 * under test's helpers.
 */
export async function volumeListing(
  bed: DockerTestBed,
  platform: DockerPlatform,
  volume: string,
): Promise<string> {
  const probe = await bed.createContainer({
    hostConfig: { Mounts: [{ Type: 'volume', Source: volume, Target: '/v', ReadOnly: true }] },
  });
  try {
    const stat = await platform.exec(
      probe.id,
      ['find', '/v', '-exec', 'stat', '-c', '%n|%a|%u:%g|%F|%N', '{}', '+'],
      {},
    );
    const sums = await platform.exec(
      probe.id,
      ['find', '/v', '-type', 'f', '-exec', 'sha256sum', '{}', '+'],
      {},
    );
    if (stat.exitCode !== 0 || sums.exitCode !== 0)
      throw new Error(`listing failed: ${stat.stderr}${sums.stderr}`);
    const lines = `${stat.stdout}\n${sums.stdout}`.split('\n').filter((l) => l.trim() !== '');
    return lines.sort().join('\n');
  } finally {
    await probe.remove({ force: true });
  }
}

export function tagsFor(
  service: string,
  source: string,
  job = '1',
  extra: string[] = [],
): SnapshotTags {
  return { service, source, job, extra };
}

/** Backs up a produced stream, the way the orchestration does. */
export function backupProduced(
  engine: ResticEngine | BorgEngine,
  produced: ProducedStream,
  tags: SnapshotTags,
  filename: string,
  time?: Date,
): Promise<BackupResult> {
  return engine.backup(produced.stream, {
    filename,
    tags,
    producer: produced.done,
    onProgress: () => undefined,
    ...(time === undefined ? {} : { time }),
  });
}

/** A small stream as a producer that succeeds. */
export function bytesProduced(content: string | Buffer): ProducedStream {
  const stream = new PassThrough();
  stream.end(content);
  return { stream, done: Promise.resolve() };
}

/** Restores a snapshot into a consumer; both sides' outcomes, the consumer's first. */
export async function restoreInto(
  engine: BackupEngine,
  snapshot: Snapshot,
  consume: (input: Readable) => Promise<void>,
): Promise<void> {
  const pipe = new PassThrough();
  const [consumed, restored] = await Promise.allSettled([
    consume(pipe),
    engine.restore(snapshot, pipe),
  ]);
  if (consumed.status === 'rejected') throw consumed.reason;
  if (restored.status === 'rejected') throw restored.reason;
}

export async function findSnapshot(
  engine: BackupEngine,
  service: string,
  id: string,
): Promise<Snapshot> {
  const found = (await engine.list(service)).find((s) => s.id === id);
  if (found === undefined) throw new Error(`snapshot ${id} of ${service} is not listed`);
  return found;
}

export interface TestPostgres {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
}

/** A database server of scripts/test-env.sh, from its PES_TEST_<kind>_* variables. */
function testServer(kind: 'PG' | 'MYSQL', name: string): TestPostgres {
  const env = (key: string): string | undefined => process.env[`PES_TEST_${kind}_${key}`];
  const [host, port, user, password] = ['HOST', 'PORT', 'USER', 'PASSWORD'].map(env);
  if (host === undefined || port === undefined || user === undefined || password === undefined) {
    throw new Error(`These tests need the ${name} of scripts/test-env.sh (PES_TEST_${kind}_*).`);
  }
  return { host, port: Number(port), user, password };
}

/** The cluster of scripts/test-env.sh; fails (never skips) without it. */
export function requireTestPostgres(): TestPostgres {
  return testServer('PG', 'PostgreSQL');
}

/** The directory of that cluster's unix socket, to mount into a container. */
export function testPostgresSocketDir(): string {
  const dir = process.env['PES_TEST_PG_SOCKET_DIR'];
  if (dir === undefined || dir === '') {
    throw new Error('These tests need the PostgreSQL socket of scripts/test-env.sh.');
  }
  return dir;
}

/** Runs SQL with psql over TCP; returns its unaligned output. */
export async function psql(pg: TestPostgres, database: string, sql: string): Promise<string> {
  const result = await runProcess(
    'psql',
    [
      '-h',
      pg.host,
      '-p',
      String(pg.port),
      '-U',
      pg.user,
      '-d',
      database,
      '-v',
      'ON_ERROR_STOP=1',
      '-Atc',
      sql,
    ],
    { env: { PGPASSWORD: pg.password } },
  );
  if (result.exitCode !== 0) throw new Error(`psql failed: ${result.stderr}`);
  return result.stdout.trim();
}

export type TestMysql = TestPostgres;

/** The MariaDB of scripts/test-env.sh; fails (never skips) without it. */
export function requireTestMysql(): TestMysql {
  return testServer('MYSQL', 'MariaDB');
}

/** Runs SQL with the mysql client over TCP; returns its tab-separated rows, no headers. */
export async function mysqlQuery(db: TestMysql, sql: string): Promise<string> {
  const result = await runProcess(
    'mysql',
    [
      '--protocol=TCP',
      `--host=${db.host}`,
      `--port=${db.port}`,
      `--user=${db.user}`,
      '--batch',
      '--skip-column-names',
      '-e',
      sql,
    ],
    { env: { MYSQL_PWD: db.password } },
  );
  if (result.exitCode !== 0) throw new Error(`mysql failed: ${result.stderr}`);
  return result.stdout.trim();
}
