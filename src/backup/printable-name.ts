/**
 * A name from a volume or a snapshot (a file's or a folder's path), or the words of a program
 * that may quote one, as ONE visible line for a chat message or a terminal: whatever the name
 * holds, it cannot start another line, turn the text around, hide part of itself, move the
 * cursor, or add a mention, a link or formatting.
 *
 * - `printableName` escapes what is not seen as itself: control characters (C0, DEL, C1) as
 *   `\n`, `\r`, `\t` or `\x1b`; format characters (the bidi embeddings, overrides, isolates and
 *   marks, zero-width ones), line and paragraph separators, spaces other than U+0020, other
 *   characters drawn as nothing (variation selectors, Hangul fillers, the blank braille cell),
 *   lone surrogates and U+FFFD (a byte that was not UTF-8) as `\u202e`; a backslash as `\\`, so
 *   that the escapes are never ambiguous; a space at either end as `\x20`. For a code block,
 *   whose content no front end reads as markup (Mattermost's fence grows past any backticks
 *   inside, Matrix escapes it, the terminal prints it).
 * - `codeName` puts that inside a code span of the messages' markdown subset, its backticks
 *   as `\x60`: Mattermost, Matrix (html.ts `parseInline`) and the terminal show a code span's
 *   content as it is, and Mattermost looks for mentions outside code only.
 *
 * Only what a front end would misread is escaped: a name in Cyrillic or with emoji stays as is
 * (an emoji's joiner or variation selector, invisible in itself, is escaped).
 * Pure, without imports: it runs from the image's sources too (tree-walk.ts).
 */

/** At most this many characters of a name are shown; the rest is cut, marked with `…`. */
export const maxShownChars = 300;

const named: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

// Control (Cc) and format (Cf) characters, line (Zl) and paragraph (Zp) separators, lone
// surrogates (Cs), spaces other than U+0020, U+FFFD, the backslash; what is drawn as nothing
// though it is not a format character: the default ignorables (variation selectors, the
// combining grapheme joiner U+034F…), among them the Hangul fillers (U+115F, U+1160, U+3164,
// U+FFA0, named too), and the blank braille cell U+2800.
const hidden =
  /[\\\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Default_Ignorable_Code_Point}\u115F\u1160\u3164\uFFA0\u2800\uFFFD]|(?! )\p{Zs}/gu;

function escaped(char: string): string {
  const known = named[char];
  if (known !== undefined) return known;
  const code = char.codePointAt(0) ?? 0;
  const hex = code.toString(16);
  if (code <= 0xff) return `\\x${hex.padStart(2, '0')}`;
  if (code <= 0xffff) return `\\u${hex.padStart(4, '0')}`;
  return `\\u{${hex}}`;
}

/** Which end of a name longer than the limit is shown. */
export interface ShownOptions {
  /**
   * `head` (the default): the start, `…` after; `tail`: the end, `…` before, for the words
   * of a program that failed, which says why at the end (engines/tags.ts `reasonFrom`).
   */
  readonly keep?: 'head' | 'tail';
}

function shown(
  name: string,
  max: number,
  tail: boolean,
  extra?: RegExp,
): { readonly text: string; readonly cut: boolean } {
  // By code points, so that a cut never splits a character or an escape; a very long name
  // costs no more than a short one. A part cut from the end may start with the second half
  // of a pair: it holds more than `max` characters then, and that one is left out.
  const span = (max + 1) * 2;
  const part = tail ? name.slice(-span) : name.slice(0, span);
  const chars = Array.from(part);
  const cut = chars.length > max || part.length < name.length;
  const kept = !cut
    ? name
    : tail
      ? chars.slice(chars.length - max).join('')
      : chars.slice(0, max).join('');
  let text = kept.replace(hidden, escaped);
  if (extra !== undefined) text = text.replace(extra, escaped);
  // Spaces at the ends would be invisible, and a code span loses one at each end.
  text = text.replace(/^ +| +$/g, (spaces) => '\\x20'.repeat(spaces.length));
  return { text, cut };
}

/** The name as one line of plain text (for a code block): see above. */
export function printableName(
  name: string,
  max = maxShownChars,
  options: ShownOptions = {},
): string {
  const tail = options.keep === 'tail';
  const { text, cut } = shown(name, max, tail);
  if (!cut) return text;
  return tail ? `…${text}` : `${text}…`;
}

/** The name as a code span of the messages' markdown subset: see above. */
export function codeName(name: string, max = maxShownChars, options: ShownOptions = {}): string {
  const tail = options.keep === 'tail';
  const { text, cut } = shown(name, max, tail, /`/g);
  const span = `\`${text}\``;
  if (!cut) return span;
  return tail ? `…${span}` : `${span}…`;
}
