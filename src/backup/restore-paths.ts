/**
 * The paths a person names for a single-path restore (`restore moodle <id> --path …`) or a
 * listing (`backup files`), checked and matched against what the snapshot holds before
 * anything is touched. A path is relative to the volume; a leading `/` means the volume's
 * root (the snapshot's root), so `/filedir/2a` and `filedir/2a` are the same. No `..`, no
 * `.`: a path names something inside the snapshot or nothing. `*`, `?` and `[…]` are globs
 * within one path segment, `**` any number of segments; a glob must match something.
 */
import { UserError } from '../core/errors.ts';
import { codeName } from './printable-name.ts';
import type { TreeEntry } from './types.ts';

const maxPathLength = 4096;

/** The path as the snapshot names it: relative, `/`-separated, without `.` or `..`. */
export function normalizePath(raw: string): string {
  const invalid = (reason: string): UserError =>
    new UserError('backup-path-invalid', { path: codeName(raw, 60), reason });
  if (raw.length > maxPathLength) throw invalid(`longer than ${maxPathLength} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(raw)) throw invalid('control characters');
  const segments = raw.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '..')) throw invalid('no `..` in a path inside a snapshot');
  const kept = segments.filter((s) => s !== '.');
  if (kept.length === 0) throw invalid('it names the whole volume: leave --path out for that');
  return kept.join('/');
}

function isGlob(path: string): boolean {
  return /[*?[]/.test(path);
}

/**
 * `[…]` as a regular expression class: `!` first negates, a `]` first is a character (the
 * search for the closing one starts after it), `/` never matches. A class JavaScript refuses, such as the range
 * `[z-a]`, is the person's mistake, said in one line rather than thrown as a SyntaxError.
 */
function bracketClass(glob: string, bracket: string): string {
  const body = bracket
    .slice(1, -1)
    .replace(/^!/, '^')
    .replace(/\\/g, '\\\\')
    .replace(/^(\^?)\]/, '$1\\]');
  const cls = `[${body}]`;
  try {
    new RegExp(cls, 'u');
  } catch {
    throw new UserError('backup-path-glob-invalid', {
      path: codeName(glob, 60),
      bracket: codeName(bracket, 60),
    });
  }
  // Within one segment, as `*` and `?`: a set never matches the `/` between folders.
  return `(?!/)${cls}`;
}

/** A glob as a regular expression over whole paths. */
export function globPattern(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] ?? '';
    if (c === '*') {
      if (glob[i + 1] === '*') {
        // `**/` is any number of folders (none too); `**` at the end, anything.
        if (glob[i + 2] === '/') {
          out += '(?:.*/)?';
          i += 2;
        } else {
          out += '.*';
          i += 1;
        }
      } else {
        out += '[^/]*';
      }
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '[') {
      // A `]` right after `[` or `[!` is a character, not the end.
      const end = glob.indexOf(']', i + (glob[i + 1] === '!' ? 3 : 2));
      if (end === -1) {
        out += '\\[';
      } else {
        out += bracketClass(glob, glob.slice(i, end + 1));
        i = end;
      }
    } else {
      out += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
    }
  }
  return new RegExp(`^${out}$`, 'su');
}

/**
 * A name the engine listed with U+FFFD: a byte that is not UTF-8 (restic writes each such
 * byte so, and borg's exact listing reads so, name-text.ts), or, rarely, that character.
 */
const notUtf8 = '\uFFFD';

/**
 * Each requested path, checked against the snapshot's entries: a plain path must be one of
 * them, a glob must match at least one. Returns the paths to restore, a path inside another
 * one left out (the folder brings it).
 *
 * A path to restore whose name is not UTF-8 is refused (`backup-path-not-utf8`) before
 * anything is removed: the engines are given paths as text, and such a name has none they
 * would match by its bytes. restic's `--include` takes U+FFFD as that character (it would
 * restore nothing and succeed), borg's `pp:` as those bytes. The folder that holds it, or
 * the whole volume, restores it by its bytes. A name holding a real U+FFFD is refused too:
 * the listing reads both the same (name-text.ts), and the message says "may hold".
 */
export function matchPaths(
  entries: readonly TreeEntry[],
  requested: readonly string[],
  notFound: (path: string) => UserError,
): string[] {
  const all = new Set(entries.map((e) => e.path));
  const matched = new Set<string>();
  for (const raw of requested) {
    const path = normalizePath(raw);
    if (isGlob(path)) {
      const pattern = globPattern(path);
      const hits = entries.filter((e) => pattern.test(e.path)).map((e) => e.path);
      if (hits.length === 0) throw notFound(raw);
      for (const hit of hits) matched.add(hit);
    } else {
      if (!all.has(path)) throw notFound(raw);
      matched.add(path);
    }
  }
  const sorted = [...matched].sort();
  const paths = sorted.filter((p) => !sorted.some((q) => q !== p && p.startsWith(`${q}/`)));
  const unnamed = paths.find((p) => p.includes(notUtf8));
  if (unnamed !== undefined) {
    throw new UserError('backup-path-not-utf8', { path: codeName(unnamed) });
  }
  return paths;
}

/** The entries at or under `under` (all when undefined), for `backup files`. */
export function entriesUnder(
  entries: readonly TreeEntry[],
  under: string | undefined,
  notFound: (path: string) => UserError,
): TreeEntry[] {
  if (under === undefined) return [...entries];
  const path = normalizePath(under);
  if (isGlob(path)) {
    const pattern = globPattern(path);
    const hits = entries.filter((e) => pattern.test(e.path));
    if (hits.length === 0) throw notFound(under);
    return hits;
  }
  const hits = entries.filter((e) => e.path === path || e.path.startsWith(`${path}/`));
  if (hits.length === 0) throw notFound(under);
  return hits;
}
