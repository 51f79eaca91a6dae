/**
 * A plugin request in Matrix all the way to the plugin installed, on the fake homeserver with
 * the bot's real Matrix adapter: a teacher asks in plain words (Russian), a second one asks for
 * the same plugin in English (a +1 on the card), an admin who asked is refused as approver, two
 * other admins approve (a reaction on the card, then `!pes plugin approve 1`), the bot installs
 * into the scripted Moodle container of install-fakes.ts, the card is edited to installed, and
 * each teacher is told in their room's language. A failure half-way through upgrade.php ends
 * with the plugin absent, maintenance off, the database put back from the backup, and the
 * teachers and the admins told why.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BackupService } from '../../src/core/backup.ts';
import type { Catalog, RoomDefinition } from '../../src/core/catalog.ts';
import { createLogger } from '../../src/core/logger.ts';
import { RoutedNotices, wirePlugins, type PluginWiring } from '../../src/plugins/wire.ts';
import { startHarness, type Harness } from '../chat/matrix/harness.ts';
import type { ClientEvent, FakeMatrixUser, FakeRoom } from '../fakes/matrix/index.ts';
import { attendance, FakePluginsDirectory } from '../fakes/moodle-plugins/server.ts';
import { service } from '../helpers/catalog.ts';
import { waitFor } from '../helpers/wait.ts';
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

/** Generous: the install runs as a job through the adapter's outbox, on a loaded machine. */
const slow = 60_000;

function body(event: { content: Record<string, unknown> }): string {
  return String(event.content['body']);
}

interface Bed {
  readonly t: Harness;
  readonly site: ScriptedSite;
  readonly restored: string[];
  readonly restoredAt: number[];
  /** Teacher and admin: asked for the plugin, may approve others' requests. */
  readonly irina: FakeMatrixUser;
  readonly tom: FakeMatrixUser;
  readonly boss: FakeMatrixUser;
  readonly dmRu: FakeRoom;
  readonly dmEn: FakeRoom;
  /** The card, once both teachers have asked. */
  readonly card: ClientEvent;
}

/** The bot with the installer wired as `pes serve` wires it, and both teachers' requests made. */
async function asked(site: ScriptedSite): Promise<Bed> {
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
  const fake = fakeBackups(site);
  const { restored } = fake;
  // Where in the container's calls the restore came (to see it after upgrade.php).
  const restoredAt: number[] = [];
  const backups: BackupService = {
    ...fake.backups,
    restore: (...args) => {
      restoredAt.push(site.calls.length);
      return fake.backups.restore(...args);
    },
  };
  let catalog: Catalog | undefined;
  let wiring: PluginWiring | undefined;
  const t = await startHarness({
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
    platform: () => scriptedPlatform(site),
    deps: (db) => {
      if (catalog === undefined) throw new Error('the catalog is made before the bot');
      wiring = wirePlugins({
        config: {
          desk: { service: 'moodle', root: '/var/www/html', directoryUrl: url, policy },
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
    ready: (adapter) => notices.attach({ matrix: adapter }),
  });
  h = t;
  wiring?.attachInvoke((invocation, sink) => t.bot.invoke(invocation, sink));
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
    slow,
  );
  rooms.push({ name: 'irina', address: `matrix:${dmRu.roomId}`, locale: 'ru' });
  t.hs.invite(t.admin, t.ops, irina);
  t.hs.join(irina, t.ops);
  // Irina is an admin too: one who may approve, but asked for this one.
  admins.push(`matrix:${irina.userId}`);

  t.hs.say(irina, dmRu, 'установите, пожалуйста, плагин посещаемости');
  await t.botSays(dmRu, /Заявка №1 принята/, slow);
  const card = await t.botSays(t.ops, /Plugin request #1: Attendance \(mod_attendance\)/, slow);
  t.hs.say(tom, dmEn, 'please install mod_attendance');
  await t.botSays(dmEn, /your voice is added — 2 teachers now/, slow);
  await t.botSays(t.ops, /Asked by \(2 teachers\)/, slow);
  return { t, site, restored, restoredAt, irina, tom, boss, dmRu, dmEn, card };
}

/** Irina (who asked) is refused; Anna reacts 1️⃣; Bob types the command. */
async function approve(b: Bed): Promise<void> {
  const { t } = b;
  t.hs.say(b.irina, t.ops, '!pes plugin approve 1');
  await t.botSays(t.ops, /You cannot approve your own request #1: others decide\./, slow);
  t.hs.react(t.admin, t.ops, b.card, '1️⃣');
  await t.botSays(t.ops, /1 approval of 2/, slow);
  t.hs.say(b.boss, t.ops, '!pes plugin approve 1');
}

/** Every text the bot has sent to the room, edits applied, and the edits themselves. */
function everything(t: Harness, room: FakeRoom): string[] {
  return t.hs
    .roomEvents(room)
    .filter((e) => e.sender === t.botUser.userId)
    .map(body);
}

describe('Matrix: teacher asks → +1 → two approvals → installed → teachers told', () => {
  it('installs the approved plugin and tells each teacher in their language', async () => {
    const site = new ScriptedSite();
    const b = await asked(site);
    const { t } = b;
    await approve(b);
    await t.botSays(
      b.dmRu,
      /Плагин Attendance по вашей заявке №1 установлен на наш Moodle \(версия r2024100300\)\./,
      slow,
    );
    await t.botSays(
      b.dmEn,
      /The plugin Attendance you asked for \(#1\) is installed on our Moodle \(version r2024100300\)\./,
      slow,
    );
    await t.botSays(t.ops, /✅ Request #1: mod_attendance r2024100300 is installed\./, slow);
    // The card itself is edited to say so (the same event, its latest content).
    await waitFor(
      () => String(t.hs.currentContent(t.ops, b.card)['body']).includes('Approved and installed.'),
      'the card edited to installed',
      slow,
    );
    expect(site.db.get('mod_attendance')).toBe(2024100300);
    expect(site.folderOf('mod_attendance')).toEqual([
      '/var/www/html/mod/attendance/lib.php',
      '/var/www/html/mod/attendance/version.php',
    ]);
    expect(site.maintenance).toBe(false);
    expect(b.restored).toEqual([]);
    // The refused self-approval left no vote: the two that counted are Anna's and Bob's.
    const card = String(t.hs.currentContent(t.ops, b.card)['body']);
    const decisions = card.slice(card.indexOf('Decisions:')).split('\n');
    expect(decisions.map((line) => line.replace(/ — .*/, ''))).toEqual([
      'Decisions: 2 approvals of 2',
      '✅ anna',
      '✅ bob',
    ]);
    // No confirmation was asked of anyone: the approval was the decision.
    expect(everything(t, t.ops).some((text) => /Confirm|Подтвердить/.test(text))).toBe(false);
    // Each teacher heard in their own language only.
    expect(everything(t, b.dmRu).some((text) => /is installed|was approved/.test(text))).toBe(
      false,
    );
    expect(everything(t, b.dmEn).some((text) => /установлен|одобрена/.test(text))).toBe(false);
  });

  it('an upgrade that fails half-way: plugin absent, maintenance off, database restored, everyone told why', async () => {
    const site = new ScriptedSite();
    site.faults = { upgradeFailsHalfway: true };
    const b = await asked(site);
    const { t } = b;
    await approve(b);
    await t.botSays(
      b.dmRu,
      /Плагин Attendance по вашей заявке №1 установить не удалось: admin\/cli\/upgrade\.php завершился с кодом 1: Default exception handler: dependencies check failed\. Moodle работает как прежде\./,
      slow,
    );
    await t.botSays(
      b.dmEn,
      /The plugin Attendance you asked for \(#1\) could not be installed: admin\/cli\/upgrade\.php exited with 1/,
      slow,
    );
    const toAdmins = await t.botSays(t.ops, /The database was put back/, slow);
    expect(body(toAdmins)).toContain('upgrade.php');
    // upgrade.php had recorded the plugin before it failed: only the restore took it out.
    expect(b.restored).toEqual(['postgres:moodle']);
    expect(site.db.has('mod_attendance')).toBe(false);
    expect(site.folderOf('mod_attendance')).toEqual([]);
    expect(site.maintenance).toBe(false);
    // The restore came after upgrade.php ran, and maintenance was turned off after it.
    const script = (i: number): string => {
      const argv = site.calls[i]?.argv ?? [];
      return argv[0] === 'php' ? `${argv[1]?.split('/').at(-1) ?? ''} ${argv[2] ?? ''}` : '';
    };
    const upgrade = site.calls.findIndex((_, i) => script(i) === 'upgrade.php --non-interactive');
    const off = site.calls.findLastIndex((_, i) => script(i) === 'maintenance.php --disable');
    expect(upgrade).toBeGreaterThan(-1);
    expect(b.restoredAt).toHaveLength(1);
    expect(b.restoredAt[0]).toBeGreaterThan(upgrade);
    expect(off).toBeGreaterThanOrEqual(b.restoredAt[0] ?? Infinity);
    expect(everything(t, b.dmRu).some((text) => /установлен на наш/.test(text))).toBe(false);
    expect(everything(t, b.dmEn).some((text) => /is installed on/.test(text))).toBe(false);
  });
});
