/**
 * What a drill compares a restored claim with, for a snapshot that holds the root
 * `lost+found` (made before claim backups left it out): the snapshot's listing and samples
 * without it, at the root only, and only for a site that leaves it out (a claim). Any other
 * site keeps the listing whole. The claim-old-lost-found test proves it on the fake cluster.
 */
import { expect, it } from 'vitest';
import { entrySetOf, listedExpectation } from '../../../src/backup/snapshot-listing.ts';
import type { Snapshot, TreeEntry } from '../../../src/backup/types.ts';

const snapshot: Snapshot = {
  id: 'abc',
  time: new Date(0),
  tags: { service: 'app', source: 'volume:data', job: 'j', extra: [] },
  filename: '',
  kind: 'files',
};

const file = (path: string, size: number): TreeEntry => ({
  path,
  type: 'file',
  size,
  perm: 0o644,
  uid: 1000,
  gid: 1000,
});
const dir = (path: string): TreeEntry => ({
  path,
  type: 'dir',
  size: 0,
  perm: 0o755,
  uid: 1000,
  gid: 1000,
});

const app = [dir('a'), dir('a/lost+found'), file('a/lost+found/kept', 5), file('f.txt', 2)];
const lostFound = [
  { ...dir('lost+found'), perm: 0o700, uid: 0, gid: 0 },
  { ...file('lost+found/#12', 7), perm: 0o600, uid: 0, gid: 0 },
];
/** Not the file system's folder: a name that only starts like it. */
const lookalike = [dir('lost+found.old'), file('lost+found.old/x', 3)];

const engine = (entries: readonly TreeEntry[]) => ({
  listTree: () => Promise.resolve([...entries]),
});

const samples = [
  { path: 'f.txt', size: 2, sha256: 'f'.repeat(64) },
  { path: 'lost+found/#12', size: 7, sha256: '1'.repeat(64) },
];

it('a claim: the root lost+found and what is in it are left out, nothing else', async () => {
  const listed = await listedExpectation(
    engine([...lostFound, ...lookalike, ...app]),
    snapshot,
    samples,
    undefined,
    { omitRootLostFound: true },
  );
  const without = entrySetOf([...lookalike, ...app]);
  expect({ files: listed.files, bytes: listed.bytes, sha256: listed.sha256 }).toEqual(without);
  expect(listed.files).toBe(3);
  expect(listed.samples).toEqual([samples[0]]);
});

it('any other site: the listing stays whole', async () => {
  const listed = await listedExpectation(engine([...lostFound, ...app]), snapshot, samples);
  expect({ files: listed.files, bytes: listed.bytes, sha256: listed.sha256 }).toEqual(
    entrySetOf([...lostFound, ...app]),
  );
  expect(listed.files).toBe(3);
  expect(listed.bytes).toBe(14);
  expect(listed.samples).toEqual(samples);
  const off = await listedExpectation(
    engine([...lostFound, ...app]),
    snapshot,
    samples,
    undefined,
    {
      omitRootLostFound: false,
    },
  );
  expect(off).toEqual(listed);
});
