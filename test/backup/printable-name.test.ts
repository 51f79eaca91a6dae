/**
 * A name from a volume or a snapshot as one visible line (src/backup/printable-name.ts):
 * control, bidi, zero-width and other invisible characters escaped, the backslash doubled so
 * that an escape is never ambiguous; in a code span, backticks escaped too. Everything else,
 * Cyrillic and emoji included, stays as it is.
 */
import { describe, expect, it } from 'vitest';
import { codeName, maxShownChars, printableName } from '../../src/backup/printable-name.ts';

describe('printableName', () => {
  it('keeps an ordinary name as it is', () => {
    for (const name of [
      'moodledata/filedir/2a/3f/2a3f',
      'with space.txt',
      'ünï/кириллица/日本語/💩.txt',
      'a_b*c[1](2)#x@y~z|!.txt',
      '<b>bold</b>',
      'a`b',
    ]) {
      expect(printableName(name)).toBe(name);
    }
  });

  it('escapes line breaks and every other control character', () => {
    expect(printableName('a\nb\rc\td')).toBe('a\\nb\\rc\\td');
    expect(printableName('\u0000\u0001\u001b[31m\u007f')).toBe('\\x00\\x01\\x1b[31m\\x7f');
    // C1: U+0085 is a line break to some, U+009B a terminal's CSI.
    expect(printableName('\u0085\u009b2J')).toBe('\\x85\\x9b2J');
    expect(printableName('a\u2028b\u2029c')).toBe('a\\u2028b\\u2029c');
  });

  it('escapes bidi controls, zero-width and format characters, and U+FFFD', () => {
    const bidi = '\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c';
    expect(printableName(`x${bidi}y`)).toBe(
      'x\\u202a\\u202b\\u202c\\u202d\\u202e\\u2066\\u2067\\u2068\\u2069\\u200e\\u200f\\u061cy',
    );
    expect(printableName('evil\u202etxt.exe')).toBe('evil\\u202etxt.exe');
    expect(printableName('a\u200bb\u200dc\ufeffd\u00ade')).toBe('a\\u200bb\\u200dc\\ufeffd\\xade');
    expect(printableName('caf\ufffd')).toBe('caf\\ufffd');
    // A format character beyond the basic plane, and a lone surrogate.
    expect(printableName('t\u{e0001}g')).toBe('t\\u{e0001}g');
    expect(printableName('s\ud800x')).toBe('s\\ud800x');
  });

  it('escapes what is drawn as nothing: default ignorables, Hangul fillers, a blank braille cell', () => {
    // Hangul fillers (U+115F, U+1160, U+3164, U+FFA0), the combining grapheme joiner, the
    // braille pattern blank: letters or symbols to Unicode, blank on screen.
    expect(printableName('a\u115fb\u1160c\u3164d\uffa0e')).toBe(
      'a\\u115fb\\u1160c\\u3164d\\uffa0e',
    );
    expect(printableName('a\u034fb\u2800c')).toBe('a\\u034fb\\u2800c');
    // Variation selectors, also beyond the basic plane; a name of fillers alone is not blank.
    expect(printableName('x\ufe00\ufe0fy\u{e0100}\u{e01ef}')).toBe(
      'x\\ufe00\\ufe0fy\\u{e0100}\\u{e01ef}',
    );
    expect(printableName('\u3164\u3164')).toBe('\\u3164\\u3164');
    expect(codeName('\u2800')).toBe('`\\u2800`');
  });

  it('shows a space other than U+0020, and a space at either end', () => {
    expect(printableName('a\u00a0b\u3000c')).toBe('a\\xa0b\\u3000c');
    expect(printableName('  two ends ')).toBe('\\x20\\x20two ends\\x20');
  });

  it('doubles the backslash, so that a name cannot pass for an escape', () => {
    expect(printableName('a\\nb')).toBe('a\\\\nb');
    expect(printableName('a\nb')).not.toBe(printableName('a\\nb'));
    expect(printableName('C:\\x1b')).toBe('C:\\\\x1b');
  });

  it('is one line whatever the name, and cut at a character', () => {
    const every = Array.from({ length: 0x3000 }, (_, i) => String.fromCharCode(i)).join('');
    const shown = printableName(every, 100_000);
    expect(shown).not.toMatch(/[\n\r\u0085\u2028\u2029]/);
    // eslint-disable-next-line no-control-regex
    expect(shown).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    const long = 'é'.repeat(maxShownChars + 50);
    expect(printableName(long)).toBe(`${'é'.repeat(maxShownChars)}…`);
    expect(printableName('💩'.repeat(10), 3)).toBe('💩💩💩…');
    expect(printableName('\n'.repeat(10), 3)).toBe('\\n\\n\\n…');
    // A very long name costs no more than a short one.
    expect(printableName('x'.repeat(10_000_000))).toHaveLength(maxShownChars + 1);
  });
});

describe('codeName', () => {
  it('is a code span, its backticks escaped', () => {
    expect(codeName('a/b.txt')).toBe('`a/b.txt`');
    expect(codeName('it`s')).toBe('`it\\x60s`');
    expect(codeName('``')).toBe('`\\x60\\x60`');
    expect(codeName('x\n@channel')).toBe('`x\\n@channel`');
    expect(codeName(' lead')).toBe('`\\x20lead`');
    expect(codeName('long', 2)).toBe('`lo`…');
  });

  it('keeps the tail when asked: a failed program says why at the end', () => {
    const said = `the tree measure in the helper failed (1): ${'noise '.repeat(100)}the cause`;
    const shown = codeName(said, maxShownChars, { keep: 'tail' });
    expect(shown.startsWith('…`')).toBe(true);
    expect(shown.endsWith('the cause`')).toBe(true);
    expect(shown).toHaveLength(maxShownChars + 3);
    expect(codeName('long', 2, { keep: 'tail' })).toBe('…`ng`');
    expect(codeName('short', 10, { keep: 'tail' })).toBe('`short`');
    expect(printableName('long', 2, { keep: 'tail' })).toBe('…ng');
    // Cut at a character, escapes whole, never half of a pair; a space at the cut shown.
    expect(printableName('💩'.repeat(10), 3, { keep: 'tail' })).toBe('…💩💩💩');
    expect(printableName('a\n\n\n', 3, { keep: 'tail' })).toBe('…\\n\\n\\n');
    expect(codeName('x b`c', 4, { keep: 'tail' })).toBe('…`\\x20b\\x60c`');
    expect(printableName('x'.repeat(10_000_000), 300, { keep: 'tail' })).toHaveLength(301);
  });

  it('holds no backtick but its own two, and no line break', () => {
    const hostile = 'a`\n``b`\u202e`';
    const shown = codeName(hostile);
    expect(shown.startsWith('`')).toBe(true);
    expect(shown.endsWith('`')).toBe(true);
    expect(shown.slice(1, -1)).not.toMatch(/[`\n\u202e]/);
  });
});
