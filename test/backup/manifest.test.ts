/** The manifest meter: bytes and sha256 of any stream, members of a tar stream. */
import { createHash, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { ManifestMeter, compareManifests } from '../../src/backup/manifest.ts';

const dir = mkdtempSync(join(tmpdir(), 'pes-manifest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A tree with a long name (pax or GNU long-name header), a big file, a link and an empty file. */
function makeTar(format: 'gnu' | 'posix'): { tar: Buffer; members: number } {
  const root = mkdtempSync(join(dir, `${format}-`));
  mkdirSync(join(root, 'sub', 'deeper'), { recursive: true });
  writeFileSync(join(root, 'small.txt'), 'hello');
  writeFileSync(join(root, 'empty'), '');
  writeFileSync(join(root, 'sub', 'big.bin'), randomBytes(300_000));
  writeFileSync(join(root, 'sub', 'deeper', `${'n'.repeat(150)}.txt`), 'long name');
  symlinkSync('small.txt', join(root, 'link'));
  const tar = spawnSync('tar', [`--format=${format}`, '-c', '-C', root, '.'], {
    maxBuffer: 1 << 24,
  });
  const list = spawnSync('tar', ['-t'], { input: tar.stdout, encoding: 'utf8' });
  return { tar: tar.stdout, members: list.stdout.trim().split('\n').length };
}

async function measure(
  data: Buffer,
  chunk: number,
  tar: boolean,
  digest = true,
): Promise<ManifestMeter> {
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunk) chunks.push(data.subarray(i, i + chunk));
  const meter = new ManifestMeter({ tar, digest });
  const sink = new Writable({ write: (_c, _e, done) => done() });
  await pipeline(Readable.from(chunks), meter, sink);
  return meter;
}

describe('ManifestMeter', () => {
  it.each(['gnu', 'posix'] as const)(
    'counts the members of a %s tar in any chunking',
    async (format) => {
      const { tar, members } = makeTar(format);
      // ./, small.txt, empty, link, sub/, sub/big.bin, sub/deeper/, sub/deeper/n…n.txt
      expect(members).toBe(8);
      const sha256 = createHash('sha256').update(tar).digest('hex');
      for (const chunk of [1, 7, 512, 513, 65536]) {
        const meter = await measure(tar, chunk, true);
        expect(meter.manifest()).toEqual({ bytes: tar.length, sha256, files: members });
      }
    },
  );

  it('leaves files undefined for a stream that is no tar, and for a cut-off tar', async () => {
    const dump = Buffer.from('PGDMP\u0001custom dump bytes'.repeat(100));
    expect((await measure(dump, 100, true)).manifest().files).toBeUndefined();
    expect((await measure(dump, 100, false)).manifest()).toMatchObject({
      bytes: dump.length,
      files: undefined,
    });
    const { tar } = makeTar('gnu');
    expect(
      (await measure(tar.subarray(0, 2048 + 100), 512, true)).manifest().files,
    ).toBeUndefined();
  });

  it('compares manifests field by field', () => {
    const a = { bytes: 10, sha256: 'a'.repeat(64), files: 3 };
    expect(compareManifests(a, a)).toEqual([]);
    expect(compareManifests(a, { bytes: 11, sha256: 'b'.repeat(64), files: 2 })).toEqual([
      'bytes: 10 → 11',
      'sha256: aaaaaaaaaaaa… → bbbbbbbbbbbb…',
      'files: 3 → 2',
    ]);
  });

  it('counts without digesting when asked (a restore), and compares what it has', async () => {
    const { tar, members } = makeTar('gnu');
    const meter = await measure(tar, 4096, true, false);
    expect(meter.measured()).toEqual({ bytes: tar.length, sha256: undefined, files: members });
    expect(() => meter.manifest()).toThrow('not digested');
    const expected = (await measure(tar, 4096, true)).manifest();
    expect(compareManifests(expected, meter.measured())).toEqual([]);
    expect(compareManifests(expected, { ...meter.measured(), bytes: tar.length - 1 })).toEqual([
      `bytes: ${tar.length} → ${tar.length - 1}`,
    ]);
  });

  it('refuses to be read before the stream ended', () => {
    expect(() => new ManifestMeter({ tar: false }).measured()).toThrow('before it ended');
  });
});
