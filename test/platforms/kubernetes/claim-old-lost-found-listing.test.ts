/**
 * What a drill compares a restored claim with, for a snapshot that holds the root
 * `lost+found` (made before claim backups left it out): the snapshot's listing and samples
 * without it, at the root only, and only for a site that leaves it out (a claim). Any other
 * site keeps the listing whole. A whole restore in a claim pod leaves it out too. The
 * claim-old-lost-found tests prove both on the fake cluster.
 */
import { describe, expect, it } from 'vitest';
import { entrySetOf, listedExpectation } from '../../../src/backup/snapshot-listing.ts';
import type { Snapshot, TreeEntry } from '../../../src/backup/types.ts';
import type { EngineCommand } from '../../../src/backup/volume-access.ts';
import { excludingLostFound } from '../../../src/platforms/kubernetes/claim-site.ts';

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

describe('a claim pod’s engine commands', () => {
  const command = (program: 'restic' | 'borg', args: string[]): EngineCommand => ({
    program,
    binary: program,
    args,
    env: {},
    password: 'secret',
    passwordOnStdin: {},
  });

  it('a whole restore leaves the root lost+found out', () => {
    expect(
      excludingLostFound(command('restic', ['restore', 'abc', '--target', '/data'])).args,
    ).toEqual(['restore', '--exclude', '/lost+found', 'abc', '--target', '/data']);
    expect(excludingLostFound(command('borg', ['extract', '--numeric-ids', '::a1'])).args).toEqual([
      'extract',
      '--exclude',
      'pp:lost+found',
      '--numeric-ids',
      '::a1',
    ]);
  });

  it('a restore of chosen paths goes as it is (restic refuses an exclude beside an include)', () => {
    const restic = ['restore', 'abc', '--target', '/data', '--include', '/lost+found/#12'];
    expect(excludingLostFound(command('restic', restic)).args).toEqual(restic);
    const borg = ['extract', '--numeric-ids', '::a1', 'pp:lost+found/#12'];
    expect(excludingLostFound(command('borg', borg)).args).toEqual(borg);
  });
});
