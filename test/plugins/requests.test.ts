import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakePluginsDirectory } from '../fakes/moodle-plugins/server.ts';
import { admins, filesPlatform, moodleFiles, pluginBed } from './bed.ts';

const fake = new FakePluginsDirectory();
let url = '';
beforeAll(async () => {
  url = await fake.start();
});
afterAll(() => fake.stop());

function text(outcome: { message: { title?: string; text?: string } }): string {
  return [outcome.message.title, outcome.message.text].filter(Boolean).join('\n');
}

describe('plugin requests', () => {
  it('a teacher asks by component: the request is numbered, the card goes to the admins', async () => {
    const bed = pluginBed({ directoryUrl: url });
    const asked = await bed.say(
      'mattermost:teacher1',
      'plugin-request mod_attendance for my groups',
      { locale: 'en' },
    );
    expect(asked.status).toBe('ok');
    expect(text(asked)).toContain(
      'Request #1 is filed: Attendance (mod_attendance, version 4.5.0) for our Moodle 4.5',
    );
    const card = bed.notices.find((n) => n.kind === 'post' && n.room === admins);
    expect(card?.message.title).toBe('Plugin request #1: Attendance (mod_attendance)');
    const fields = Object.fromEntries((card?.message.fields ?? []).map((f) => [f.label, f.value]));
    expect(fields['Version']).toBe('4.5.0 (2024100300)');
    expect(fields['Supports Moodle']).toBe('4.2, 4.3, 4.4, 4.5');
    expect(fields['Maturity']).toBe('stable');
    expect(fields['MD5']).toBe('0f343b0931126a20f133d67c2b018a3b');
    expect(fields['Link']).toBe('https://moodle.org/plugins/mod_attendance');
    expect(fields['Asked by (1 teacher)']).toContain('for my groups');
    expect(card?.message.actions?.map((a) => a.command)).toEqual([
      'plugin approve 1',
      'plugin reject 1',
    ]);
  });

  it('a second teacher asking for the same plugin is a +1 on it, not a second request', async () => {
    const bed = pluginBed({ directoryUrl: url });
    await bed.say('mattermost:teacher1', 'plugin-request mod_attendance', { locale: 'en' });
    const second = await bed.say(
      'mattermost:teacher2',
      'plugin-request https://moodle.org/plugins/mod_attendance',
      { locale: 'ru' },
    );
    expect(text(second)).toContain('заявка №1');
    expect(text(second)).toContain('2 учителя');
    const again = await bed.say('mattermost:teacher2', 'plugin-request mod_attendance', {
      locale: 'en',
    });
    expect(text(again)).toBe('You already asked for this plugin: request #1, pending.');
    const edit = bed.notices.filter((n) => n.kind === 'edit').at(-1);
    expect(edit?.message.fields?.find((f) => f.label.startsWith('Asked by'))?.label).toBe(
      'Asked by (2 teachers)',
    );
    // One request kept; each teacher sees it as theirs.
    const mine = await bed.say('mattermost:teacher2', 'plugins --mine', { locale: 'en' });
    expect(text(mine)).toContain('#1 mod_attendance — pending, 2 teachers asking');
    expect(bed.notices.filter((n) => n.kind === 'post' && n.room === admins)).toHaveLength(1);
  });

  it('says when the plugin is already installed, and which version', async () => {
    const bed = pluginBed({ directoryUrl: url });
    const outcome = await bed.say('mattermost:teacher1', 'plugin-request mod_checklist', {
      locale: 'en',
    });
    expect(text(outcome)).toBe(
      'Checklist (mod_checklist) is already installed on our Moodle: version 4.1.2 (2024050100).',
    );
    expect(bed.notices).toHaveLength(0);
  });

  it('says when no version supports our Moodle, and which releases it supports', async () => {
    const bed = pluginBed({ directoryUrl: url });
    const outcome = await bed.say('mattermost:teacher1', 'plugin-request report_attendance', {
      locale: 'ru',
    });
    expect(text(outcome)).toBe(
      'У Attendance report (report_attendance) нет версии для нашего Moodle 4.5. Он поддерживает: 3.11, 4.0.',
    );
    expect(bed.notices).toHaveLength(0);
  });

  it('reads Moodle 5.1’s public/ layout', async () => {
    const files = new Map<string, string>();
    for (const [path, body] of moodleFiles()) {
      files.set(
        path.replace('/var/www/html/', '/var/www/html/public/'),
        body.replace("'405'", "'501'"),
      );
    }
    const bed = pluginBed({ directoryUrl: url, files });
    const outcome = await bed.say('mattermost:teacher1', 'plugin-request mod_checklist', {
      locale: 'en',
    });
    expect(text(outcome)).toContain('already installed');
    const att = await bed.say('mattermost:teacher1', 'plugin-request mod_attendance', {
      locale: 'en',
    });
    expect(text(att)).toContain('no version for our Moodle 5.1');
  });

  it('several matches of name words: up to three choices, each a button that asks for it', async () => {
    const bed = pluginBed({ directoryUrl: url });
    const outcome = await bed.say('mattermost:teacher1', 'plugin-request attend', { locale: 'en' });
    expect(outcome.message.actions?.map((a) => a.command)).toEqual([
      'plugin-request mod_attendance',
      'plugin-request block_attendancetable',
      'plugin-request report_attendance',
    ]);
    expect(text(outcome)).toContain('1. Attendance — mod_attendance');
  });

  it.each([
    ['plugin-request mod-attendance_', 'plugin-component-invalid'],
    ['plugin-request Mod_Attendance', 'plugin-component-invalid'],
    ['plugin-request https://example.org/plugins/mod_attendance', 'plugin-url-invalid'],
    ['plugin-request https://moodle.org/course/view.php?id=2', 'plugin-url-invalid'],
    ['plugin-request mod_nosuchplugin', 'plugin-unknown'],
    ['plugin-request quantum teleportation', 'plugin-no-match'],
    [`plugin-request mod_attendance ${'x'.repeat(1200)}`, 'plugin-request-too-long'],
    [`plugin-request ${'y'.repeat(10_240)}`, 'input-too-long'],
  ])('refuses bad input in one line: %#', async (line, code) => {
    const bed = pluginBed({ directoryUrl: url });
    const outcome = await bed.say('mattermost:teacher1', line.slice(0, 12_000), { locale: 'en' });
    expect(outcome.errorCode).toBe(code);
    expect(text(outcome).split('\n')[0]?.length).toBeLessThan(300);
    expect(bed.notices).toHaveLength(0);
  });

  it('a Moodle container that is not running is one clear line', async () => {
    const stopped = {
      ...filesPlatform(moodleFiles()),
      status: () =>
        Promise.resolve({
          service: 'moodle',
          state: 'down' as const,
          containers: [
            {
              name: 'moodle-web',
              id: 'c1',
              state: 'exited' as const,
              health: 'none' as const,
              image: 'moodle',
              tag: '4.5',
              startedAt: undefined,
              restartCount: 0,
            },
          ],
        }),
    };
    const bed = pluginBed({ directoryUrl: url, platform: stopped });
    const outcome = await bed.say('mattermost:teacher1', 'plugin-request mod_attendance', {
      locale: 'en',
    });
    expect(outcome.errorCode).toBe('plugin-site-unreadable');
    expect(text(outcome)).toBe(
      'Could not read the Moodle release of service moodle: no running container',
    );
  });

  it('a teacher sees only their own requests; admins see all', async () => {
    const bed = pluginBed({ directoryUrl: url });
    await bed.say('mattermost:teacher1', 'plugin-request mod_attendance', { locale: 'en' });
    const other = await bed.say('mattermost:teacher2', 'plugin 1', { locale: 'en' });
    expect(other.errorCode).toBe('plugin-request-unknown');
    const none = await bed.say('mattermost:teacher2', 'plugins', { locale: 'en' });
    expect(text(none)).toContain('No requests.');
    const own = await bed.say('mattermost:teacher1', 'plugin 1', { locale: 'en' });
    expect(own.message.title).toBe('Plugin request #1: Attendance (mod_attendance)');
    const all = await bed.say('mattermost:admin1', 'plugins --pending', { locale: 'en' });
    expect(text(all)).toContain('#1 mod_attendance');
  });

  it('an admin who approved may not then join as a requester: their vote never counts for their own request', async () => {
    const bed = pluginBed({ directoryUrl: url });
    await bed.say('mattermost:teacher1', 'plugin-request mod_attendance', { locale: 'en' });
    await bed.say('mattermost:admin2', 'plugin approve 1', { locale: 'en' });
    const join = await bed.say('mattermost:admin2', 'plugin-request mod_attendance', {
      locale: 'en',
    });
    expect(join.errorCode).toBe('plugin-request-voted');
    const shown = await bed.say('mattermost:admin1', 'plugin 1', { locale: 'en' });
    expect(shown.message.fields?.find((f) => f.label.startsWith('Asked by'))?.label).toBe(
      'Asked by (1 teacher)',
    );
    await bed.say('mattermost:admin3', 'plugin approve 1', { locale: 'en' });
    const listed = await bed.say('mattermost:admin1', 'plugins', { locale: 'en' });
    expect(listed.data).toEqual([
      {
        id: 1,
        component: 'mod_attendance',
        state: 'approved',
        supporters: ['mattermost:teacher1'],
      },
    ]);
  });

  it('another teacher learns nothing of a request by deciding on it; a closed one names its state in Russian', async () => {
    const bed = pluginBed({ directoryUrl: url });
    await bed.say('mattermost:teacher1', 'plugin-request mod_attendance', { locale: 'en' });
    const pending = await bed.say('mattermost:teacher2', 'plugin approve 1', { locale: 'en' });
    expect(pending.errorCode).toBe('plugin-request-unknown');
    expect(text(pending)).toContain('There is no request #1.');
    await bed.say('mattermost:admin2', 'plugin reject 1 not now', { locale: 'en' });
    const closed = await bed.say('mattermost:teacher2', 'plugin reject 1', { locale: 'en' });
    expect(closed.errorCode).toBe('plugin-request-unknown');
    // Someone who may decide hears how it was decided, in their language.
    const late = await bed.say('mattermost:admin3', 'plugin approve 1', { locale: 'ru' });
    expect(text(late)).toContain('Заявка №1 уже отклонена.');
  });

  it.each([
    ['заявка на установку плагина посещаемости', 'ru' as const, 'Заявка №1'],
    ['plugin mod_attendance please, we need it for our groups', 'en' as const, 'Request #1'],
  ])(
    'plain words that begin with a command alias are still a request: %s',
    async (words, locale, filed) => {
      const bed = pluginBed({ directoryUrl: url });
      const asked = await bed.say('mattermost:teacher1', words, { locale });
      expect(asked.errorCode).toBeUndefined();
      expect(text(asked)).toContain(filed);
      expect(bed.notices.filter((n) => n.kind === 'post' && n.room === admins)).toHaveLength(1);
    },
  );

  it('a command that does not parse and is no request keeps its own error', async () => {
    const bed = pluginBed({ directoryUrl: url });
    const wrong = await bed.say('mattermost:teacher1', 'plugin первый', { locale: 'en' });
    expect(wrong.errorCode).toBe('invalid-argument');
  });

  it('a directory outage does not stop a request for a plugin the bot has seen', async () => {
    const down = new FakePluginsDirectory();
    const downUrl = await down.start();
    try {
      const bed = pluginBed({ directoryUrl: downUrl });
      await bed.say('mattermost:teacher1', 'plugin-request mod_checklist', { locale: 'en' });
      down.down();
      const outcome = await bed.say('mattermost:teacher2', 'plugin-request mod_attendance', {
        locale: 'en',
      });
      expect(outcome.status).toBe('ok');
      expect(text(outcome)).toContain('Request #1 is filed');
      expect(text(outcome)).toContain('the facts are the bot’s copy of 2026-12-07 01:00 UTC');
    } finally {
      await down.stop();
    }
  });
});
