/**
 * The request side end to end on the invocation path: a teacher asks in plain words, the
 * card reaches the admins, a second teacher's request is a +1, self-approval is refused, two
 * admins approve, the teachers are told — and nobody is told the plugin is installed, since
 * the installer is not there yet.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakePluginsDirectory } from '../fakes/moodle-plugins/server.ts';
import { admins, pluginBed } from './bed.ts';

const fake = new FakePluginsDirectory();
let url = '';
beforeAll(async () => {
  url = await fake.start();
});
afterAll(() => fake.stop());

describe('plain words → card → +1 → two approvals → teachers told', () => {
  it('in Russian', async () => {
    const bed = pluginBed({ directoryUrl: url });
    const asked = await bed.say(
      'mattermost:teacher1',
      'установите, пожалуйста, плагин посещаемости',
      { locale: 'ru' },
    );
    expect(asked.message.text).toContain(
      'Заявка №1 принята: Attendance (mod_attendance, версия 4.5.0)',
    );
    const plus = await bed.say('mattermost:teacher2', 'Нужен модуль посещаемости', {
      locale: 'ru',
    });
    expect(plus.message.text).toContain('теперь просят 2 учителя');
    // A teacher who asked cannot approve, even if they had the role; nor can a teacher.
    expect(
      (await bed.say('mattermost:teacher1', 'plugin approve 1', { locale: 'ru' })).errorCode,
    ).toBe('approval-self');
    expect(
      (await bed.say('mattermost:teacher2', 'plugin reject 1', { locale: 'ru' })).errorCode,
    ).toBe('approval-not-allowed');
    const first = await bed.say('mattermost:admin1', 'plugin approve 1', { locale: 'ru' });
    expect(first.message.text).toBe('Решение по заявке №1 учтено: 1 одобрение из 2.');
    expect(
      (await bed.say('mattermost:admin1', 'plugin approve 1', { locale: 'ru' })).errorCode,
    ).toBe('approval-twice');
    const second = await bed.say('mattermost:admin2', 'plugin approve 1', { locale: 'ru' });
    expect(second.status).toBe('ok');
    expect(second.message.text).toContain('установка через бота пока недоступна');
    const toTeacher1 = bed.notices.find(
      (n) => n.key === 'plugin-request:1:approved:mattermost:teacher1',
    );
    expect(toTeacher1?.room).toBe('mattermost:dmteacher1');
    expect(toTeacher1?.message.text).toBe(
      'Ваша заявка №1 на Attendance одобрена администраторами. Я напишу, когда плагин будет установлен.',
    );
    expect(bed.notices.some((n) => n.key === 'plugin-request:1:approved:mattermost:teacher2')).toBe(
      true,
    );
    const card = bed.notices
      .filter((n) => n.key === 'plugin-request:1' && n.room === admins)
      .at(-1);
    expect(card?.message.text).toContain(
      'Approved. Installing through the bot is not available yet',
    );
    expect(card?.message.actions).toBeUndefined();
    // Nothing anywhere says it is installed.
    expect(
      bed.notices.some((n) =>
        /уже установлен|установлен на наш|is installed on|has been installed|is now installed/.test(
          n.message.text ?? '',
        ),
      ),
    ).toBe(false);
    const shown = await bed.say('mattermost:teacher2', 'plugins --mine', { locale: 'ru' });
    expect(shown.message.text).toContain('№1 mod_attendance — одобрена, просят 2 учителя');
    // Approving after it is decided is refused.
    const late = await bed.say('mattermost:admin3', 'plugin approve 1', { locale: 'ru' });
    expect(late.errorCode).toBe('approval-closed');
  });

  it('in English, with a rejection told to the teacher with its reason', async () => {
    const bed = pluginBed({ directoryUrl: url });
    await bed.say('mattermost:teacher1', 'please install mod_attendance', { locale: 'en' });
    await bed.say('mattermost:teacher2', 'Could you add the attendance plugin?', { locale: 'en' });
    await bed.say('mattermost:admin1', 'plugin approve 1', { locale: 'en' });
    const rejected = await bed.say('mattermost:admin2', 'plugin reject 1 we use the core one', {
      locale: 'en',
    });
    expect(rejected.message.text).toBe('Request #1 is rejected; the teachers are told.');
    const told = bed.notices.find((n) => n.key === 'plugin-request:1:rejected:mattermost:teacher2');
    expect(told?.message.text).toBe(
      'Your request #1 for Attendance was rejected: we use the core one.',
    );
  });

  it('a request nobody decides: reminder, then expiry told to every teacher who asked', async () => {
    const bed = pluginBed({ directoryUrl: url });
    await bed.say('mattermost:teacher1', 'please install mod_attendance', { locale: 'en' });
    bed.tick(48 * 3_600_000);
    bed.housekeeping();
    expect(bed.notices.at(-1)?.message.text).toContain(
      '⏰ Plugin request #1 (mod_attendance) waits for a decision',
    );
    bed.tick(24 * 3_600_000);
    bed.housekeeping();
    const told = bed.notices.find((n) => n.key === 'plugin-request:1:expired:mattermost:teacher1');
    expect(told?.message.text).toBe(
      'Nobody decided on your request #1 for Attendance in time; it is closed. You may ask again.',
    );
    expect(
      (await bed.say('mattermost:admin1', 'plugin approve 1', { locale: 'en' })).errorCode,
    ).toBe('approval-expired');
    // A new request may be made after it expired.
    const again = await bed.say('mattermost:teacher1', 'plugin-request mod_attendance', {
      locale: 'en',
    });
    expect(again.message.text).toContain('Request #2 is filed');
  });
});
