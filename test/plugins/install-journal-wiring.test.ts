/**
 * The journal as `pes serve` wires it: a plugin-install job run by the bot writes its row in
 * the state database, and the next start (a new wiring on the same database, the old job no
 * longer running) puts back what is safe and tells the approvers' room. The bot "dies" here
 * by being left hanging at a step: its row is what a kill -9 there would leave.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commands } from '../../commands/index.ts';
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
import { SqlitePluginJournal } from '../../src/store/plugin-journal-repo.ts';
import { attendance, FakePluginsDirectory } from '../fakes/moodle-plugins/server.ts';
import { admins, pluginCatalog, recordingTarget, type Notice } from './bed.ts';
import { fakeBackups, fakePackage, ScriptedSite, scriptedPlatform } from './install-fakes.ts';

const { zip, pkg } = fakePackage('mod_attendance', 2024100300);
const fake = new FakePluginsDirectory([
  {
    ...attendance,
    versions: [{ version: 2024100300, release: '4.5.0', maturity: 200, supports: ['4.5'], zip }],
  },
]);
let url = '';
beforeAll(async () => {
  url = await fake.start();
});
afterAll(() => fake.stop());

function bed() {
  const db = openDatabase(':memory:');
  const catalog = pluginCatalog();
  const log = createLogger({ level: 'silent' });
  const notices: Notice[] = [];
  const site = new ScriptedSite();
  const platform = scriptedPlatform(site);
  const { backups } = fakeBackups(site);
  const wire = () => {
    const routed = new RoutedNotices(log);
    routed.attach({ mattermost: recordingTarget(notices), matrix: recordingTarget(notices) });
    return wirePlugins({
      config: {
        desk: {
          service: 'moodle',
          root: '/var/www/html',
          directoryUrl: url,
          policy: { roles: ['admin'], count: 2, ttlMs: 72 * 3_600_000, room: admins },
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
  };
  const wiring = wire();
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
  const say = (text: string): Promise<Outcome> =>
    bot.invoke(
      {
        actorId: 'local:root',
        room: { id: 'terminal' },
        source: 'terminal',
        text,
        preconfirmed: true,
      } satisfies Invocation,
      { reply: () => undefined, progress: () => undefined, confirm: { kind: 'pending' } },
    );
  /** The next start: a new wiring on the same database, the job no longer running. */
  const nextStart = () => wire().recoverJobs({ platform: () => platform, running: () => false });
  return { site, notices, say, nextStart, journal: new SqlitePluginJournal(db) };
}

describe('the plugin journal in the bot', () => {
  it('killed during upgrade.php: the row says so, and the next start leaves maintenance on and names the backup', async () => {
    const b = bed();
    b.site.faults = { upgradeHangs: true };
    const running = b.say('plugin-install moodle mod_attendance');
    await b.site.upgradeStarted;
    expect(b.journal.all()).toEqual([
      {
        jobId: 1,
        service: 'moodle',
        component: 'mod_attendance',
        targetDir: '/var/www/html/mod/attendance',
        asideDir: undefined,
        createdFolder: true,
        maintenanceOn: true,
        upgradeStarted: true,
        backupSnapshot: 'abc12345',
      },
    ]);
    const said = await b.nextStart();
    expect(said.get(1)?.en).toContain('restore moodle abc12345');
    expect(b.site.maintenance).toBe(true);
    expect(b.journal.all()).toHaveLength(1);
    const posted = b.notices.filter(
      (n) => n.room === admins && n.key.startsWith('plugin-recovery:1:'),
    );
    expect(posted.map((n) => n.message.text)).toEqual([said.get(1)?.en]);
    // The hanging job ends (its own undo) and deletes its row.
    await b.say('cancel 1');
    await running;
    expect(b.journal.all()).toEqual([]);
  });

  it('killed while the folder is copied: the next start removes it and turns maintenance off', async () => {
    const b = bed();
    let reached = (): void => undefined;
    const atTar = new Promise<void>((resolve) => (reached = resolve));
    const exec = b.site.exec;
    // tar writes a part, then hangs until the job is cancelled.
    Object.defineProperty(b.site, 'exec', {
      value: async (...args: Parameters<typeof exec>) => {
        if (args[0][0] === 'tar') {
          b.site.files.set('/var/www/html/mod/attendance/version.php', '<?php');
          reached();
          await new Promise<void>((_, reject) =>
            args[2].addEventListener('abort', () => reject(new Error('cancelled')), {
              once: true,
            }),
          );
        }
        return exec(...args);
      },
    });
    const running = b.say('plugin-install moodle mod_attendance');
    await atTar;
    expect(b.site.maintenance).toBe(true);
    const said = await b.nextStart();
    expect(b.site.folderOf('mod_attendance')).toEqual([]);
    expect(b.site.maintenance).toBe(false);
    expect(b.journal.all()).toEqual([]);
    expect(said.get(1)?.en).toBe(
      'moodle: after the interrupted job (mod_attendance) the bot set the site right: the folder /var/www/html/mod/attendance was removed, maintenance mode is off.',
    );
    await b.say('cancel 1');
    await running;
  });
});
