/**
 * A reason quoted inside a person's answer (src/backup/reason.ts): a UserError's own text in
 * each language; anything else, a program's or the system's words, as one line of code.
 */
import { describe, expect, it } from 'vitest';
import { maxShownChars } from '../../src/backup/printable-name.ts';
import { reasonTexts } from '../../src/backup/reason.ts';
import { UserError } from '../../src/core/errors.ts';

describe('reasonTexts', () => {
  it("gives a UserError's own text in each language", () => {
    const error = new UserError('backup-retention-cut-short', { service: 'moodle' });
    expect(reasonTexts(error)).toEqual({ ru: error.text('ru'), en: error.text('en') });
  });

  it('shows any other message as one line of code: no markup, no second line', () => {
    const message = 'open /data/**bold** @channel [x](http://evil)\nFatal: `rm -rf` <b>';
    const text = '`open /data/**bold** @channel [x](http://evil)\\nFatal: \\x60rm -rf\\x60 <b>`';
    expect(reasonTexts(new Error(message))).toEqual({ ru: text, en: text });
    expect(reasonTexts('repository is locked')).toEqual({
      ru: '`repository is locked`',
      en: '`repository is locked`',
    });
  });

  it('keeps the end of a long message, where a program says why', () => {
    const message = `${'x'.repeat(1000)} Fatal: pack 1a2b3c is damaged`;
    const { en } = reasonTexts(new Error(message));
    expect(en.startsWith('…`')).toBe(true);
    expect(en.endsWith('Fatal: pack 1a2b3c is damaged`')).toBe(true);
    expect(en.length).toBe(maxShownChars + 3);
  });
});
