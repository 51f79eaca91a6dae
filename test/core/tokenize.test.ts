import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.ts';
import { maxInputLength, tokenize } from '../../src/core/tokenize.ts';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof UserError ? error.code : 'not-a-user-error';
  }
  return undefined;
}

describe('tokenize', () => {
  it('splits on any whitespace and drops empty words', () => {
    expect(tokenize('  status\tmoodle \n --json ')).toEqual(['status', 'moodle', '--json']);
  });

  it('groups quoted words and keeps empty quoted strings', () => {
    expect(tokenize(`say "hello world" 'it''s' ""`)).toEqual(['say', 'hello world', 'its', '']);
  });

  it('takes typographic quotes from chat clients as quotes', () => {
    expect(tokenize('note «два слова» “three words”')).toEqual([
      'note',
      'два слова',
      'three words',
    ]);
  });

  it('keeps shell metacharacters as plain text inside one word', () => {
    expect(tokenize(`status 'moodle; rm -rf /'`)).toEqual(['status', 'moodle; rm -rf /']);
    expect(tokenize('status moodle;id')).toEqual(['status', 'moodle;id']);
    expect(tokenize('status $(id) `id` a|b')).toEqual(['status', '$(id)', '`id`', 'a|b']);
  });

  it('handles backslash escapes outside single quotes only', () => {
    expect(tokenize('a\\ b "c\\"d" \'e\\f\'')).toEqual(['a b', 'c"d', 'e\\f']);
  });

  it('keeps unicode words intact', () => {
    expect(tokenize('статус мудл 🚀')).toEqual(['статус', 'мудл', '🚀']);
  });

  it('refuses an unclosed quote', () => {
    expect(codeOf(() => tokenize('status "moodle'))).toBe('unbalanced-quote');
    expect(codeOf(() => tokenize('status «moodle'))).toBe('unbalanced-quote');
  });

  it('refuses 10 kB of input before splitting it', () => {
    expect(codeOf(() => tokenize('status ' + 'x'.repeat(10 * 1024)))).toBe('input-too-long');
    expect(tokenize('a'.repeat(maxInputLength))).toHaveLength(1);
  });
});
