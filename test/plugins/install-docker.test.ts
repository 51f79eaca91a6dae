/**
 * The installer end to end on the real test engine: `plugin-install` through the bot's one
 * path (a job on the moodle lock), the Moodle site of test/fakes/moodle-site (real PHP, its
 * admin/cli scripts keeping Moodle's contract, a SQLite database in a volume), backups by the
 * real restic into a local repository, and packages from the fake plugins directory on
 * 127.0.0.1. A good plugin is installed and read back from the site's database; every bad
 * package ends with the plugin absent, the site out of maintenance and the database as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
import { pluginZip, type PluginZipKind } from '../fakes/moodle-plugins/zips.ts';
import {
  moodleSiteImage,
  moodleSiteService,
  siteState,
  startMoodleSite,
  type MoodleSite,
  type SiteState,
} from '../fakes/moodle-site/site.ts';
import { createTestRepo, removeVolumes, type TestRepo } from '../helpers/backup-env.ts';
import { testCatalog } from '../helpers/catalog.ts';
import { DockerTestBed } from '../helpers/docker.ts';

const slow = 240_000;
const version = 2024120100;

/** One plugin per case, each served with its package (a wrong MD5 for `bad-md5`). */
const cases: readonly { component: string; kind: PluginZipKind | 'bad-md5' }[] = [
  { component: 'local_good', kind: 'good' },
  { component: 'local_badmd', kind: 'bad-md5' },
  { component: 'local_escape', kind: 'path-escape' },
  { component: 'local_wrongroot', kind: 'wrong-root' },
  { component: 'local_newer', kind: 'requires-newer' },
  { component: 'local_deps', kind: 'missing-dependency' },
  { component: 'local_halfway', kind: 'upgrade-fails' },
];

function directoryPlugins(): FakePlugin[] {
  return cases.map((c, i) => {
    const zip = pluginZip(c.kind === 'bad-md5' ? 'good' : c.kind, c.component, { version });
    return {
      id: 100 + i,
      name: `Test ${c.component}`,
      component: c.component,
      versions: [
        {
          version,
          release: '1.0',
          maturity: 200,
          supports: ['4.5'],
          zip,
          ...(c.kind === 'bad-md5' ? { md5: '0123456789abcdef0123456789abcdef' } : {}),
        },
      ],
    };
  });
}

/** What "the site as it was" compares: everything but the cache-purge marker. */
function comparable(state: SiteState): Record<string, unknown> {
  return Object.fromEntries(Object.entries(state).filter(([key]) => key !== 'cachePurgeMarker'));
}

describe('plugin-install on a real Moodle site (real engine, real PHP, restic)', () => {
  let bed: DockerTestBed;
  let site: MoodleSite;
  let repo: TestRepo;
  let directory: FakePluginsDirectory;
  let bot: Bot;
  const progress: string[] = [];

  beforeAll(async () => {
    bed = new DockerTestBed();
    await moodleSiteImage();
    site = await startMoodleSite(bed, { name: 'install' });
    repo = await createTestRepo('restic');
    directory = new FakePluginsDirectory(directoryPlugins());
    const directoryUrl = await directory.start();
    const platform = new DockerPlatform(bed.connection);
    const log = createLogger({ level: process.env['PES_TEST_LOG'] === '1' ? 'debug' : 'silent' });
    const db = openDatabase(':memory:');
    const moodle = moodleSiteService(site);
    const catalog = testCatalog({ services: new Map([['moodle', moodle]]) });
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
    bot = new Bot({
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
  }, 30 * 60_000);

  afterAll(async () => {
    await directory.stop();
    await site.stop();
    await bed.cleanup();
    await removeVolumes(bed);
    repo.cleanup();
  }, slow);

  const install = (component: string): Promise<Outcome> =>
    bot.invoke(
      {
        actorId: 'local:root',
        room: { id: 'terminal' },
        source: 'terminal',
        text: `plugin-install moodle ${component}`,
        preconfirmed: true,
      },
      {
        reply: () => undefined,
        progress: (u) => progress.push(u.text),
        confirm: { kind: 'refuse' },
      },
    );

  it(
    'installs a good plugin: its version read back from the site database, files owned by www-data, out of maintenance',
    async () => {
      const outcome = await install('local_good');
      expect(outcome.status, JSON.stringify(outcome.message)).toBe('ok');
      const state = await siteState(site);
      expect(state.versions['local_good']).toBe(String(version));
      expect(state.folders).toContain('local_good');
      expect(state.maintenance).toBe(false);
      expect(state.notOwnedByWebUser).toEqual([]);
      expect(state.rows).toContainEqual(['local_good', 'installed', '1']);
      expect(progress).toContain('admin/cli/upgrade.php');
    },
    slow,
  );

  it(
    'plugin-remove takes the good plugin out again: uninstalled in the database, folder gone, out of maintenance',
    async () => {
      const outcome = await bot.invoke(
        {
          actorId: 'local:root',
          room: { id: 'terminal' },
          source: 'terminal',
          text: 'plugin-remove moodle local_good',
          preconfirmed: true,
        },
        { reply: () => undefined, progress: () => undefined, confirm: { kind: 'refuse' } },
      );
      expect(outcome.status, JSON.stringify(outcome.message)).toBe('ok');
      const state = await siteState(site);
      expect(state.versions['local_good']).toBeUndefined();
      expect(state.folders).not.toContain('local_good');
      expect(state.maintenance).toBe(false);
    },
    slow,
  );

  const failures: readonly [string, RegExp][] = [
    ['local_badmd', /MD5/i],
    ['local_escape', /./],
    ['local_wrongroot', /./],
    ['local_newer', /./],
    ['local_deps', /local_absent/],
    ['local_halfway', /upgrade\.php.*The database was put back from the backup taken before/],
  ];
  for (const [component, why] of failures) {
    it(
      `${component}: refused or undone — the plugin absent, out of maintenance, the database as before`,
      async () => {
        const before = await siteState(site);
        const outcome = await install(component);
        expect(outcome.status).toBe('failed');
        expect(outcome.errorCode).toBe('plugin-install-failed');
        expect(outcome.message.text).toMatch(why);
        expect(outcome.message.text).toContain('maintenance mode is off');
        const after = await siteState(site);
        expect(after.versions[component]).toBeUndefined();
        expect(after.folders).not.toContain(component);
        expect(after.maintenance).toBe(false);
        expect(comparable(after)).toEqual(comparable(before));
      },
      slow,
    );
  }
});
