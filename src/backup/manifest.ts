/**
 * A pass-through stream that measures what flows through it: bytes, sha256 and, for a tar
 * stream, the number of members. Put between a producer and the engine at backup, and
 * between the engine and a consumer at restore or in a drill: the two manifests must match.
 *
 * The tar members are counted by reading the 512-byte headers here rather than with
 * tar-stream: tar-stream's extractor is a sink that hands out every entry as a stream of its
 * own to be drained, so as a pass-through it would copy each chunk into a second pipeline;
 * counting only needs the size field of each header and a skip counter, no copies at all.
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import type { StreamManifest } from '../core/backup.ts';

const block = 512;

/**
 * Counts tar members (POSIX ustar, GNU and pax, per POSIX.1-2017 "pax" format: headers and
 * data in 512-byte blocks, the size as octal at offset 124, or base-256 when the high bit of
 * its first byte is set, a GNU extension). Pax (`x`, `g`) and GNU long-name (`L`, `K`)
 * headers describe the next member and are not members themselves. Anything that does not
 * parse as a header makes the stream "not a tar": the count is then undefined.
 */
export class TarMemberCounter {
  #members = 0;
  #valid = true;
  #ended = false;
  /** Data bytes of the current member (with padding) still to skip. */
  #skip = 0;
  readonly #header = Buffer.alloc(block);
  #filled = 0;

  get members(): number | undefined {
    return this.#valid ? this.#members : undefined;
  }

  push(chunk: Buffer): void {
    let offset = 0;
    while (this.#valid && !this.#ended && offset < chunk.length) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, chunk.length - offset);
        this.#skip -= n;
        offset += n;
        continue;
      }
      const n = Math.min(block - this.#filled, chunk.length - offset);
      chunk.copy(this.#header, this.#filled, offset, offset + n);
      this.#filled += n;
      offset += n;
      if (this.#filled === block) {
        this.#filled = 0;
        this.#readHeader();
      }
    }
  }

  /** A stream that stops in the middle of a header or member is no complete tar. */
  finish(): void {
    if (this.#skip > 0 || this.#filled > 0) this.#valid = false;
  }

  #readHeader(): void {
    const header = this.#header;
    // Two zero blocks end the archive; the first is enough to stop counting (GNU tar pads
    // the end to a record size with more zeros).
    if (header.every((byte) => byte === 0)) {
      this.#ended = true;
      return;
    }
    const size = tarSize(header);
    if (size === undefined || !checksumMatches(header)) {
      this.#valid = false;
      return;
    }
    const type = String.fromCharCode(header[156] ?? 0);
    if (!['x', 'g', 'L', 'K'].includes(type)) this.#members++;
    this.#skip = Math.ceil(size / block) * block;
  }
}

function tarSize(header: Buffer): number | undefined {
  const first = header[124] ?? 0;
  if ((first & 0x80) !== 0) {
    let size = first & 0x7f;
    for (let i = 125; i < 136; i++) size = size * 256 + (header[i] ?? 0);
    return size;
  }
  const text = header
    .toString('latin1', 124, 136)
    .replace(/[\0 ]+$/g, '')
    .trim();
  if (text === '') return 0;
  return /^[0-7]+$/.test(text) ? parseInt(text, 8) : undefined;
}

/** The header checksum (offset 148, 8 bytes): the sum of all bytes with that field as spaces. */
function checksumMatches(header: Buffer): boolean {
  const stored = header
    .toString('latin1', 148, 156)
    .replace(/[\0 ]+$/g, '')
    .trim();
  if (!/^[0-7]+$/.test(stored)) return false;
  let sum = 0;
  for (let i = 0; i < block; i++) sum += i >= 148 && i < 156 ? 0x20 : (header[i] ?? 0);
  return sum === parseInt(stored, 8);
}

/** What a stream was measured as; `sha256` only when the meter digested it. */
export interface MeasuredStream {
  readonly bytes: number;
  readonly sha256: string | undefined;
  readonly files: number | undefined;
}

export class ManifestMeter extends Transform {
  #bytes = 0;
  readonly #hash: Hash | undefined;
  readonly #tar: TarMemberCounter | undefined;
  #digest: string | undefined;
  #ended = false;

  /**
   * `tar`: count members too (a volume's stream); otherwise `files` stays undefined.
   * `digest` (default on): the SHA-256 of the stream, for the manifest of a backup and the
   * comparison of a drill.
   */
  constructor(options: { readonly tar: boolean; readonly digest?: boolean }) {
    super();
    this.#tar = options.tar ? new TarMemberCounter() : undefined;
    this.#hash = options.digest === false ? undefined : createHash('sha256');
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.#bytes += chunk.length;
    this.#hash?.update(chunk);
    this.#tar?.push(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    this.#tar?.finish();
    this.#digest = this.#hash?.digest('hex');
    this.#ended = true;
    done();
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Complete only once the stream has ended. */
  manifest(): StreamManifest {
    const measured = this.measured();
    if (measured.sha256 === undefined) throw new Error('the stream was not digested');
    return { ...measured, sha256: measured.sha256 };
  }

  /** Complete only once the stream has ended. */
  measured(): MeasuredStream {
    if (!this.#ended) throw new Error('the stream is measured before it ended');
    return { bytes: this.#bytes, sha256: this.#digest, files: this.#tar?.members };
  }
}

/** What differs between two manifests, as `field: expected → actual`; empty when they match. */
export function compareManifests(expected: StreamManifest, actual: MeasuredStream): string[] {
  const problems: string[] = [];
  if (expected.bytes !== actual.bytes) problems.push(`bytes: ${expected.bytes} → ${actual.bytes}`);
  if (actual.sha256 !== undefined && expected.sha256 !== actual.sha256) {
    problems.push(`sha256: ${expected.sha256.slice(0, 12)}… → ${actual.sha256.slice(0, 12)}…`);
  }
  if (expected.files !== undefined && expected.files !== actual.files) {
    problems.push(`files: ${expected.files} → ${actual.files ?? '?'}`);
  }
  return problems;
}
