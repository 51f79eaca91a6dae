/**
 * Label and annotation values come from whoever writes alerting rules or instruments a
 * service, so they are treated as untrusted text: markdown is escaped and every `@` is
 * defused, so no value can format the post, add links or notify anyone.
 */

/** Characters Mattermost's markdown gives a meaning to. */
const markdown = /[\\`*_~[\]()#>|<!{}+=:-]/g;

/** At most this many characters of one value; longer values are cut with "…". */
export const maxValueChars = 300;

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** At most `max` characters as people see them (an emoji or a letter with accents is one). */
export function clip(text: string, max = maxValueChars): string {
  if (text.length <= max) return text;
  // Only a bounded head is segmented, so a 5 MB value costs no more than a short one.
  const head = text.slice(0, max * 8);
  const parts: string[] = [];
  for (const { segment } of graphemes.segment(head)) {
    if (parts.length === max) return parts.join('') + '…';
    parts.push(segment);
  }
  return head.length < text.length ? parts.join('') + '…' : text;
}

/**
 * Safe as inline markdown: markup escaped, line breaks flattened (a value must not start
 * a heading or a quote on its own line), mentions defused with a zero-width space.
 */
export function escapeInline(text: string, max = maxValueChars): string {
  return clip(text.replace(/[\r\n\t]+/g, ' '), max)
    .replace(markdown, (c) => `\\${c}`)
    .replace(/@/g, '@\u200b');
}

/** Like escapeInline but keeps line breaks (descriptions are often several lines). */
export function escapeBlock(text: string, max = 2000): string {
  return clip(text, max)
    .split(/\r?\n/)
    .map((line) => escapeInline(line, max))
    .join('\n');
}

/** A link only when the URL is plain http(s) with nothing that could break out of `(…)`. */
export function safeUrl(url: string): string | undefined {
  if (url.length > 2000 || !/^https?:\/\/[^\s<>()[\]`"'\\]+$/.test(url)) return undefined;
  return url;
}
