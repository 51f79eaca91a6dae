/**
 * The installer on the bot's real BackupService (EngineBackupService on the backup area's fake
 * engine and ledger), whose database source is the scripted site's database and whose hooks
 * are those of config/pes.example.yaml (maintenance.php --enable before, --disable after):
 * a rollback's restore must not run the `after` hook (it would end maintenance in the middle
 * of the rollback), and a cancel after the backup is a cancel, though the real service marks
 * its signal past the point of no return once the backup is stored.
 */
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { commands } from '../../commands/index.ts';
import type { BackupHooks } from '../../src/backup/plan.ts';
import type { ProducedStream } from '../../src/backup/types.ts';
import { Bot } from '../../src/core/bot.ts';
import type { Invocation } from '../../src/core/invocation.ts';
import { createLogger } from '../../src/core/logger.ts';
import type { Outcome } from '../../src/core/outcome.ts';
import { Registry } from '../../src/core/registry.ts';
import { RoutedNotices, wirePlugins } from '../../src/plugins/wire.ts';
import { SqliteAuditLog } from '../../src/store/audit-repo.ts';
import { SqliteConfirmationStore } from '../../src/store/confirmations-repo.ts';
import { openDatabase } from '../../src/store/database.ts';
import { SqliteJobStore } from '../../src/store/jobs-repo.ts';
import { FakeSource, harness } from '../backup/fakes.ts';
import { attendance, FakePluginsDirectory } from '../fakes/moodle-plugins/server.ts';
import { pluginCatalog, recordingTarget, type Notice } from './bed.ts';
import { fakePackage, ScriptedSite, scriptedPlatform } from './install-fakes.ts';

const { zip, pkg } = fakePackage('mod_attendance', 2024100300);

/** The site's database as a backup source: a dump is its records, a restore replaces them. */
class SiteDatabase extends FakeSource {
  readonly #site: ScriptedSite;
  /** Whether the site was in maintenance when each restore wrote the database back. */
  readonly maintenanceAtRestore: boolean[] = [];

  constructor(site: ScriptedSite) {
    super('postgres:moodle', '');
    this.#site = site;
  }

  override produce(): Promise<ProducedStream> {
    const dump = Buffer.from(JSON.stringify([...this.#site.db]));
    return Promise.resolve({ stream: Readable.from([dump]), done: Promise.resolve() });
  }

  override async consume(input: Readable): Promise<void> {
    const rows = JSON.parse((await buffer(input)).toString()) as [string, number][];
    this.maintenanceAtRestore.push(this.#site.maintenance);
    this.#site.db = new Map(rows);
  }
}

/** The example configuration's hooks, run on the scripted site as the web server's user. */
function maintenanceHooks(site: ScriptedSite, log: string[]): BackupHooks {
  const run = async (flag: string): Promise<void> => {
    log.push(flag);
    const script = '/var/www/html/admin/cli/maintenance.php';
    await site.exec(['php', script, flag], { user: 'www-data' }, new AbortController().signal);
  };
  return { before: () => run('--enable'), after: () => run('--disable') };
}

async function bed() {
  const fake = new FakePluginsDirectory([
    {
      ...attendance,
      versions: [{ version: 2024100300, release: '4.5.0', maturity: 200, supports: ['4.5'], zip }],
    },
  ]);
  const url = await fake.start();
  const db = openDatabase(':memory:');
  const catalog = pluginCatalog();
  const log = createLogger({ level: 'silent' });
  const notices: Notice[] = [];
  const routed = new RoutedNotices(log);
  routed.attach({ mattermost: recordingTarget(notices), matrix: recordingTarget(notices) });
  const site = new ScriptedSite();
  const jobs = new SqliteJobStore(db);
  const hookLog: string[] = [];
  const database = new SiteDatabase(site);
  const h = harness({ moodle: { sources: [database], hooks: maintenanceHooks(site, hookLog) } });
  const wiring = wirePlugins({
    config: {
      desk: {
        service: 'moodle',
        root: '/var/www/html',
        directoryUrl: url,
        policy: { roles: ['admin'], count: 2, ttlMs: 3_600_000, room: 'mattermost:admins' },
      },
      commandRules: [],
    },
    catalog,
    db,
    log,
    notices: routed,
    pkg,
    download: () => Promise.resolve(zip),
  });
  if (wiring.desk === undefined) throw new Error('no desk');
  const bot = new Bot({
    catalog,
    registry: new Registry(commands),
    jobs,
    audit: new SqliteAuditLog(db),
    confirmations: new SqliteConfirmationStore(db),
    platform: () => scriptedPlatform(site),
    backups: h.service,
    plugins: wiring.desk,
    interpret: wiring.interpret,
    log,
  });
  wiring.attachInvoke((invocation, sink) => bot.invoke(invocation, sink));
  const say = (text: string, extra: Partial<Invocation> = {}): Promise<Outcome> =>
    bot.invoke(
      {
        actorId: 'local:root',
        room: { id: 'terminal' },
        source: 'terminal',
        text,
        preconfirmed: true,
        ...extra,
      },
      { reply: () => undefined, progress: () => undefined, confirm: { kind: 'pending' } },
    );
  return { site, say, jobs, hookLog, database, control: h.control, stop: () => fake.stop() };
}

describe('the installer on the real BackupService with maintenance hooks', () => {
  it('a failed upgrade is rolled back with maintenance still on: the restore runs no hook', async () => {
    const b = await bed();
    try {
      b.site.faults = { upgradeFailsHalfway: true };
      const outcome = await b.say('plugin-install moodle mod_attendance');
      expect(outcome.errorCode).toBe('plugin-install-failed');
      expect(outcome.message.text).toContain('The database was put back');
      // The hooks ran around the pre-install backup only, not around the restore's safety copy.
      expect(b.hookLog).toEqual(['--enable', '--disable']);
      expect(b.database.maintenanceAtRestore).toEqual([true]);
      expect(b.control.calls).toEqual(['stop moodle', 'start moodle', 'wait moodle']);
      expect(b.site.db.has('mod_attendance')).toBe(false);
      expect(b.site.maintenance).toBe(false);
    } finally {
      await b.stop();
    }
  });

  it('a cancel in the middle of upgrade.php is recorded as cancelled, and undone', async () => {
    const b = await bed();
    try {
      b.site.faults = { upgradeHangs: true };
      const running = b.say('plugin-install moodle mod_attendance');
      await b.site.upgradeStarted;
      expect((await b.say('cancel 1')).status).toBe('ok');
      const outcome = await running;
      expect(outcome.status).toBe('failed');
      expect(outcome.message.text).toContain('cancelled');
      expect(outcome.message.text).toContain('The database was put back');
      expect(b.jobs.get(1)?.state).toBe('cancelled');
      expect(b.site.db.has('mod_attendance')).toBe(false);
      expect(b.site.maintenance).toBe(false);
    } finally {
      await b.stop();
    }
  });
});
