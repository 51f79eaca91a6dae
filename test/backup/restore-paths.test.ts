/** The paths of a single-path restore and of `backup files`: checked and matched first. */
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.ts';
import {
  entriesUnder,
  globPattern,
  matchPaths,
  normalizePath,
} from '../../src/backup/restore-paths.ts';
import type { TreeEntry } from '../../src/backup/types.ts';

const entries: TreeEntry[] = [
  { path: 'filedir', type: 'dir', size: 0 },
  { path: 'filedir/2a', type: 'dir', size: 0 },
  { path: 'filedir/2a/2a9f', type: 'file', size: 10 },
  { path: 'filedir/2b', type: 'dir', size: 0 },
  { path: 'filedir/2b/2b01', type: 'file', size: 5 },
  { path: 'config.php', type: 'file', size: 3 },
  { path: 'a[1].txt', type: 'file', size: 1 },
];

const notFound = (path: string): UserError =>
  new UserError('backup-path-not-found', { path, snapshot: 's', service: 'moodle' });

function code(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return error instanceof UserError ? error.code : String(error);
  }
  return undefined;
}

describe('normalizePath', () => {
  it('takes a leading / as the volume root, drops ./ and trailing /', () => {
    expect(normalizePath('/filedir/2a/')).toBe('filedir/2a');
    expect(normalizePath('./config.php')).toBe('config.php');
  });

  it('refuses .., the whole volume, control characters, and very long paths', () => {
    expect(code(() => normalizePath('filedir/../../etc'))).toBe('backup-path-invalid');
    expect(code(() => normalizePath('..'))).toBe('backup-path-invalid');
    expect(code(() => normalizePath('/'))).toBe('backup-path-invalid');
    expect(code(() => normalizePath('.'))).toBe('backup-path-invalid');
    expect(code(() => normalizePath('a\u0000b'))).toBe('backup-path-invalid');
    expect(code(() => normalizePath('a'.repeat(5000)))).toBe('backup-path-invalid');
  });
});

describe('matchPaths', () => {
  it('a plain path must be in the snapshot; one inside a matched folder is left to the folder', () => {
    expect(matchPaths(entries, ['filedir/2a', 'filedir/2a/2a9f', '/config.php'], notFound)).toEqual(
      ['config.php', 'filedir/2a'],
    );
  });

  it('a path that is not in the snapshot, or absolute outside it, is refused', () => {
    expect(code(() => matchPaths(entries, ['filedir/2c'], notFound))).toBe('backup-path-not-found');
    expect(code(() => matchPaths(entries, ['/etc/passwd'], notFound))).toBe(
      'backup-path-not-found',
    );
    expect(
      code(() => matchPaths(entries, ['/var/lib/docker/volumes/x/_data/config.php'], notFound)),
    ).toBe('backup-path-not-found');
  });

  it('globs: * within a segment, ** across, a glob matching nothing is refused', () => {
    expect(matchPaths(entries, ['filedir/*/2*'], notFound)).toEqual([
      'filedir/2a/2a9f',
      'filedir/2b/2b01',
    ]);
    expect(matchPaths(entries, ['**/2b01'], notFound)).toEqual(['filedir/2b/2b01']);
    expect(matchPaths(entries, ['*.php'], notFound)).toEqual(['config.php']);
    expect(code(() => matchPaths(entries, ['*.zip'], notFound))).toBe('backup-path-not-found');
    expect(code(() => matchPaths(entries, ['filedir/*/x?'], notFound))).toBe(
      'backup-path-not-found',
    );
  });

  it('an invalid […] is a user error naming the bracket, for a restore and a listing', () => {
    for (const glob of ['[z-a]', 'filedir/[9-0]*', '**/x[b-a]']) {
      expect(code(() => matchPaths(entries, [glob], notFound))).toBe('backup-path-glob-invalid');
      expect(code(() => entriesUnder(entries, glob, notFound))).toBe('backup-path-glob-invalid');
    }
    let refused: unknown;
    try {
      globPattern('[z-a]');
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(UserError);
    expect((refused as UserError).params).toMatchObject({ path: '`[z-a]`', bracket: '`[z-a]`' });
    expect((refused as UserError).text('en')).not.toContain('\n');
  });

  it('a ] right after [ or [! is a character of the set; a set never matches /', () => {
    expect(globPattern('x[]a]').test('x]')).toBe(true);
    expect(globPattern('x[!]a]').test('xb')).toBe(true);
    expect(globPattern('x[!]a]').test('x]')).toBe(false);
    expect(globPattern('x[!]a]').test('x/')).toBe(false);
    expect(globPattern('filedir[/]2a').test('filedir/2a')).toBe(false);
  });

  it('* never crosses a folder', () => {
    expect(globPattern('filedir/*').test('filedir/2a/2a9f')).toBe(false);
    expect(globPattern('filedir/**').test('filedir/2a/2a9f')).toBe(true);
  });
});

describe('entriesUnder', () => {
  it('a folder lists itself and everything under it; nothing there is refused', () => {
    expect(entriesUnder(entries, 'filedir/2b', notFound).map((e) => e.path)).toEqual([
      'filedir/2b',
      'filedir/2b/2b01',
    ]);
    expect(entriesUnder(entries, undefined, notFound)).toHaveLength(entries.length);
    expect(code(() => entriesUnder(entries, 'nothing', notFound))).toBe('backup-path-not-found');
  });
});
