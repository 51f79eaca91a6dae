/**
 * What the backup integration tests share: a volume filled by a busybox container, a listing
 * of its content taken independently of the code under test, and a bot wired with a real
 * engine on a temporary repository.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createBackupEngine } from '../../src/backup/engines/factory.ts';
import type { BackupEngine } from '../../src/backup/types.ts';
import { createBackupService } from '../../src/backup/wire.ts';
import type { ServiceDefinition } from '../../src/core/catalog.ts';
import { createLogger } from '../../src/core/logger.ts';
import { DockerPlatform } from '../../src/platforms/docker/docker-platform.ts';
import { SqliteBackupLedger } from '../../src/store/backup-repo.ts';
import { openDatabase } from '../../src/store/database.ts';
import { createTestBot, type TestBot } from '../helpers/bot.ts';
import { testCatalog } from '../helpers/catalog.ts';
import { busyboxImage, type DockerTestBed } from '../helpers/docker.ts';

export const repoPassword = 'correct horse battery staple';

/** Runs a script in a busybox container with the volume at /v; returns what it printed. */
export async function inVolume(
  bed: DockerTestBed,
  volume: string,
  script: string,
): Promise<string> {
  const container = await bed.createContainer({
    image: busyboxImage,
    cmd: ['sh', '-c', script],
    start: false,
    // A TTY gives the output as plain text (no stream headers); the log keeps it to read.
    config: { Tty: true },
    hostConfig: {
      Mounts: [{ Type: 'volume', Source: volume, Target: '/v' }],
      LogConfig: { Type: 'json-file', Config: {} },
    },
  });
  await container.start();
  const { StatusCode } = (await container.wait()) as { StatusCode: number };
  const output = (await container.logs({ stdout: true, stderr: true })).toString('utf8');
  await container.remove({ force: true });
  if (StatusCode !== 0) throw new Error(`script failed (${StatusCode}): ${output}`);
  return output.replace(/\r\n/g, '\n');
}

/** Names, modes, owners, link counts, types and checksums: equal listings, equal content. */
export function listing(bed: DockerTestBed, volume: string): Promise<string> {
  return inVolume(
    bed,
    volume,
    'cd /v && find . | sort | while read -r f; do stat -c "%n %a %u:%g %h %F" "$f"; done && ' +
      'find . -type f | sort | xargs md5sum',
  );
}

export async function makeVolume(bed: DockerTestBed, name: string): Promise<string> {
  const volume = `${bed.runId}-${name}`;
  await bed.docker.createVolume({ Name: volume, Labels: { 'pes.test': '1' } });
  return volume;
}

export async function removeVolumes(bed: DockerTestBed): Promise<void> {
  const { Volumes } = await bed.docker.listVolumes({ filters: { label: ['pes.test=1'] } });
  await Promise.all(
    (Volumes ?? [])
      .filter((v) => v.Name.startsWith(bed.runId))
      .map((v) => bed.docker.getVolume(v.Name).remove({ force: true })),
  );
}

export interface BackupBot {
  readonly t: TestBot;
  readonly engine: BackupEngine;
  readonly ledger: SqliteBackupLedger;
  readonly platform: DockerPlatform;
}

export function backupBot(
  bed: DockerTestBed,
  services: readonly ServiceDefinition[],
  engine: {
    readonly engine: 'restic' | 'borg';
    readonly repository: string;
    readonly password?: string;
  },
  databasePasswords: ReadonlyMap<string, string> = new Map(),
): BackupBot {
  const platform = new DockerPlatform(bed.connection);
  platform.helperImage = busyboxImage;
  const backupEngine = createBackupEngine({
    engine: engine.engine,
    repository: engine.repository,
    password: engine.password ?? repoPassword,
    // Caches and borg's security files beside the repository, not in the machine's home.
    env:
      engine.engine === 'restic'
        ? { RESTIC_CACHE_DIR: `${engine.repository}.cache` }
        : { BORG_BASE_DIR: `${engine.repository}.base` },
  });
  const ledger = new SqliteBackupLedger(openDatabase(':memory:'));
  const backups = createBackupService({
    engine: backupEngine,
    ledger,
    log: createLogger({ level: 'silent' }),
    platform: () => platform,
    databasePasswords,
    // All of it: the test repositories are small, and a corrupted pack must be read.
    checkSubset: '100%',
    healthPollMs: 100,
  });
  const t = createTestBot({
    catalog: testCatalog({ services: new Map(services.map((s) => [s.name, s])) }),
    platform,
    backups,
    backupLedger: ledger,
  });
  return { t, engine: backupEngine, ledger, platform };
}

/**
 * Leaves a stale exclusive lock the way a killed `restic check` does: the lock file is
 * there, its process is gone (docs/FIELD-NOTES.md "restic": it blocks everything until unlock).
 */
export async function leaveStaleResticLock(repository: string): Promise<void> {
  const locks = join(repository, 'locks');
  // A lock is written as `<id>-tmp-<n>` and then renamed: only a renamed one counts.
  const held = (): boolean => readdirSync(locks).some((name) => /^[0-9a-f]{64}$/.test(name));
  for (let attempt = 0; attempt < 10; attempt++) {
    const child = spawn('restic', ['-r', repository, 'check', '--read-data'], {
      env: { ...process.env, RESTIC_PASSWORD: repoPassword },
      stdio: 'ignore',
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let caught = false;
    const deadline = Date.now() + 10_000;
    while (!caught && child.exitCode === null && Date.now() < deadline) {
      // A busy look: on a small repository the check holds its lock for a few ms only.
      caught = held();
      if (!caught) await new Promise((resolve) => setImmediate(resolve));
    }
    child.kill('SIGKILL');
    await exited;
    for (const name of readdirSync(locks)) if (name.includes('-tmp-')) rmSync(join(locks, name));
    if (held()) return;
  }
  throw new Error('could not catch restic holding its lock');
}

/** The PostgreSQL of scripts/test-env.sh; fails (never skips) when it is not there. */
export function testPostgres(): { host: string; port: number; user: string; password: string } {
  const { PES_TEST_PG_HOST: host, PES_TEST_PG_PORT: port } = process.env;
  const { PES_TEST_PG_USER: user, PES_TEST_PG_PASSWORD: password } = process.env;
  if (host === undefined || port === undefined || user === undefined || password === undefined) {
    throw new Error(
      'PostgreSQL tests need scripts/test-env.sh (PES_TEST_PG_HOST/PORT/USER/PASSWORD)',
    );
  }
  return { host, port: Number(port), user, password };
}

/** Runs SQL with psql (argv, no shell) and returns its unaligned output. */
export function psql(database: string, sql: string): string {
  const pg = testPostgres();
  const result = spawnSync(
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
      '-X',
      '-A',
      '-t',
      '-v',
      'ON_ERROR_STOP=1',
      '-c',
      sql,
    ],
    { env: { ...process.env, PGPASSWORD: pg.password }, encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`psql failed: ${result.stderr}`);
  return result.stdout.trim();
}
