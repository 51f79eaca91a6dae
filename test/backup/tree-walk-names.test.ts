/**
 * The bot's own walk (src/backup/tree-walk.ts) over names that are not UTF-8: a file system
 * name is bytes, and an old archive's Latin-1 name (`caf\xe9`) decodes to text with U+FFFD
 * in it, which names no file. The walk must reach such files by their bytes, count them, and
 * never choose one as a sample (it could not be opened again by its text).
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compareTree, measureTree } from '../../src/backup/tree-walk.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tree(): string {
  const root = mkdtempSync(join(tmpdir(), 'pes-walk-names-'));
  dirs.push(root);
  const bytes = (...parts: (string | Buffer)[]): Buffer =>
    Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
  const latin1 = Buffer.from([0x63, 0x61, 0x66, 0xe9]); // "café" in Latin-1
  mkdirSync(bytes(root, '/', latin1));
  writeFileSync(bytes(root, '/', latin1, '/', latin1, '.txt'), 'latin-1 name in a latin-1 folder');
  writeFileSync(bytes(root, '/plain.txt'), 'plain');
  symlinkSync(bytes('target-', latin1), bytes(root, '/link'));
  const past = new Date(Date.now() - 3_600_000);
  utimesSync(bytes(root, '/', latin1, '/', latin1, '.txt'), past, past);
  utimesSync(join(root, 'plain.txt'), past, past);
  return root;
}

describe('names that are not UTF-8', () => {
  it('are walked by their bytes: counted, digested the same each time, never a sample', async () => {
    const root = tree();
    const samplesBefore = new Date();
    const measured = await measureTree(root, { samplesBefore });
    expect(measured.figures.files).toBe(2);
    expect(measured.figures.bytes).toBe('latin-1 name in a latin-1 folder'.length + 'plain'.length);
    expect(measured.samples.map((s) => s.path)).toEqual(['plain.txt']);
    const again = await measureTree(root, { samplesBefore });
    expect(again.figures).toEqual(measured.figures);
    const compared = await compareTree(root, {
      files: measured.figures.files,
      bytes: measured.figures.bytes,
      sha256: measured.figures.listDigest,
      samples: measured.samples,
    });
    expect(compared.problems).toEqual([]);
  });

  it('a change to such a file is still seen', async () => {
    const root = tree();
    const before = await measureTree(root);
    const latin1 = Buffer.from([0x63, 0x61, 0x66, 0xe9]);
    writeFileSync(
      Buffer.concat([
        Buffer.from(`${root}/`),
        latin1,
        Buffer.from('/'),
        latin1,
        Buffer.from('.txt'),
      ]),
      'longer content than before, so the size differs',
    );
    const after = await measureTree(root);
    expect(after.figures.bytes).not.toBe(before.figures.bytes);
    expect(after.figures.listDigest).not.toBe(before.figures.listDigest);
  });
});
