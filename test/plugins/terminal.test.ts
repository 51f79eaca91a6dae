/**
 * The terminal: several matches are a numbered list with the command to type for each; an
 * admin approves with `plugin approve <n>` typed, and the card (in the admins' room) and the
 * teacher's answer follow, as in the messengers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderForTerminal } from '../../src/chat/terminal/render.ts';
import { FakePluginsDirectory } from '../fakes/moodle-plugins/server.ts';
import { admins, pluginBed } from './bed.ts';

const fake = new FakePluginsDirectory();
let url = '';
beforeAll(async () => {
  url = await fake.start();
});
afterAll(() => fake.stop());

const terminal = { room: { id: 'terminal' }, source: 'terminal' as const };

describe('plugin requests in the terminal', () => {
  it('offers numbered choices, each with the command to type', async () => {
    const bed = pluginBed({ directoryUrl: url });
    const outcome = await bed.say('local:root', 'plugin-request attend', {
      ...terminal,
      locale: 'en',
    });
    const shown = renderForTerminal(outcome.message, { colour: false });
    expect(shown).toContain('1. Attendance — mod_attendance');
    expect(shown).toContain('2. Attendance table — block_attendancetable');
    expect(shown).toContain('[1. Attendance: plugin-request mod_attendance]');
  });

  it('an admin at the terminal approves what teachers asked in chat', async () => {
    const bed = pluginBed({ directoryUrl: url, count: 1 });
    await bed.say('mattermost:teacher1', 'please install mod_attendance', { locale: 'en' });
    const approved = await bed.say('local:root', 'plugin approve 1 fine', {
      ...terminal,
      locale: 'ru',
    });
    expect(renderForTerminal(approved.message, { colour: false })).toContain(
      'Заявка №1 (mod_attendance) одобрена, но установка через бота пока недоступна',
    );
    expect(
      bed.notices.find((n) => n.key === 'plugin-request:1:approved:mattermost:teacher1')?.message
        .text,
    ).toBe(
      'Your request #1 for Attendance was approved by the admins. I will write when the plugin is installed.',
    );
    expect(
      bed.notices.filter((n) => n.room === admins && n.kind === 'edit').at(-1)?.message.text,
    ).toContain('Approved.');
  });
});
