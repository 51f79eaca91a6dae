/**
 * A `--path` that matches a name which is not UTF-8 is refused before anything is touched:
 * the engines are given a path as text, and such a name has none they would match by its
 * bytes (restic's `--include` takes U+FFFD as that character; borg's `pp:` takes the text as
 * those bytes). A real U+FFFD reads the same in the listing: the message says "may hold".
 */
import { describe, expect, it } from 'vitest';
import { matchPaths } from '../../src/backup/restore-paths.ts';
import type { TreeEntry } from '../../src/backup/types.ts';
import { UserError } from '../../src/core/errors.ts';

const R = '\uFFFD';

const entries: TreeEntry[] = [
  { path: `caf${R}`, type: 'file', size: 6 },
  { path: 'caf?', type: 'file', size: 8 },
  { path: 'cafe', type: 'file', size: 4 },
  { path: 'p', type: 'dir', size: 0 },
  { path: `p/caf${R}`, type: 'file', size: 1 },
  { path: 'p/note.txt', type: 'file', size: 2 },
  { path: `dir${R}`, type: 'dir', size: 0 },
  { path: `dir${R}/inner.txt`, type: 'file', size: 3 },
  { path: 'ok', type: 'dir', size: 0 },
  { path: `ok/sub${R}`, type: 'dir', size: 0 },
  { path: `ok/sub${R}/deep.txt`, type: 'file', size: 3 },
];

const notFound = (path: string): UserError =>
  new UserError('backup-path-not-found', { path, snapshot: 's', service: 'moodle' });

function refusal(requested: string[]): UserError | undefined {
  try {
    matchPaths(entries, requested, notFound);
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  return undefined;
}

describe('matchPaths: names that are not UTF-8', () => {
  it('refuses a glob or a path that matches such a name, naming it as shown', () => {
    for (const requested of [
      ['caf*'],
      ['caf?'],
      ['p/*'],
      [`caf${R}`],
      ['**/inner.txt'],
      ['ok/*'],
      ['cafe', 'p/*'],
    ]) {
      expect(refusal(requested)?.code, requested.join(' ')).toBe('backup-path-not-utf8');
    }
    const error = refusal(['p/*']);
    // As a code span, the U+FFFD escaped (printable-name.ts), never as the bare character.
    expect(error?.params['path']).toBe('`p/caf\\ufffd`');
    expect(error?.text('en')).toContain('`p/caf\\ufffd`');
    expect(error?.text('en')).not.toContain(R);
    expect(error?.text('ru')).toContain('`p/caf\\ufffd`');
    expect(error?.hint('en')).toMatch(/folder/);
    expect(error?.hint('ru')).toMatch(/папку/);
  });

  it('says only that such a name may hold bytes that are not UTF-8: it may be a real U+FFFD', () => {
    // The listing gives U+FFFD for both (name-text.ts): the message must hold for either.
    const error = refusal([`caf${R}`]);
    expect(error?.text('en')).toContain('may hold bytes that are not UTF-8');
    expect(error?.text('en')).toContain('U+FFFD itself');
    expect(error?.text('en')).not.toMatch(/\bholds bytes\b/);
    expect(error?.text('ru')).toContain('могут быть байты не в UTF-8');
    expect(error?.text('ru')).toContain('сам символ U+FFFD');
  });

  it('a folder with a valid name that holds such names is matched as before', () => {
    expect(matchPaths(entries, ['p'], notFound)).toEqual(['p']);
    expect(matchPaths(entries, ['ok'], notFound)).toEqual(['ok']);
    // The glob's hits inside a matched folder are brought by the folder: nothing to refuse.
    expect(matchPaths(entries, ['p', 'p/*'], notFound)).toEqual(['p']);
    expect(matchPaths(entries, ['ok', 'ok/**'], notFound)).toEqual(['ok']);
  });

  it('a real `?` in a name is a name like any other', () => {
    expect(matchPaths(entries, ['caf[?]'], notFound)).toEqual(['caf?']);
    expect(matchPaths(entries, ['cafe', 'p/note.txt'], notFound)).toEqual(['cafe', 'p/note.txt']);
  });
});
