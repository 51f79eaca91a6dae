/**
 * The text of a file name. A name is bytes, most often UTF-8, sometimes not (a Latin-1 name
 * from an old archive). The bot's walk (tree-walk.ts) and the engines' listings must give a
 * name the same text, or a drill reports a restored tree as different from its snapshot:
 *
 * - restic (Go's encoding/json) writes each byte that is not part of a valid UTF-8 sequence
 *   as one U+FFFD: Go's utf8.DecodeRune takes an invalid encoding (a lone or unexpected
 *   continuation byte, a sequence cut short, an overlong form, a UTF-16 surrogate, a code
 *   point above U+10FFFF, a byte F5–FF) as RuneError of width 1.
 * - borg 1.2 keeps names with Python's surrogate escapes (byte 0xE9 is U+DCE9). Its
 *   `list --json-lines` writes each escape as `?` (remove_surrogates), which cannot be told
 *   from a real `?`, so the bot lists with `--format` and `{bpath!a}` (borg-json.ts
 *   `borgListing`), which keeps the escapes.
 *
 * The walk decodes by Go's rule (`nameText`) and each of borg's escapes is one U+FFFD
 * (`fromSurrogateEscapes`): all three agree exactly. Valid UTF-8 keeps exactly the text
 * Buffer's decoding gives, so the list digests recorded before are unchanged for it.
 *
 * Only node's own modules: it runs in helper containers and claim pods with tree-walk.ts.
 */
import { isUtf8 } from 'node:buffer';

const replacement = '\uFFFD';

/** Whether `byte` lies in [low, high]; false past the end (`undefined`). */
function within(byte: number | undefined, low: number, high: number): boolean {
  return byte !== undefined && byte >= low && byte <= high;
}

/**
 * The length of the valid UTF-8 sequence at `i`, or 0 when there is none: the well-formed
 * sequences of Unicode's table 3-7, which are what Go's DecodeRune accepts.
 */
function sequenceAt(bytes: Uint8Array, i: number): number {
  const lead = bytes[i] ?? 0;
  if (lead < 0x80) return 1;
  // 80–BF continue a sequence, C0 and C1 would only start overlong ones.
  if (lead < 0xc2) return 0;
  if (lead < 0xe0) return within(bytes[i + 1], 0x80, 0xbf) ? 2 : 0;
  if (lead < 0xf0) {
    // E0 A0–BF: not overlong; ED 80–9F: not a surrogate.
    const low = lead === 0xe0 ? 0xa0 : 0x80;
    const high = lead === 0xed ? 0x9f : 0xbf;
    return within(bytes[i + 1], low, high) && within(bytes[i + 2], 0x80, 0xbf) ? 3 : 0;
  }
  if (lead < 0xf5) {
    // F0 90–BF: not overlong; F4 80–8F: not above U+10FFFF.
    const low = lead === 0xf0 ? 0x90 : 0x80;
    const high = lead === 0xf4 ? 0x8f : 0xbf;
    return within(bytes[i + 1], low, high) &&
      within(bytes[i + 2], 0x80, 0xbf) &&
      within(bytes[i + 3], 0x80, 0xbf)
      ? 4
      : 0;
  }
  return 0;
}

/** A name's bytes as text: each byte that is not part of a valid UTF-8 sequence is U+FFFD. */
export function nameText(bytes: Uint8Array): string {
  const buffer = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isUtf8(buffer)) return buffer.toString('utf8');
  let text = '';
  // The valid bytes since the last invalid one are decoded together.
  let from = 0;
  for (let i = 0; i < buffer.length;) {
    const length = sequenceAt(buffer, i);
    if (length > 0) {
      i += length;
      continue;
    }
    text += buffer.toString('utf8', from, i) + replacement;
    i += 1;
    from = i;
  }
  return text + buffer.toString('utf8', from, buffer.length);
}

/**
 * A name from Python's surrogate escapes (borg: byte 0xE9 is U+DCE9): each escape, a lone
 * U+DC80–U+DCFF, is one U+FFFD. The low half of a surrogate pair (an astral character such
 * as U+1F4A9, D83D DCA9) is no escape and stays.
 */
export function fromSurrogateEscapes(text: string): string {
  return text.replace(/(?<![\uD800-\uDBFF])[\uDC80-\uDCFF]/g, replacement);
}
