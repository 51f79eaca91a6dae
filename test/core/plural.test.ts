/** Plural forms by Intl.PluralRules, the way Russian and English agree a word with a number. */
import { describe, expect, it } from 'vitest';
import { countText, plural } from '../../src/core/plural.ts';

const entries = {
  ru: {
    one: '{count} запись',
    few: '{count} записи',
    many: '{count} записей',
    other: '{count} записи',
  },
  en: { one: '{count} entry', other: '{count} entries' },
};

describe('plural', () => {
  it('agrees Russian words with 1, 2–4, 5–20 and their tens', () => {
    const shown = [0, 1, 2, 4, 5, 11, 14, 21, 22, 25, 53, 101, 111].map((n) =>
      countText(entries, 'ru', n),
    );
    expect(shown).toEqual([
      '0 записей',
      '1 запись',
      '2 записи',
      '4 записи',
      '5 записей',
      '11 записей',
      '14 записей',
      '21 запись',
      '22 записи',
      '25 записей',
      '53 записи',
      '101 запись',
      '111 записей',
    ]);
  });

  it('agrees English words with one and the rest', () => {
    expect([0, 1, 2, 21].map((n) => countText(entries, 'en', n))).toEqual([
      '0 entries',
      '1 entry',
      '2 entries',
      '21 entries',
    ]);
  });

  it('falls back to other for a form not given', () => {
    expect(plural('ru', 3, { one: 'контейнера', other: 'контейнеров' })).toBe('контейнеров');
    expect(plural('ru', 21, { one: 'контейнера', other: 'контейнеров' })).toBe('контейнера');
  });
});
