import { describe, expect, it } from 'vitest';
import { FrameDemuxer, TailBuffer, type Frame } from '../../../src/platforms/docker/log-stream.ts';

/** One frame as the engine writes it: [type, 0, 0, 0, size (uint32 BE)] + payload. */
function frame(type: number, payload: string | Buffer): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/** Feeds the chunks and joins the payload per stream, in arrival order overall. */
function demux(chunks: readonly Buffer[]): { all: string; stdout: string; stderr: string } {
  const demuxer = new FrameDemuxer();
  const frames: Frame[] = chunks.flatMap((c) => demuxer.push(c));
  const join = (keep: (f: Frame) => boolean): string =>
    Buffer.concat(frames.filter(keep).map((f) => f.data)).toString();
  return {
    all: join(() => true),
    stdout: join((f) => f.stream === 'stdout'),
    stderr: join((f) => f.stream === 'stderr'),
  };
}

describe('FrameDemuxer', () => {
  const stream = Buffer.concat([
    frame(1, 'out 1\n'),
    frame(2, 'err 1\n'),
    frame(1, ''),
    frame(1, 'привет, мир\n'),
    frame(2, 'err 2\n'),
  ]);

  it('splits a whole answer into stdout and stderr, keeping the order', () => {
    expect(demux([stream])).toEqual({
      all: 'out 1\nerr 1\nпривет, мир\nerr 2\n',
      stdout: 'out 1\nпривет, мир\n',
      stderr: 'err 1\nerr 2\n',
    });
  });

  it('gives the same result wherever the chunks are split, headers included', () => {
    const expected = demux([stream]);
    for (let at = 1; at < stream.length; at++) {
      expect(demux([stream.subarray(0, at), stream.subarray(at)])).toEqual(expected);
    }
    const bytes = [...stream].map((b) => Buffer.from([b]));
    expect(demux(bytes)).toEqual(expected);
  });

  it('passes a large frame on in pieces as they arrive, with no buffer of its own', () => {
    const payload = Buffer.alloc(200_000, 'x');
    const whole = frame(2, payload);
    const demuxer = new FrameDemuxer();
    const pieces: Frame[] = [];
    for (let at = 0; at < whole.length; at += 1000) {
      pieces.push(...demuxer.push(whole.subarray(at, at + 1000)));
    }
    expect(pieces.length).toBeGreaterThan(100);
    expect(Math.max(...pieces.map((p) => p.data.length))).toBeLessThanOrEqual(1000);
    expect(pieces.every((p) => p.stream === 'stderr')).toBe(true);
    expect(Buffer.concat(pieces.map((p) => p.data)).equals(payload)).toBe(true);
    expect(demuxer.pending).toBe(0);
  });

  it('counts the bytes still missing when the stream is cut inside a frame', () => {
    const demuxer = new FrameDemuxer();
    const whole = frame(1, 'abcdef');
    expect(Buffer.concat(demuxer.push(whole.subarray(0, 10)).map((f) => f.data)).toString()).toBe(
      'ab',
    );
    expect(demuxer.pending).toBe(4);
  });

  it('treats a stream that breaks the frame format as raw output from there on', () => {
    const raw = Buffer.from('plain text from a TTY\n');
    expect(demux([frame(1, 'framed\n'), raw]).all).toBe('framed\nplain text from a TTY\n');
    expect(demux([raw]).all).toBe('plain text from a TTY\n');
  });
});

describe('TailBuffer', () => {
  const lines = (from: number, to: number): string =>
    Array.from({ length: to - from + 1 }, (_, i) => `line ${from + i}\n`).join('');

  it('keeps everything under the limit', () => {
    const tail = new TailBuffer(1000);
    tail.push(Buffer.from(lines(1, 3)));
    tail.push(Buffer.alloc(0));
    tail.push(Buffer.from(lines(4, 5)));
    expect(tail.text()).toEqual({ text: lines(1, 5), truncated: false });
  });

  it('keeps only the newest bytes, starting at a whole line', () => {
    const tail = new TailBuffer(100);
    // One line per chunk, and then one big chunk: both ways of going over the limit.
    for (let n = 1; n <= 500; n++) tail.push(Buffer.from(lines(n, n)));
    tail.push(Buffer.from(lines(501, 600)));
    const { text, truncated } = tail.text();
    expect(truncated).toBe(true);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(100);
    expect(text.endsWith('line 600\n')).toBe(true);
    expect(text.startsWith('line ')).toBe(true);
    // Whole lines only, and consecutive up to the last one.
    const kept = text.trimEnd().split('\n');
    const first = Number(kept[0]?.slice('line '.length));
    expect(kept).toEqual(lines(first, 600).trimEnd().split('\n'));
  });

  it('does not drop a whole line when the cut falls on a line boundary', () => {
    const tail = new TailBuffer(14);
    tail.push(Buffer.from('aaaaaa\n'));
    tail.push(Buffer.from('bbbbbb\n'));
    tail.push(Buffer.from('cccccc\n'));
    expect(tail.text()).toEqual({ text: 'bbbbbb\ncccccc\n', truncated: true });
  });

  it('keeps the end of a single line longer than the limit', () => {
    const tail = new TailBuffer(10);
    tail.push(Buffer.from('x'.repeat(50)));
    expect(tail.text()).toEqual({ text: 'x'.repeat(10), truncated: true });
  });
});
