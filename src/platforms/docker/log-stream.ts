/**
 * The byte-level work behind `logs`: splitting the engine's multiplexed stream into frames,
 * and keeping only the newest bytes of a log so that a huge one cannot exhaust memory.
 */

/** The stream a frame belongs to, from the first header byte (Docker Engine API, "Attach"). */
export type FrameStream = 'stdin' | 'stdout' | 'stderr' | 'system';

export interface Frame {
  readonly stream: FrameStream;
  /** Part of a frame's payload: a large frame comes out in pieces, as its bytes arrive. */
  readonly data: Buffer;
}

const streamTypes: readonly FrameStream[] = ['stdin', 'stdout', 'stderr', 'system'];
const headerSize = 8;
const newline = 0x0a;

/**
 * Demultiplexes the stream of a container without a TTY. Each frame is an 8-byte header
 * `[type, 0, 0, 0, size (uint32, big-endian)]` followed by `size` bytes of payload; headers
 * and payloads may be split anywhere across chunks. Payload bytes are passed on as they
 * arrive, so a frame of any size needs no buffer of its own.
 *
 * A header that breaks the format (non-zero padding, unknown type) means the stream is not
 * multiplexed after all (a TTY container misreported): from there on everything, that
 * header included, is passed on as raw output rather than dropped.
 */
export class FrameDemuxer {
  readonly #header = Buffer.alloc(headerSize);
  #headerFill = 0;
  #stream: FrameStream = 'stdout';
  #remaining = 0;
  #raw = false;

  push(chunk: Buffer): Frame[] {
    const frames: Frame[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#raw) {
        frames.push({ stream: 'stdout', data: chunk.subarray(offset) });
        break;
      }
      if (this.#remaining > 0) {
        const end = Math.min(chunk.length, offset + this.#remaining);
        frames.push({ stream: this.#stream, data: chunk.subarray(offset, end) });
        this.#remaining -= end - offset;
        offset = end;
        continue;
      }
      const take = Math.min(headerSize - this.#headerFill, chunk.length - offset);
      chunk.copy(this.#header, this.#headerFill, offset, offset + take);
      this.#headerFill += take;
      offset += take;
      if (this.#headerFill < headerSize) break;
      this.#headerFill = 0;
      const type = streamTypes[this.#header[0] ?? 255];
      const padded = this.#header[1] === 0 && this.#header[2] === 0 && this.#header[3] === 0;
      if (type === undefined || !padded) {
        this.#raw = true;
        frames.push({ stream: 'stdout', data: Buffer.from(this.#header) });
        continue;
      }
      this.#stream = type;
      this.#remaining = this.#header.readUInt32BE(4);
    }
    return frames;
  }

  /** Bytes of an incomplete header or payload at the end: the stream was cut short. */
  get pending(): number {
    return this.#headerFill + this.#remaining;
  }
}

/**
 * Keeps the newest `maxBytes` of what is pushed, dropping whole chunks from the front as
 * newer ones arrive: memory stays near `maxBytes` plus one chunk however long the input.
 */
export class TailBuffer {
  readonly #maxBytes: number;
  readonly #chunks: Buffer[] = [];
  #size = 0;
  #dropped = false;
  /** The last byte dropped: a newline there means the kept bytes start with a whole line. */
  #lastDropped: number | undefined;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    for (;;) {
      const first = this.#chunks[0];
      if (first === undefined || this.#size - first.length < this.#maxBytes) break;
      this.#chunks.shift();
      this.#size -= first.length;
      this.#dropped = true;
      this.#lastDropped = first.at(-1);
    }
  }

  /**
   * The kept text, decoded as UTF-8. When older bytes were dropped it starts at a line
   * boundary, so that no half line (or half character) is shown as if it were whole —
   * unless the kept bytes hold no line boundary at all.
   */
  text(): { text: string; truncated: boolean } {
    let bytes = Buffer.concat(this.#chunks);
    let truncated = this.#dropped;
    let lastDropped = this.#lastDropped;
    if (bytes.length > this.#maxBytes) {
      lastDropped = bytes[bytes.length - this.#maxBytes - 1];
      bytes = bytes.subarray(bytes.length - this.#maxBytes);
      truncated = true;
    }
    if (truncated && lastDropped !== newline) {
      const first = bytes.indexOf(newline);
      // One line longer than the whole budget: its end is still better than nothing.
      if (first !== -1) bytes = bytes.subarray(first + 1);
    }
    return { text: bytes.toString('utf8'), truncated };
  }
}
