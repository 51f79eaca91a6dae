/**
 * Plugin requests in Mattermost, end to end on the fake server: teachers write to the bot in
 * plain words (Russian, English), the card with Approve / Reject reaches the admins' channel,
 * the second teacher's request is a +1 on the card, the teacher who asked cannot approve it,
 * two admins click Approve, the card shows each decision, and each teacher is told in their
 * own language — never that the plugin is installed (the installer is not there yet).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RoutedNotices, wirePlugins } from '../../src/plugins/wire.ts';
import { createLogger } from '../../src/core/logger.ts';
import { startHarness, waitFor, type Harness } from '../fakes/mattermost/harness.ts';
import { visibleText, type FakeUser } from '../fakes/mattermost/index.ts';
import { FakePluginsDirectory } from '../fakes/moodle-plugins/server.ts';
import { filesPlatform, moodleFiles } from './bed.ts';
import { service } from '../helpers/catalog.ts';
import type { Catalog } from '../../src/core/catalog.ts';

function harnessFail(): never {
  throw new Error('the catalog is made before the bot');
}

const directory = new FakePluginsDirectory();
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

describe('Mattermost: plain words → card → +1 → two approvals → teachers told', () => {
  it('works with buttons, in Russian and English', async () => {
    const teachers: string[] = [];
    const adminIds: string[] = [];
    const notices = new RoutedNotices(createLogger({ level: 'silent' }));
    let admins = '';
    let catalog: Catalog | undefined;
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
      platform: () => filesPlatform(moodleFiles()),
      deps: (db) => {
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
          catalog: catalog ?? harnessFail(),
          db,
          log: createLogger({ level: 'silent' }),
          notices,
        });
        return {
          ...(wiring.desk === undefined ? {} : { plugins: wiring.desk }),
          ...(wiring.interpret === undefined ? {} : { interpret: wiring.interpret }),
        };
      },
      ready: (adapter) => notices.attach({ mattermost: adapter }),
    });
    h = harness;
    const t = harness;
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
    const card = (): ReturnType<typeof t.fake.data.botPosts>[number] | undefined =>
      t.fake.data.botPosts(t.ops.id).find((p) => visibleText(p).includes('Plugin request #1'));

    /** What the card shows, its fields included (visibleText has titles and texts only). */
    const cardText = (): string => {
      const shown = card();
      return shown === undefined ? '' : `${visibleText(shown)}\n${JSON.stringify(shown.props)}`;
    };
    t.fake.say(teacherRu, dmRu, 'установите, пожалуйста, плагин посещаемости');
    await waitFor(() => said(dmRu.id, 'Заявка №1 принята'), 'the Russian answer');
    await waitFor(() => card() !== undefined, 'the card');
    expect(cardText()).toContain('mod_attendance');

    t.fake.say(teacherEn, dmEn, 'please install mod_attendance, we take attendance every lesson');
    await waitFor(() => said(dmEn.id, 'your voice is added — 2 teachers now'), 'the +1 answer');
    await waitFor(() => cardText().includes('Asked by (2 teachers)'), 'the card with the +1');

    const click = async (user: FakeUser): Promise<void> => {
      const shown = card();
      if (shown === undefined) throw new Error('no card');
      await t.fake.click(user, shown, 0);
    };
    // The teacher who asked cannot approve: told only to them, nothing changes.
    await click(teacherRu);
    await waitFor(
      () =>
        t.fake.seen.some(
          (s) => s.user === teacherRu.id && s.text.includes('Свою заявку №1 одобрять нельзя'),
        ),
      'the self-approval refusal',
    );

    await click(t.admin);
    await waitFor(() => cardText().includes('1 approval of 2'), 'the first decision on the card');
    await click(t.operator);
    await waitFor(
      () => said(dmRu.id, 'Ваша заявка №1 на Attendance одобрена'),
      'the Russian teacher told',
    );
    await waitFor(
      () => said(dmEn.id, 'Your request #1 for Attendance was approved'),
      'the English teacher told',
    );
    await waitFor(
      () => said(t.ops.id, 'installing through the bot is not available yet'),
      'the admins told',
    );
    // People are named on the card as Mattermost shows them, not by id.
    await waitFor(() => cardText().includes('@anna'), 'the first approver named on the card');
    expect(cardText()).toContain('@irina');
    expect(cardText()).toContain('@tom');
    const decided = card();
    await waitFor(() => cardText().includes('Approved.'), 'the card decided');
    expect(decided).toBeDefined();
    const final = card();
    const buttons = (final?.props['attachments'] as { actions?: unknown[] }[] | undefined)?.flatMap(
      (a) => a.actions ?? [],
    );
    expect(buttons ?? []).toEqual([]);
    for (const channel of [dmRu.id, dmEn.id, t.ops.id]) {
      expect(
        t.fake.data
          .botPosts(channel)
          .some((p) =>
            /уже установлен|установлен на наш|is installed on|has been installed|is now installed/.test(
              visibleText(p),
            ),
          ),
      ).toBe(false);
    }
  });
});
