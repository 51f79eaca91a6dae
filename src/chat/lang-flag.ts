/**
 * `--lang ru|en` in a chat command, as in the terminal (src/cli/global-flags.ts): it may
 * stand anywhere before a `--`, and the answers to that command are in that language. It is
 * taken out of the text before the command is parsed, so no command sees it.
 */
import { UserError } from '../core/errors.ts';
import { isLocale, type Locale } from '../core/i18n.ts';
import { quoteValue } from '../core/parse.ts';
import { tokenize } from '../core/tokenize.ts';

export interface LangFlag {
  /** The command without the flag (the text as typed when it had none). */
  readonly text: string;
  readonly locale: Locale | undefined;
}

/** `--lang`, also with the em or en dash that phone keyboards make of a typed `--`. */
const flagPattern = /^(?:--|[\u2013\u2014])lang(?:=(.*))?$/su;

/** Quotes words so that the chat tokenizer gives the same words back. */
function joinWords(words: readonly string[]): string {
  return words
    .map((w) => (w !== '' && /^[^\s'"«»“”\\]+$/u.test(w) ? w : `'${w.replaceAll("'", `'\\''`)}'`))
    .join(' ');
}

/** Takes the flag out; a value other than ru or en is the refusal to give (invalid-argument). */
export function takeLangFlag(text: string): LangFlag | UserError {
  let words: string[];
  try {
    words = tokenize(text);
  } catch {
    // The command itself is refused for the same reason when it is parsed.
    return { text, locale: undefined };
  }
  const end = words.indexOf('--');
  const at = words.findIndex((w, i) => (end < 0 || i < end) && flagPattern.test(w));
  if (at < 0) return { text, locale: undefined };
  const inline = flagPattern.exec(words[at] ?? '')?.[1];
  const value = inline ?? words[at + 1];
  if (!isLocale(value)) {
    return new UserError('invalid-argument', {
      argument: '--lang',
      value: quoteValue(value ?? ''),
      reason: 'ru | en',
    });
  }
  const rest = [...words.slice(0, at), ...words.slice(at + (inline === undefined ? 2 : 1))];
  return { text: joinWords(rest), locale: value };
}
