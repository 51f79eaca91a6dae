import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.ts';
import { matchPlainRequest } from '../../src/plugins/phrases.ts';
import { componentOfUrl, referenceOf } from '../../src/plugins/reference.ts';
import { searchPlugins } from '../../src/plugins/search.ts';
import { interpretPlainWords } from '../../src/plugins/wire.ts';

describe('plain words: is it a plugin request, and which plugin', () => {
  it.each([
    ['установите, пожалуйста, плагин посещаемости', 'attendance'],
    ['Нужен модуль посещаемости для моих групп', 'attendance'],
    ['Можно ли добавить плагин чек-лист?', 'checklist'],
    ['Поставьте mod_attendance пожалуйста', 'mod_attendance'],
    ['please install mod_attendance', 'mod_attendance'],
    ['Could you add the attendance plugin to our Moodle?', 'attendance'],
    ['we need the plugin called Level Up for course 12', 'level up'],
    [
      'please install https://moodle.org/plugins/mod_checklist',
      'https://moodle.org/plugins/mod_checklist',
    ],
    ['вот плагин https://moodle.org/plugins/block_xp', 'https://moodle.org/plugins/block_xp'],
  ])('%s → %s', (text, reference) => {
    expect(matchPlainRequest(text)?.reference).toBe(reference);
  });

  it.each([
    'please restart moodle',
    'status moodle',
    'привет! как дела?',
    'установите, пожалуйста, обновления',
    'the plugin page is slow',
    '',
  ])('not a request: %s', (text) => {
    expect(matchPlainRequest(text)).toBeUndefined();
  });

  it('becomes plugin-request with the message kept as the reason', () => {
    expect(interpretPlainWords('please install mod_attendance for my groups')).toEqual([
      'plugin-request',
      '--why',
      'please install mod_attendance for my groups',
      'mod_attendance',
    ]);
  });
});

describe('references', () => {
  it('reads components and directory links', () => {
    expect(referenceOf('mod_attendance')).toEqual({
      kind: 'component',
      component: 'mod_attendance',
    });
    expect(componentOfUrl('https://moodle.org/plugins/mod_attendance/versions')).toBe(
      'mod_attendance',
    );
    expect(componentOfUrl('moodle.org/plugins/view.php?plugin=block_xp')).toBe('block_xp');
    expect(referenceOf('attendance')).toBeUndefined();
  });

  it.each([
    'https://moodle.org.evil.example/plugins/mod_attendance',
    'https://example.org/plugins/mod_attendance',
    'ftp://moodle.org/plugins/mod_attendance',
    'https://moodle.org/plugins/',
    'https://moodle.org/plugins/view.php?plugin=../../etc',
  ])('refuses a link that is not the directory: %s', (url) => {
    expect(() => componentOfUrl(url)).toThrow(UserError);
  });

  it.each(['mod__x', 'Mod_Attendance', 'mod_attendance_', '1mod_x', 'mod-attendance_x'])(
    'refuses a component that is not type_name: %s',
    (word) => {
      expect(() => referenceOf(word)).toThrow(/component name/);
    },
  );
});

describe('search by name words', () => {
  const list = [
    { name: 'Attendance', component: 'mod_attendance', versions: [] },
    { name: 'Attendance table', component: 'block_attendancetable', versions: [] },
    { name: 'Attendance report', component: 'report_attendance', versions: [] },
    { name: 'Checklist', component: 'mod_checklist', versions: [] },
    { name: 'Level Up XP', component: 'block_xp', versions: [] },
  ];

  it('an exact name is the one meant', () => {
    expect(searchPlugins(list, 'attendance').map((p) => p.component)).toEqual(['mod_attendance']);
  });

  it('otherwise up to three, best first', () => {
    expect(searchPlugins(list, 'attend').map((p) => p.component)).toEqual([
      'mod_attendance',
      'block_attendancetable',
      'report_attendance',
    ]);
    expect(searchPlugins(list, 'level up').map((p) => p.component)).toEqual(['block_xp']);
    expect(searchPlugins(list, 'quantum')).toEqual([]);
  });
});
