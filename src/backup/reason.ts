/**
 * Why something failed, in every language, for a reason quoted inside a person's answer: a
 * UserError's own text in each language; any other error's message (a program's or the
 * system's own words, the same in both) as one line of code, its end when long, where a
 * program says why (printable-name.ts `codeName`): it may quote a file's name from a volume,
 * chat markup or several lines. A reason kept in one language would put English words inside
 * a Russian answer.
 */
import { UserError } from '../core/errors.ts';
import type { Text } from '../core/i18n.ts';
import { codeName, maxShownChars } from './printable-name.ts';

export function reasonTexts(error: unknown): Text {
  if (error instanceof UserError) return { ru: error.text('ru'), en: error.text('en') };
  const message = error instanceof Error ? error.message : String(error);
  const text = codeName(message, maxShownChars, { keep: 'tail' });
  return { ru: text, en: text };
}
