/**
 * The text of a file name's bytes (src/backup/name-text.ts): Go's rule, which restic's JSON
 * follows (utf8.DecodeRune: an invalid encoding is RuneError of width 1, so each byte that is
 * not part of a valid sequence becomes one U+FFFD), and borg's surrogate escapes read the
 * same way. Valid UTF-8 keeps exactly the text Buffer's decoding gave it.
 */
import { describe, expect, it } from 'vitest';
import { parseLsLine } from '../../src/backup/engines/restic-json.ts';
import { fromSurrogateEscapes, nameText } from '../../src/backup/name-text.ts';
import { EntrySet } from '../../src/backup/tree-walk.ts';

const R = '\uFFFD';
const b = (...parts: (string | number)[]): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from([p]))));

describe('nameText', () => {
  it('keeps valid UTF-8 exactly as Buffer decodes it', () => {
    for (const text of [
      '',
      'plain.txt',
      'é',
      'café',
      '日本語',
      '💩',
      '\uFEFFbom-first',
      `literal${R}`,
      'q?',
      '\u0001\u007f',
      '\u07ff\u0800\ud7ff\ue000\uffff\u{10000}\u{10ffff}',
    ]) {
      const raw = Buffer.from(text);
      expect(nameText(raw)).toBe(text);
      expect(nameText(raw)).toBe(raw.toString('utf8'));
    }
  });

  it('one U+FFFD per byte that is not part of a valid sequence', () => {
    const cases: [Buffer, string][] = [
      // Latin-1 café: a lead byte followed by nothing.
      [b('caf', 0xe9), `caf${R}`],
      // Lone continuation bytes.
      [b(0x80), R],
      [b('a', 0xbf, 0x80, 'z'), `a${R}${R}z`],
      // Truncated 2-, 3- and 4-byte sequences, before another character and at the end.
      [b(0xc3, 'x'), `${R}x`],
      [b('a', 0xe2, 0x80, 'b'), `a${R}${R}b`],
      [b('x', 0xf0, 0x9f, 0x98, 'y'), `x${R}${R}${R}y`],
      [b('t', 0xe2, 0x80), `t${R}${R}`],
      [b(0xf0, 0x9f), `${R}${R}`],
      // Overlong encodings: C0 and C1 never lead; E0 needs A0–BF next, F0 needs 90–BF.
      [b(0xc0, 0x80), `${R}${R}`],
      [b(0xc1, 0xbf), `${R}${R}`],
      [b(0xe0, 0x80, 0x80), `${R}${R}${R}`],
      [b(0xe0, 0x9f, 0xbf), `${R}${R}${R}`],
      [b(0xf0, 0x80, 0x80, 0x80), R.repeat(4)],
      [b(0xf0, 0x8f, 0xbf, 0xbf), R.repeat(4)],
      // UTF-16 surrogates encoded in UTF-8 (ED A0–BF …).
      [b('s', 0xed, 0xa0, 0x80), `s${R}${R}${R}`],
      [b(0xed, 0xbf, 0xbf), R.repeat(3)],
      [b(0xed, 0xa0, 0xbd, 0xed, 0xb2, 0xa9), R.repeat(6)],
      // Above U+10FFFF: F4 needs 80–8F next; F5–FF never lead.
      [b('h', 0xf4, 0x90, 0x80, 0x80), `h${R.repeat(4)}`],
      [b(0xf5, 0x80, 0x80, 0x80), R.repeat(4)],
      [b(0xf8, 0x88, 0x80, 0x80, 0x80), R.repeat(5)],
      [b(0xfe, 0xff), `${R}${R}`],
      // A valid character right after an invalid byte is itself.
      [b(0xe2, 0x80, 'é', 0xff, '💩'), `${R}${R}é${R}💩`],
      [b(0xe2, 0xe2, 0x82, 0xac), `${R}€`],
    ];
    for (const [raw, text] of cases)
      expect([raw.toString('hex'), nameText(raw)]).toEqual([raw.toString('hex'), text]);
  });

  it('the edges that are still valid', () => {
    expect(nameText(b(0xc2, 0x80))).toBe('\u0080');
    expect(nameText(b(0xe0, 0xa0, 0x80))).toBe('\u0800');
    expect(nameText(b(0xed, 0x9f, 0xbf))).toBe('\ud7ff');
    expect(nameText(b(0xee, 0x80, 0x80))).toBe('\ue000');
    expect(nameText(b(0xf0, 0x90, 0x80, 0x80))).toBe('\u{10000}');
    expect(nameText(b(0xf4, 0x8f, 0xbf, 0xbf))).toBe('\u{10ffff}');
  });

  it('differs from Buffer (WHATWG) only where a valid prefix is cut short', () => {
    // WHATWG replaces the maximal valid prefix once; Go each of its bytes.
    expect(b('a', 0xe2, 0x80, 'b').toString('utf8')).toBe(`a${R}b`);
    expect(nameText(b('a', 0xe2, 0x80, 'b'))).toBe(`a${R}${R}b`);
  });

  it('agrees with a decoder built on the platform validator, over random bytes', () => {
    // Go's rule restated: at each position the longest prefix (1–4 bytes) that a strict
    // decoder takes as exactly one character is that character; else one U+FFFD, one byte.
    const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    const reference = (raw: Buffer): string => {
      let out = '';
      for (let i = 0; i < raw.length;) {
        let width = 0;
        for (let n = 1; n <= 4 && i + n <= raw.length; n++) {
          try {
            const ch = strict.decode(raw.subarray(i, i + n));
            const first = ch.codePointAt(0);
            if (first !== undefined && String.fromCodePoint(first) === ch) {
              width = n;
              break;
            }
          } catch {
            // not a whole character yet
          }
        }
        out += width === 0 ? R : strict.decode(raw.subarray(i, i + width));
        i += Math.max(width, 1);
      }
      return out;
    };
    // Bytes that make UTF-8 edges likely: ASCII, continuations, every kind of lead.
    const pool = [
      0x61, 0x2f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec,
      0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xff,
    ];
    let seed = 42;
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    for (let round = 0; round < 5000; round++) {
      const raw = Buffer.from(
        Array.from({ length: 1 + (next() % 9) }, () => pool[next() % pool.length] ?? 0),
      );
      expect([raw.toString('hex'), nameText(raw)]).toEqual([raw.toString('hex'), reference(raw)]);
    }
  });

  it('reads a part of a larger buffer', () => {
    const whole = b('xx', 0xe9, 'yy');
    expect(nameText(whole.subarray(1, 4))).toBe(`x${R}y`);
  });
});

describe("the engines' listings", () => {
  it('borg: each surrogate escape (U+DC80–U+DCFF) is one U+FFFD; pairs stay characters', () => {
    expect(fromSurrogateEscapes('caf\udce9')).toBe(`caf${R}`);
    expect(fromSurrogateEscapes('a\udce2\udc80b')).toBe(`a${R}${R}b`);
    // 💩 is D83D DCA9: its low half lies in the escapes' range and is no escape.
    expect(fromSurrogateEscapes('💩')).toBe('💩');
    expect(fromSurrogateEscapes('x💩\udce9')).toBe(`x💩${R}`);
    expect(fromSurrogateEscapes('\udce9\udca9')).toBe(`${R}${R}`);
    expect(fromSurrogateEscapes('café q?')).toBe('café q?');
  });

  it("restic: Go's JSON already writes one U+FFFD per invalid byte; kept as it is", () => {
    // `restic ls --json` of `a\xe2\x80b` (restic 0.14, measured).
    const line =
      '{"name":"a\\ufffd\\ufffdb","type":"file","path":"/a\\ufffd\\ufffdb","uid":0,"gid":0,"size":0,"mode":420,"struct_type":"node"}';
    expect(parseLsLine(line)?.path).toBe(`a${R}${R}b`);
    expect(parseLsLine(line)?.path).toBe(nameText(b('a', 0xe2, 0x80, 'b')));
  });

  it('the entry set tells a real `?` from a byte that is not UTF-8', () => {
    const digest = (path: string): string => {
      const set = new EntrySet();
      set.add({ path, type: 'file', perm: 0o644, uid: 0, gid: 0, size: 1 });
      return set.digest();
    };
    expect(digest('caf?')).not.toBe(digest(`caf${R}`));
    expect(digest(`caf${R}`)).toBe(digest(nameText(b('c', 'a', 'f', 0xe9))));
  });
});
