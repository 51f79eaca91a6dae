import { UserError } from './errors.ts';

/** Longer input is refused before any work: no command needs it, and it bounds parse time. */
export const maxInputLength = 4096;

// Chat clients turn plain quotes into typographic ones; people still mean quotes.
const closingQuote: Readonly<Record<string, string>> = {
  '"': '"',
  "'": "'",
  '«': '»',
  '“': '”',
};

/**
 * Splits a command line into tokens like a POSIX shell splits words, and nothing more:
 * quotes group, a backslash escapes the next character (not inside single quotes), and `;`,
 * `|`, `$()` and backticks are plain characters. No token is ever given to a shell, so they
 * only matter as text that the validator of each argument refuses.
 */
export function tokenize(input: string): string[] {
  if (input.length > maxInputLength) {
    throw new UserError('input-too-long', { length: input.length, max: maxInputLength });
  }
  const tokens: string[] = [];
  let current = '';
  let inToken = false;
  let closing: string | undefined;
  let opening = '';
  for (let i = 0; i < input.length; i++) {
    const ch = input.charAt(i);
    if (closing !== undefined) {
      if (ch === closing) closing = undefined;
      else if (ch === '\\' && closing !== "'" && i + 1 < input.length) current += input.charAt(++i);
      else current += ch;
    } else if (closingQuote[ch] !== undefined) {
      closing = closingQuote[ch];
      opening = ch;
      inToken = true;
    } else if (ch === '\\' && i + 1 < input.length) {
      current += input.charAt(++i);
      inToken = true;
    } else if (/\s/u.test(ch)) {
      if (inToken) tokens.push(current);
      current = '';
      inToken = false;
    } else {
      current += ch;
      inToken = true;
    }
  }
  if (closing !== undefined) throw new UserError('unbalanced-quote', { quote: opening });
  if (inToken) tokens.push(current);
  return tokens;
}
