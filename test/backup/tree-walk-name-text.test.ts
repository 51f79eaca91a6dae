/**
 * The text the walk (src/backup/tree-walk.ts) gives a name: one U+FFFD per byte that is not
 * part of a valid UTF-8 sequence, as restic lists it, so that a drill's expectation from the
 * engine's listing matches the restored tree; and for valid UTF-8 exactly the text it always
 * had, so that the list digests recorded in existing manifests still hold.
 */
import { createHash } from 'node:crypto';
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { entrySetOf } from '../../src/backup/snapshot-listing.ts';
import { measureTree } from '../../src/backup/tree-walk.ts';
import type { TreeEntry } from '../../src/backup/types.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function root(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pes-walk-text-'));
  dirs.push(dir);
  return dir;
}

const R = '\uFFFD';
const at = (dir: string, ...parts: (string | number[])[]): Buffer =>
  Buffer.concat([
    Buffer.from(`${dir}/`),
    ...parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))),
  ]);

/** An entry as an engine lists it, with the owner and mode the file really has. */
function entry(raw: Buffer, path: string): TreeEntry {
  const st = lstatSync(raw);
  return {
    path,
    type: st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'file',
    size: st.isFile() ? st.size : 0,
    perm: st.mode & 0o7777,
    uid: st.uid,
    gid: st.gid,
  };
}

describe('the text of a name in the walk', () => {
  it('each byte that is not UTF-8 is one U+FFFD: the walk equals such a listing', async () => {
    const dir = root();
    writeFileSync(at(dir, 'caf', [0xe9]), 'latin-1');
    writeFileSync(at(dir, 'a', [0xe2, 0x80], 'b'), 'cut short');
    writeFileSync(at(dir, 'é'), 'valid');
    mkdirSync(at(dir, 'd', [0xf0, 0x9f, 0x98]));
    writeFileSync(at(dir, 'd', [0xf0, 0x9f, 0x98], '/inner'), 'inside');
    const listing = [
      entry(at(dir, 'caf', [0xe9]), `caf${R}`),
      entry(at(dir, 'a', [0xe2, 0x80], 'b'), `a${R}${R}b`),
      entry(at(dir, 'é'), 'é'),
      entry(at(dir, 'd', [0xf0, 0x9f, 0x98]), `d${R}${R}${R}`),
      entry(at(dir, 'd', [0xf0, 0x9f, 0x98], '/inner'), `d${R}${R}${R}/inner`),
    ];
    const { figures } = await measureTree(dir);
    expect(figures.entriesDigest).toBe(entrySetOf(listing).sha256);
    expect(figures.files).toBe(4);
  });

  it('valid UTF-8 names keep the list digest they had (existing manifests)', async () => {
    const dir = root();
    const names = ['plain.txt', 'é', '日本語', '💩', '\uFEFFbom', `r${R}`, 'q?', 'Zz', 'a b'];
    for (const name of names) writeFileSync(join(dir, name), name);
    mkdirSync(join(dir, 'folder é'));
    writeFileSync(join(dir, 'folder é', '€'), 'euro');
    symlinkSync('日本語', join(dir, 'link 💩'));
    // The list digest as the walk has always written it: names decoded by Buffer, sorted as
    // strings, depth first; one line per entry (tree-walk.ts TreeDigest).
    const hash = createHash('sha256');
    const visit = (relative: string): void => {
      const full = relative === '' ? dir : join(dir, relative);
      const children = lstatSync(full).isDirectory()
        ? readdirSync(full, { encoding: 'buffer' })
            .map((raw) => raw.toString('utf8'))
            .sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))
        : [];
      for (const name of children) {
        const path = relative === '' ? name : `${relative}/${name}`;
        const st = lstatSync(join(dir, path));
        const mode = (st.mode & 0o7777).toString(8);
        const owner = `${st.uid}:${st.gid}`;
        if (st.isDirectory()) {
          hash.update(`d\0${path}\0${mode}\0${owner}\n`);
          visit(path);
        } else if (st.isSymbolicLink()) {
          const target = readlinkSync(join(dir, path), { encoding: 'buffer' });
          hash.update(`l\0${path}\0${owner}\0${target.toString('utf8')}\n`);
        } else {
          hash.update(`f\0${path}\0${mode}\0${owner}\0${st.size}\0${st.nlink}\n`);
        }
      }
    };
    visit('');
    const { figures } = await measureTree(dir);
    expect(figures.listDigest).toBe(hash.digest('hex'));
  });
});
