import { describe, expect, it } from 'vitest';
import { takeLangFlag } from '../../src/chat/lang-flag.ts';
import { UserError } from '../../src/core/errors.ts';

describe('--lang in a chat command', () => {
  it('is taken out wherever it stands, with its value after it or after =', () => {
    expect(takeLangFlag('jobs --lang en --last 2')).toEqual({
      text: 'jobs --last 2',
      locale: 'en',
    });
    expect(takeLangFlag('--lang=ru status moodle')).toEqual({
      text: 'status moodle',
      locale: 'ru',
    });
    // A phone keyboard's em dash, as the chat parser reads it for the commands' own options.
    expect(takeLangFlag('status —lang en')).toEqual({ text: 'status', locale: 'en' });
  });

  it('leaves a command without it exactly as typed', () => {
    expect(takeLangFlag('echo  "a  b"')).toEqual({ text: 'echo  "a  b"', locale: undefined });
    // After `--` every word is the command's.
    expect(takeLangFlag('echo -- --lang en')).toEqual({
      text: 'echo -- --lang en',
      locale: undefined,
    });
  });

  it('keeps the words of the rest as they were, quotes included', () => {
    const taken = takeLangFlag(`silence alertname=Disk 2h --lang en "disk it's full"`);
    expect(taken).toEqual({ text: `silence alertname=Disk 2h 'disk it'\\''s full'`, locale: 'en' });
  });

  it('refuses a language the bot does not speak, or a missing one', () => {
    const refused = takeLangFlag('jobs --lang de');
    expect(refused).toBeInstanceOf(UserError);
    expect((refused as UserError).code).toBe('invalid-argument');
    expect((refused as UserError).text('en')).toContain('de');
    expect(takeLangFlag('jobs --lang')).toBeInstanceOf(UserError);
  });
});
