import { describe, expect, it } from 'vitest';
import { FlagError, joinWords, takeGlobalFlags } from '../../src/cli/global-flags.ts';
import { tokenize } from '../../src/core/tokenize.ts';

describe('takeGlobalFlags', () => {
  it('takes terminal flags wherever they stand', () => {
    const flags = takeGlobalFlags([
      'status',
      '--json',
      'moodle',
      '--config=x.yaml',
      '--lang',
      'en',
      '-y',
    ]);
    expect(flags).toMatchObject({
      json: true,
      yes: true,
      config: 'x.yaml',
      lang: 'en',
      words: ['status', 'moodle'],
    });
  });

  it('passes everything after -- to the command', () => {
    expect(takeGlobalFlags(['audit', '--', '--json']).words).toEqual(['audit', '--json']);
  });

  it('refuses a flag without its value and an unknown language', () => {
    expect(() => takeGlobalFlags(['--config'])).toThrow(FlagError);
    expect(() => takeGlobalFlags(['--lang', 'de'])).toThrow(FlagError);
  });
});

describe('joinWords', () => {
  it('round-trips any argv through the chat tokenizer', () => {
    const words = ['status', 'moodle; rm -rf /', "it's", '', 'a"b', 'back\\slash', '«x»', 'обычно'];
    expect(tokenize(joinWords(words))).toEqual(words);
  });
});
