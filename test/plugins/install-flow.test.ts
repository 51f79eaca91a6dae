/**
 * An approved request installs, on the invocation path as `pes serve` wires it: a teacher
 * asks, two admins approve, the installer runs as a job on the moodle lock as the approver who
 * completed the approval (no second confirmation), the card says installed, and each teacher
 * is told in their language; a failed install tells both the teachers and the admins why.
 * Also the bad input of issue 17: one line each, nothing changed. The site is the scripted
 * container of install-fakes.ts; backups and the package are fakes at their ports.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commands } from '../../commands/index.ts';
import { Bot } from '../../src/core/bot.ts';
import type { Invocation } from '../../src/core/invocation.ts';
import { createLogger } from '../../src/core/logger.ts';
import type { Outcome } from '../../src/core/outcome.ts';
import type { ContainerState } from '../../src/core/platform.ts';
import { Registry } from '../../src/core/registry.ts';
import { RoutedNotices, wirePlugins } from '../../src/plugins/wire.ts';
import { SqliteAuditLog } from '../../src/store/audit-repo.ts';
import { SqliteConfirmationStore } from '../../src/store/confirmations-repo.ts';
import { openDatabase } from '../../src/store/database.ts';
import { SqliteJobStore } from '../../src/store/jobs-repo.ts';
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

function bed(options: { state?: ContainerState; database?: boolean } = {}) {
  const db = openDatabase(':memory:');
  const catalog = pluginCatalog();
  const log = createLogger({ level: process.env['PES_TEST_LOG'] === '1' ? 'debug' : 'silent' });
  const notices: Notice[] = [];
  const routed = new RoutedNotices(log);
  routed.attach({ mattermost: recordingTarget(notices), matrix: recordingTarget(notices) });
  const site = new ScriptedSite();
  const jobs = new SqliteJobStore(db);
  const platform = scriptedPlatform(site, options.state ?? 'running');
  const { backups, restored } = fakeBackups(
    site,
    options.database === undefined ? {} : { database: options.database },
  );
  const wiring = wirePlugins({
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
  if (wiring.desk === undefined) throw new Error('no desk');
  const bot = new Bot({
    catalog,
    registry: new Registry(commands),
    jobs,
    audit: new SqliteAuditLog(db),
    confirmations: new SqliteConfirmationStore(db),
    platform: () => platform,
    backups,
    plugins: wiring.desk,
    interpret: wiring.interpret,
    log,
  });
  wiring.attachInvoke((invocation, sink) => bot.invoke(invocation, sink));
  const say = (actorId: string, text: string, extra: Partial<Invocation> = {}): Promise<Outcome> =>
    bot.invoke(
      {
        actorId,
        room: { id: `mattermost:dm${actorId.split(':')[1] ?? ''}` },
        source: 'mattermost',
        text,
        ...extra,
      },
      { reply: () => undefined, progress: () => undefined, confirm: { kind: 'pending' } },
    );
  return { bot, site, notices, say, restored, jobs };
}

async function approved(b: ReturnType<typeof bed>): Promise<Outcome> {
  await b.say('mattermost:teacher1', 'установите, пожалуйста, плагин посещаемости', {
    locale: 'ru',
  });
  await b.say('mattermost:teacher2', 'please install mod_attendance', { locale: 'en' });
  await b.say('mattermost:admin1', 'plugin approve 1', { room: { id: admins } });
  return b.say('mattermost:admin2', 'plugin approve 1', { room: { id: admins } });
}

describe('an approved request is installed', () => {
  it('teacher asks → two approvals → installed as a job without a second confirmation → teachers told', async () => {
    const b = bed();
    const second = await approved(b);
    expect(second.status, second.message.text).toBe('ok');
    expect(second.message.text).toContain('mod_attendance r2024100300 installed');
    expect(b.site.db.get('mod_attendance')).toBe(2024100300);
    expect(b.site.maintenance).toBe(false);
    // One job, on the moodle lock, run as the approver who completed the approval.
    const [job] = b.jobs.list({ limit: 10, activeOnly: false });
    expect(job).toMatchObject({
      command: 'plugin-install',
      lockKey: 'moodle',
      actor: 'mattermost:admin2',
      state: 'succeeded',
    });
    const told = (actor: string) =>
      b.notices.find((n) => n.key === `plugin-request:1:installed:${actor}`)?.message.text;
    expect(told('mattermost:teacher1')).toBe(
      'Плагин Attendance по вашей заявке №1 установлен на наш Moodle (версия r2024100300).',
    );
    expect(told('mattermost:teacher2')).toBe(
      'The plugin Attendance you asked for (#1) is installed on our Moodle (version r2024100300).',
    );
    const card = b.notices.filter((n) => n.key === 'plugin-request:1' && n.room === admins).at(-1);
    expect(card?.message.text).toContain('Approved and installed.');
    // While it ran, the card said the bot was installing it (not "install by hand").
    const cards = b.notices.filter((n) => n.key === 'plugin-request:1' && n.room === admins);
    expect(cards.some((n) => n.message.text?.includes('the bot is installing the plugin'))).toBe(
      true,
    );
    expect(cards.some((n) => n.message.text?.includes('by hand'))).toBe(false);
    expect(
      b.notices.find((n) => n.key === 'plugin-request:1:install-progress' && n.kind === 'edit')
        ?.room,
    ).toBe(admins);
    // Rejecting an installed request: one line, nothing changed.
    const reject = await b.say('mattermost:admin3', 'plugin reject 1', { room: { id: admins } });
    expect(reject.status).not.toBe('ok');
    expect(reject.errorCode).toBe('approval-closed');
    expect(b.site.db.get('mod_attendance')).toBe(2024100300);
  });

  it('a failed install tells the teachers and the admins why, each in one line', async () => {
    const b = bed();
    b.site.faults = { upgradeFailsHalfway: true };
    const second = await approved(b);
    expect(second.message.text).toContain('was not installed');
    expect(b.restored).toEqual(['postgres:moodle']);
    expect(b.site.db.has('mod_attendance')).toBe(false);
    expect(b.site.folderOf('mod_attendance')).toEqual([]);
    expect(b.site.maintenance).toBe(false);
    const failed = (actor: string) =>
      b.notices.find((n) => n.key === `plugin-request:1:failed:${actor}`)?.message.text;
    expect(failed('mattermost:teacher1')).toBe(
      'Плагин Attendance по вашей заявке №1 установить не удалось: admin/cli/upgrade.php завершился с кодом 1: Default exception handler: dependencies check failed. Moodle работает как прежде.',
    );
    expect(failed('mattermost:teacher2')).toContain(
      'could not be installed: admin/cli/upgrade.php exited with 1',
    );
    const toAdmins = b.notices.find((n) => n.key === 'plugin-request:1:failed:admins');
    expect(toAdmins?.room).toBe(admins);
    expect((toAdmins?.message.text ?? '').split('\n')).toHaveLength(1);
    expect(toAdmins?.message.text).toContain('The database was put back');
  });
});

describe('a failed install whose undo did not fully succeed', () => {
  it('does not tell the teachers that Moodle works as before', async () => {
    const b = bed();
    b.site.faults = { upgradeFailsHalfway: true, maintenanceOffFails: true };
    await approved(b);
    const told = b.notices.find((n) => n.key === 'plugin-request:1:failed:mattermost:teacher2')
      ?.message.text;
    expect(told).toContain('could not be installed');
    expect(told).toContain('The admins know and are on it.');
    expect(told).not.toContain('works as before');
    const toAdmins = b.notices.find((n) => n.key === 'plugin-request:1:failed:admins');
    expect(toAdmins?.message.text).toContain('maintenance mode could NOT be turned off');
  });
});

describe('an install whose maintenance cannot be turned off', () => {
  it('marks the request installed, tells the teachers so, and the admins that maintenance is on', async () => {
    const b = bed();
    b.site.faults = { maintenanceOffFails: true };
    const second = await approved(b);
    expect(second.message.text).toContain('maintenance mode could NOT be turned off');
    expect(b.site.db.get('mod_attendance')).toBe(2024100300);
    const told = (actor: string) =>
      b.notices.find((n) => n.key === `plugin-request:1:installed:${actor}`)?.message.text;
    expect(told('mattermost:teacher2')).toBe(
      'The plugin Attendance you asked for (#1) is installed on our Moodle (version r2024100300).',
    );
    expect(b.notices.some((n) => n.key.startsWith('plugin-request:1:failed'))).toBe(false);
    const toAdmins = b.notices.find((n) => n.key === 'plugin-request:1:maintenance-on:admins');
    expect(toAdmins?.room).toBe(admins);
    expect(toAdmins?.message.text).toContain(
      'The plugin mod_attendance is installed (version 2024100300), but maintenance mode could NOT be turned off',
    );
    const listed = await b.say('mattermost:admin1', 'plugin 1', { room: { id: admins } });
    expect(listed.message.text ?? listed.message.title).toMatch(/installed/i);
  });
});

describe('an approved request whose install is refused before its job starts', () => {
  it('another job holds moodle: the card and the admins say so and how to retry; the request stays approved', async () => {
    const b = bed();
    b.jobs.create({
      command: 'backup',
      text: 'backup moodle',
      actor: 'local:root',
      room: 'terminal',
      service: 'moodle',
      lockKey: 'moodle',
    });
    const second = await approved(b);
    const retry = 'To retry: plugin-install moodle mod_attendance --request 1';
    expect(second.message.text).toContain('the install did not start');
    expect(second.message.text).toContain(retry);
    const card = b.notices.filter((n) => n.kind === 'edit' && n.key === 'plugin-request:1').at(-1);
    expect(card?.message.text).toContain('the install did not start');
    expect(card?.message.text).toContain(retry);
    const toAdmins = b.notices.find(
      (n) =>
        n.kind === 'post' && n.room === admins && n.key.startsWith('plugin-request:1:not-started'),
    );
    expect(toAdmins?.message.text).toMatch(
      /^✖ Request #1 \(mod_attendance\) is approved, but the install did not start: /,
    );
    expect(b.site.calls.filter((c) => c.argv[0] === 'php')).toEqual([]);
    // The request is still approved: the retry the card names is accepted.
    const listed = await b.say('mattermost:admin1', 'plugin 1', { room: { id: admins } });
    expect(listed.message.text ?? '').not.toMatch(/installed|failed/i);
  });
});

describe('a cancel in the middle of upgrade.php', () => {
  it('puts the database back, removes the folder, turns maintenance off, and says so', async () => {
    const b = bed();
    b.site.faults = { upgradeHangs: true };
    const running = b.say('local:root', 'plugin-install moodle mod_attendance', {
      room: { id: 'terminal' },
      source: 'terminal',
      preconfirmed: true,
    });
    await b.site.upgradeStarted;
    const cancel = await b.say('local:root', 'cancel 1', {
      room: { id: 'terminal' },
      source: 'terminal',
    });
    expect(cancel.status).toBe('ok');
    const outcome = await running;
    expect(outcome.status).toBe('failed');
    expect(outcome.errorCode).toBe('plugin-install-failed');
    expect(outcome.message.text).toContain('cancelled');
    expect(outcome.message.text).toContain(
      'The database was put back from the backup taken before; the plugin’s folder was removed; maintenance mode is off.',
    );
    expect(b.restored).toEqual(['postgres:moodle']);
    expect(b.site.db.has('mod_attendance')).toBe(false);
    expect(b.site.folderOf('mod_attendance')).toEqual([]);
    expect(b.site.maintenance).toBe(false);
    expect(b.jobs.get(1)?.state).toBe('cancelled');
  });
});

describe('bad input: one line each, nothing changed', () => {
  const admin = (b: ReturnType<typeof bed>, text: string) =>
    b.say('local:root', text, { room: { id: 'terminal' }, source: 'terminal', preconfirmed: true });

  it('a component that is not type_name', async () => {
    const b = bed();
    const out = await admin(b, 'plugin-install moodle attendance');
    expect(out.errorCode).toBe('plugin-component-invalid');
    expect(b.site.calls.filter((c) => c.argv[0] !== 'cat' && c.argv[0] !== 'test')).toEqual([]);
  });

  it('plugin install typed as two words says the command to use', async () => {
    const b = bed();
    const out = await admin(b, 'plugin install mod_attendance');
    expect(out.errorCode).toBe('plugin-install-how');
    expect(out.message.text).toBe(
      'Installing is a command of its own, with the Moodle service: plugin-install <service> mod_attendance',
    );
    expect((await admin(b, 'plugin remove mod_attendance')).errorCode).toBe('plugin-remove-how');
    expect(b.site.calls.some((c) => c.argv[0] === 'php')).toBe(false);
    // A teacher typing the same words asks for the plugin.
    const asked = await b.say('mattermost:teacher1', 'plugin install mod_attendance');
    expect(asked.status).toBe('ok');
    expect(asked.message.text).toContain('Заявка №1 принята');
  });

  it('an unknown plugin', async () => {
    const b = bed();
    const out = await admin(b, 'plugin-install moodle mod_nothing');
    expect(out.errorCode).toBe('plugin-unknown');
    expect((out.message.text ?? '').split('\n')[0]).toBe(
      'The Moodle plugins directory has no plugin mod_nothing.',
    );
    // Refused in the job before its backup: nothing ran in the container but reads.
    expect(b.site.calls.filter((c) => c.argv[0] !== 'cat' && c.argv[0] !== 'test')).toEqual([]);
  });

  it('another job holds moodle', async () => {
    const b = bed();
    b.jobs.create({
      command: 'backup',
      text: 'backup moodle',
      actor: 'local:root',
      room: 'terminal',
      service: 'moodle',
      lockKey: 'moodle',
    });
    const out = await admin(b, 'plugin-install moodle mod_attendance');
    expect(out.errorCode).toBe('service-busy');
    expect(b.site.calls).toEqual([]);
  });

  /** Nothing was changed: no backup, no maintenance, no copy, no upgrade, no uninstall. */
  const untouched = (b: ReturnType<typeof bed>): void => {
    const changing = b.site.calls.filter(
      (c) =>
        ['tar', 'mv', 'rm'].includes(c.argv[0] ?? '') ||
        c.argv.includes('--enable') ||
        c.argv.includes('--non-interactive') ||
        c.argv.includes('--run'),
    );
    expect(changing).toEqual([]);
    expect(b.restored).toEqual([]);
  };

  it('a backup that holds no database is refused before anything runs', async () => {
    const b = bed({ database: false });
    const out = await admin(b, 'plugin-install moodle mod_attendance');
    expect(out.errorCode).toBe('plugin-install-no-database-backup');
    expect(out.message.text).toContain('The backup of moodle holds no database');
    untouched(b);
    b.site.installPlugin('mod_attendance', 2023100900);
    const removal = await admin(b, 'plugin-remove moodle mod_attendance');
    expect(removal.errorCode).toBe('plugin-install-no-database-backup');
    untouched(b);
  });

  it('a pending Moodle upgrade is refused: the install would run it as a side effect', async () => {
    const b = bed();
    // The code of mod_forum is newer than its record: upgrade.php --is-pending exits 2.
    b.site.installPlugin('mod_forum', 2024100700);
    b.site.db.set('mod_forum', 2024042200);
    const out = await admin(b, 'plugin-install moodle mod_attendance');
    expect(out.errorCode).toBe('plugin-install-upgrade-pending');
    expect((out.message.text ?? '').split('\n')).toHaveLength(1);
    untouched(b);
    expect(b.site.db.get('mod_forum')).toBe(2024042200);
  });

  it('a site an admin put in maintenance is refused and left in maintenance', async () => {
    const b = bed();
    b.site.maintenance = true;
    const out = await admin(b, 'plugin-install moodle mod_attendance');
    expect(out.errorCode).toBe('plugin-install-maintenance-already');
    expect(out.message.text).toBe(
      'moodle is already in maintenance mode (an admin turned it on): the bot does not touch the site until it is off. Nothing was changed.',
    );
    untouched(b);
    expect(b.site.maintenance).toBe(true);
    expect(b.site.calls.some((c) => c.argv.includes('--disable'))).toBe(false);
  });

  it('the Moodle container is not running', async () => {
    const b = bed({ state: 'exited' });
    const out = await admin(b, 'plugin-install moodle mod_attendance');
    expect(out.errorCode).toBe('plugin-install-not-running');
    expect(b.site.calls).toEqual([]);
  });

  it('removing a plugin that is not there', async () => {
    const b = bed();
    const out = await admin(b, 'plugin-remove moodle mod_attendance');
    expect(out.errorCode).toBe('plugin-not-installed');
    expect(b.site.maintenance).toBe(false);
  });

  it('plugin-remove of an installed plugin: backup, uninstall as the web user, folder gone', async () => {
    const b = bed();
    b.site.installPlugin('mod_attendance', 2023100900);
    const out = await admin(b, 'plugin-remove moodle mod_attendance');
    expect(out.status, out.message.text).toBe('ok');
    expect(b.site.db.has('mod_attendance')).toBe(false);
    expect(b.site.folderOf('mod_attendance')).toEqual([]);
    expect(b.site.maintenance).toBe(false);
    const uninstall = b.site.calls.find((c) => c.argv[1]?.endsWith('uninstall_plugins.php'));
    expect(uninstall).toMatchObject({
      argv: [
        'php',
        '/var/www/html/admin/cli/uninstall_plugins.php',
        '--plugins=mod_attendance',
        '--run',
      ],
      user: 'www-data',
    });
  });

  it('plugin-install asks for a confirmation that says what it will do', async () => {
    const b = bed();
    const out = await b.say('mattermost:admin1', 'plugin-install moodle mod_attendance', {
      room: { id: admins },
    });
    expect(out.status).toBe('pending');
    expect(b.site.maintenance).toBe(false);
    expect(b.site.db.has('mod_attendance')).toBe(false);
  });
});
