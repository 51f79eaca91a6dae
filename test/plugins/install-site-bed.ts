/**
 * The bot as `pes serve` wires the installer, on the real test engine: the Moodle site of
 * test/fakes/moodle-site (real PHP, SQLite in a volume), backups by restic into a local
 * repository, and the fake plugins directory on 127.0.0.1 serving the packages given. Used by
 * the integration test and by `npm run bench:moodle`.
 */
import { commands } from '../../commands/index.ts';
import { createBackupService } from '../../src/backup/wire.ts';
import { Bot } from '../../src/core/bot.ts';
import { createLogger } from '../../src/core/logger.ts';
import type { Outcome } from '../../src/core/outcome.ts';
import { Registry } from '../../src/core/registry.ts';
import { DockerPlatform } from '../../src/platforms/docker/docker-platform.ts';
import { wirePlugins } from '../../src/plugins/wire.ts';
import { SqliteAuditLog } from '../../src/store/audit-repo.ts';
import { SqliteBackupLedger } from '../../src/store/backup-repo.ts';
import { SqliteConfirmationStore } from '../../src/store/confirmations-repo.ts';
import { openDatabase } from '../../src/store/database.ts';
import { SqliteJobStore } from '../../src/store/jobs-repo.ts';
import { FakePluginsDirectory, type FakePlugin } from '../fakes/moodle-plugins/server.ts';
import {
  moodleSiteImage,
  moodleSiteService,
  startMoodleSite,
  type MoodleSite,
} from '../fakes/moodle-site/site.ts';
import { createTestRepo, removeVolumes, type TestRepo } from '../helpers/backup-env.ts';
import { testCatalog } from '../helpers/catalog.ts';
import { DockerTestBed } from '../helpers/docker.ts';

export interface InstallSiteBed {
  readonly bed: DockerTestBed;
  readonly site: MoodleSite;
  readonly repo: TestRepo;
  readonly directory: FakePluginsDirectory;
  readonly bot: Bot;
  /** What the last commands reported as progress, in order. */
  readonly progress: string[];
  /** Runs a command line as local:root (admin), confirmed in advance. */
  run(text: string, actor?: string): Promise<Outcome>;
  stop(): Promise<void>;
}

export async function startInstallSiteBed(plugins: readonly FakePlugin[]): Promise<InstallSiteBed> {
  const bed = new DockerTestBed();
  await moodleSiteImage();
  const site = await startMoodleSite(bed, { name: 'install' });
  const repo = await createTestRepo('restic');
  const directory = new FakePluginsDirectory(plugins);
  const directoryUrl = await directory.start();
  const platform = new DockerPlatform(bed.connection);
  const log = createLogger({ level: process.env['PES_TEST_LOG'] === '1' ? 'debug' : 'silent' });
  const db = openDatabase(':memory:');
  const catalog = testCatalog({
    services: new Map([['moodle', moodleSiteService(site)]]),
    roles: [
      { name: 'admin', members: ['local:root'], commands: ['*'] },
      { name: 'teacher', members: ['local:teacher'], commands: ['plugin-request', 'plugins'] },
    ],
  });
  const backups = createBackupService({
    engine: repo.engine,
    ledger: new SqliteBackupLedger(db),
    log,
    platform: () => platform,
    databasePasswords: new Map(),
    healthPollMs: 100,
  });
  const wiring = wirePlugins({
    config: {
      desk: {
        service: 'moodle',
        root: site.root,
        directoryUrl,
        policy: { roles: ['admin'], count: 1, ttlMs: 3_600_000 },
        install: {
          webUser: 'www-data',
          php: 'php',
          databaseVolume: site.volumes.db,
          maxDownloadBytes: 10 * 1024 * 1024,
          downloadTimeoutMs: 30_000,
        },
      },
      commandRules: [],
    },
    catalog,
    db,
    log,
  });
  if (wiring.desk === undefined) throw new Error('no desk');
  const bot = new Bot({
    catalog,
    registry: new Registry(commands),
    jobs: new SqliteJobStore(db),
    audit: new SqliteAuditLog(db),
    confirmations: new SqliteConfirmationStore(db),
    platform: () => platform,
    backups,
    plugins: wiring.desk,
    log,
  });
  const progress: string[] = [];
  return {
    bed,
    site,
    repo,
    directory,
    bot,
    progress,
    run: (text, actor = 'local:root') =>
      bot.invoke(
        { actorId: actor, room: { id: 'terminal' }, source: 'terminal', text, preconfirmed: true },
        {
          reply: () => undefined,
          progress: (u) => progress.push(u.text),
          confirm: { kind: 'refuse' },
        },
      ),
    async stop() {
      await directory.stop();
      await site.stop();
      await bed.cleanup();
      await removeVolumes(bed);
      repo.cleanup();
    },
  };
}
