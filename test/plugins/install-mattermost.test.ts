/**
 * A plugin request in Mattermost all the way to the plugin installed, on the fake server:
 * a teacher asks in plain words, a second one adds their voice, two admins click Approve,
 * the bot installs (a job as the second approver, no second confirmation) into the scripted
 * Moodle container, the card says installed, and each teacher is told in their own language.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Catalog } from '../../src/core/catalog.ts';
import { createLogger } from '../../src/core/logger.ts';
import { RoutedNotices, wirePlugins, type PluginWiring } from '../../src/plugins/wire.ts';
import { startHarness, waitFor, type Harness } from '../fakes/mattermost/harness.ts';
import { visibleText, type FakeUser } from '../fakes/mattermost/index.ts';
import { attendance, FakePluginsDirectory } from '../fakes/moodle-plugins/server.ts';
import { service } from '../helpers/catalog.ts';
import { fakeBackups, fakePackage, ScriptedSite, scriptedPlatform } from './install-fakes.ts';

const { zip, pkg } = fakePackage('mod_attendance', 2024100300);
const directory = new FakePluginsDirectory([
  {
    ...attendance,
    versions: [{ version: 2024100300, release: '4.5.0', maturity: 200, supports: ['4.5'], zip }],
  },
]);
let url = '';
beforeAll(async () => {
  url = await directory.start();
});
afterAll(() => directory.stop());

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('Mattermost: teacher asks → two approvals → installed → teachers told', () => {
  it('installs the approved plugin and tells each teacher in their language', async () => {
    const teachers: string[] = [];
    const adminIds: string[] = [];
    const notices = new RoutedNotices(createLogger({ level: 'silent' }));
    const site = new ScriptedSite();
    const { backups } = fakeBackups(site);
    let admins = '';
    let catalog: Catalog | undefined;
    let wiring: PluginWiring | undefined;
    const harness = await startHarness({
      catalog: (base) => {
        admins = base.rooms[0]?.address ?? '';
        catalog = {
          ...base,
          services: new Map([
            ['moodle', service('moodle', { containers: { names: ['moodle-web'] } })],
          ]),
          roles: [
            ...base.roles.map((r) => (r.name === 'admin' ? { ...r, members: adminIds } : r)),
            {
              name: 'teacher',
              members: teachers,
              commands: ['plugin-request', 'plugins', 'plugin'],
            },
          ],
        };
        return catalog;
      },
      opsLocale: 'en',
      platform: () => scriptedPlatform(site),
      deps: (db) => {
        if (catalog === undefined) throw new Error('the catalog is made before the bot');
        wiring = wirePlugins({
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
          log: createLogger({ level: 'silent' }),
          notices,
          pkg,
          download: () => Promise.resolve(zip),
        });
        return {
          backups,
          ...(wiring.desk === undefined ? {} : { plugins: wiring.desk }),
          ...(wiring.interpret === undefined ? {} : { interpret: wiring.interpret }),
        };
      },
      ready: (adapter) => notices.attach({ mattermost: adapter }),
    });
    h = harness;
    const t = harness;
    wiring?.attachInvoke((invocation, sink) => t.bot.invoke(invocation, sink));
    adminIds.push(`mattermost:${t.admin.id}`, `mattermost:${t.operator.id}`);
    const teacherRu = t.fake.data.addUser('irina');
    teacherRu.locale = 'ru';
    const teacherEn = t.fake.data.addUser('tom');
    teachers.push(`mattermost:${teacherRu.id}`, `mattermost:${teacherEn.id}`);
    await waitFor(() => t.fake.sockets.connected === 1 && t.adapter.me !== undefined, 'the socket');
    await t.adapter.settled();
    const dmRu = t.fake.data.directChannel(teacherRu, t.fake.bot);
    const dmEn = t.fake.data.directChannel(teacherEn, t.fake.bot);
    const said = (channel: string, text: string): boolean =>
      t.fake.data.botPosts(channel).some((p) => visibleText(p).includes(text));
    const card = () =>
      t.fake.data.botPosts(t.ops.id).find((p) => visibleText(p).includes('Plugin request #1'));
    const click = async (user: FakeUser): Promise<void> => {
      const shown = card();
      if (shown === undefined) throw new Error('no card');
      await t.fake.click(user, shown, 0);
    };

    t.fake.say(teacherRu, dmRu, 'установите, пожалуйста, плагин посещаемости');
    await waitFor(() => said(dmRu.id, 'Заявка №1 принята'), 'the Russian answer');
    await waitFor(() => card() !== undefined, 'the card');
    t.fake.say(teacherEn, dmEn, 'please install mod_attendance');
    await waitFor(() => said(dmEn.id, '2 teachers now'), 'the +1 answer');

    await click(t.admin);
    await waitFor(
      () => JSON.stringify(card()?.props ?? {}).includes('1 approval of 2'),
      'the first decision on the card',
    );
    await click(t.operator);
    await waitFor(
      () => said(dmRu.id, 'Плагин Attendance по вашей заявке №1 установлен на наш Moodle'),
      'the Russian teacher told it is installed',
    );
    await waitFor(
      () => said(dmEn.id, 'The plugin Attendance you asked for (#1) is installed on our Moodle'),
      'the English teacher told it is installed',
    );
    await waitFor(() => said(t.ops.id, 'Approved and installed.'), 'the card shows installed');
    await waitFor(
      () => said(t.ops.id, '✅ Request #1: mod_attendance r2024100300 is installed.'),
      'the admins told',
    );
    expect(site.db.get('mod_attendance')).toBe(2024100300);
    expect(site.maintenance).toBe(false);
    // No confirmation was asked of anyone: the approval was the decision.
    expect(
      t.fake.data.botPosts(t.ops.id).some((p) => /Confirm|Подтвердить/.test(visibleText(p))),
    ).toBe(false);
  });
});
