/**
 * Plugin requests in Matrix, end to end on the fake homeserver: teachers write in their
 * direct chats in plain words (Russian, English), the card reaches the admins' room with a
 * reaction menu (1️⃣ approve, 2️⃣ reject) and the commands to type, the second teacher's
 * request is a +1 on the card, the reaction of a teacher who asked and is also an admin decides
 * nothing, two other admins react
 * 1️⃣, the card is edited, and each teacher is told in their room's language.
 */
import type { DatabaseSync } from 'node:sqlite';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Catalog, RoomDefinition } from '../../src/core/catalog.ts';
import { createLogger } from '../../src/core/logger.ts';
import { RoutedNotices, wirePlugins } from '../../src/plugins/wire.ts';
import { SqliteApprovalStore } from '../../src/store/approvals-repo.ts';
import { startHarness, type Harness } from '../chat/matrix/harness.ts';
import { FakePluginsDirectory } from '../fakes/moodle-plugins/server.ts';
import { service } from '../helpers/catalog.ts';
import { waitFor } from '../helpers/wait.ts';
import { filesPlatform, moodleFiles } from './bed.ts';

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

function body(event: { content: Record<string, unknown> }): string {
  return String(event.content['body']);
}

describe('Matrix: plain words → card → +1 → two approvals → teachers told', () => {
  it('works with reactions, in Russian and English', async () => {
    const admins: string[] = [];
    const teachers: string[] = [];
    const inviters: string[] = [];
    const rooms: RoomDefinition[] = [];
    const policy: { roles: string[]; count: number; ttlMs: number; room?: string } = {
      roles: ['admin'],
      count: 2,
      ttlMs: 72 * 3_600_000,
    };
    const notices = new RoutedNotices(createLogger({ level: 'silent' }));
    let catalog: Catalog | undefined;
    let state: DatabaseSync | undefined;
    const harness = await startHarness({
      settings: { allowedInviters: inviters },
      catalog: (base) => {
        catalog = {
          ...base,
          services: new Map([
            ['moodle', service('moodle', { containers: { names: ['moodle-web'] } })],
          ]),
          roles: [
            { name: 'admin', members: admins, commands: ['*'] },
            {
              name: 'teacher',
              members: teachers,
              commands: ['plugin-request', 'plugins', 'plugin'],
            },
          ],
          rooms,
        };
        return catalog;
      },
      platform: () => filesPlatform(moodleFiles()),
      deps: (db) => {
        if (catalog === undefined) throw new Error('the catalog is made before the bot');
        state = db;
        const wiring = wirePlugins({
          config: {
            desk: { service: 'moodle', root: '/var/www/html', directoryUrl: url, policy },
            commandRules: [],
          },
          catalog,
          db,
          log: createLogger({ level: 'silent' }),
          notices,
        });
        return {
          ...(wiring.desk === undefined ? {} : { plugins: wiring.desk }),
          ...(wiring.interpret === undefined ? {} : { interpret: wiring.interpret }),
        };
      },
      ready: (adapter) => notices.attach({ matrix: adapter }),
    });
    h = harness;
    const t = harness;
    const boss = t.hs.addUser('bob');
    t.hs.invite(t.admin, t.ops, boss);
    t.hs.join(boss, t.ops);
    admins.push(`matrix:${t.admin.userId}`, `matrix:${boss.userId}`);
    policy.room = `matrix:${t.ops.roomId}`;
    rooms.push({ name: 'admins', address: policy.room, locale: 'en' });
    const irina = t.hs.addUser('irina');
    const tom = t.hs.addUser('tom');
    teachers.push(`matrix:${irina.userId}`, `matrix:${tom.userId}`);
    inviters.push(irina.userId, tom.userId);
    await t.ready();
    const dmRu = t.hs.createRoom(irina, { direct: true, invite: [t.botUser] });
    const dmEn = t.hs.createRoom(tom, { direct: true, invite: [t.botUser] });
    await waitFor(
      () =>
        t.hs.membership(dmRu, t.botUser) === 'join' && t.hs.membership(dmEn, t.botUser) === 'join',
      'the bot to join',
    );
    rooms.push({ name: 'irina', address: `matrix:${dmRu.roomId}`, locale: 'ru' });
    t.hs.invite(t.admin, t.ops, irina);
    t.hs.join(irina, t.ops);
    // Irina is an admin too: one who may approve, but asked for this one.
    admins.push(`matrix:${irina.userId}`);

    t.hs.say(irina, dmRu, 'установите, пожалуйста, плагин посещаемости');
    await t.botSays(dmRu, /Заявка №1 принята/);
    const card = await t.botSays(t.ops, /Plugin request #1: Attendance \(mod_attendance\)/);
    expect(body(card)).toContain('!pes plugin approve 1');

    t.hs.say(tom, dmEn, 'please install mod_attendance');
    await t.botSays(dmEn, /your voice is added — 2 teachers now/);
    await t.botSays(t.ops, /Asked by \(2 teachers\)/);

    // The reaction of the admin who asked decides nothing.
    t.hs.react(irina, t.ops, card, '1️⃣');
    t.hs.react(t.admin, t.ops, card, '1️⃣');
    await t.botSays(t.ops, /1 approval of 2/);
    t.hs.react(boss, t.ops, card, '1️⃣');
    await t.botSays(dmRu, /Ваша заявка №1 на Attendance одобрена администраторами/);
    await t.botSays(dmEn, /Your request #1 for Attendance was approved by the admins/);
    await t.botSays(t.ops, /installing through the bot is not available yet/);
    await t.botSays(t.ops, /Approved\. Installing through the bot is not available yet/);
    await t.adapter.settled();
    if (state === undefined) throw new Error('no state database');
    expect(new SqliteApprovalStore(state).get(1)?.votes.map((v) => v.actor)).toEqual([
      `matrix:${t.admin.userId}`,
      `matrix:${boss.userId}`,
    ]);
    const everything = [dmRu, dmEn, t.ops].flatMap((room) => t.botMessages(room).map(body));
    expect(
      everything.some((text) =>
        /уже установлен|установлен на наш|is installed on|has been installed/.test(text),
      ),
    ).toBe(false);
  });
});
