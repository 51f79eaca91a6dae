/**
 * Why something failed, in every language, for a reason quoted inside a person's answer: a
 * UserError's own text in each language; any other error's message (a program's own words,
 * the same in both) as is. A reason kept in one language would put English words inside a
 * Russian answer.
 */
import { UserError } from '../core/errors.ts';
import type { Text } from '../core/i18n.ts';

export function reasonTexts(error: unknown): Text {
  if (error instanceof UserError) return { ru: error.text('ru'), en: error.text('en') };
  const text = error instanceof Error ? error.message : String(error);
  return { ru: text, en: text };
}
