/**
 * borg 1.2's machine output. With `--log-json` every stderr line is a JSON object: log
 * messages (errors carry a stable `msgid` such as `PassphraseWrong` or `LockTimeout`) and,
 * with `--progress`, `archive_progress` lines. `create --json` and `list --json` print one
 * JSON document on stdout; `list` times are local and without a zone.
 */
import { UserError } from '../../core/errors.ts';
import { fromSurrogateEscapes } from '../name-text.ts';
import type { Snapshot, TreeEntry } from '../types.ts';
import { parseArchive } from './borg-names.ts';
import { engineListing, type EngineListing } from './listing-lines.ts';
import type { SpawnResult } from './spawn.ts';
import { defaultStallSeconds } from './stall.ts';
import { displayRepository, quoteArg, reasonFrom } from './tags.ts';

export interface BorgLogMessage {
  readonly level: string;
  readonly message: string;
  readonly msgid: string | undefined;
}

export type BorgLogLine =
  | { readonly kind: 'progress'; readonly bytesDone: number }
  | { readonly kind: 'log'; readonly log: BorgLogMessage }
  | { readonly kind: 'other' };

export function parseBorgLogLine(line: string): BorgLogLine {
  const value = parseJson(line);
  if (!isRecord(value)) return { kind: 'other' };
  if (value['type'] === 'archive_progress') {
    const size = value['original_size'];
    return typeof size === 'number' ? { kind: 'progress', bytesDone: size } : { kind: 'other' };
  }
  if (value['type'] === 'log_message' && typeof value['message'] === 'string') {
    return {
      kind: 'log',
      log: {
        level: typeof value['levelname'] === 'string' ? value['levelname'] : 'INFO',
        message: value['message'],
        msgid: typeof value['msgid'] === 'string' ? value['msgid'] : undefined,
      },
    };
  }
  return { kind: 'other' };
}

/** `create --json`: the bytes read and what the repository grew by. */
export function parseCreateResult(
  stdout: string,
): { name: string; bytesProcessed: number; bytesAdded: number | undefined } | undefined {
  const value = parseJson(stdout);
  const archive = isRecord(value) ? value['archive'] : undefined;
  if (!isRecord(archive) || typeof archive['name'] !== 'string') return undefined;
  const stats = isRecord(archive['stats']) ? archive['stats'] : {};
  const original = stats['original_size'];
  const added = stats['deduplicated_size'];
  return {
    name: archive['name'],
    bytesProcessed: typeof original === 'number' ? original : 0,
    bytesAdded: typeof added === 'number' ? added : undefined,
  };
}

/** `list --json --format '{comment}'`: the bot's archives, newest first. */
export function parseArchiveList(stdout: string): Snapshot[] {
  const value = parseJson(stdout);
  const archives = isRecord(value) && Array.isArray(value['archives']) ? value['archives'] : [];
  const snapshots: Snapshot[] = [];
  for (const archive of archives) {
    if (!isRecord(archive)) continue;
    const { name, time, comment } = archive;
    if (typeof name !== 'string' || typeof time !== 'string') continue;
    const parsed = parseArchive(name, typeof comment === 'string' ? comment : '');
    // Local time without a zone; Date reads such a string as local time too. Microseconds
    // are cut to milliseconds, which is what Date keeps.
    const date = new Date(time.slice(0, 23));
    if (parsed === undefined || Number.isNaN(date.getTime())) continue;
    snapshots.push({
      id: name,
      time: date,
      tags: parsed.tags,
      filename: parsed.filename,
      kind: parsed.kind,
    });
  }
  return snapshots.sort((a, b) => b.time.getTime() - a.time.getTime());
}

export interface BorgErrorContext {
  readonly repository: string;
  readonly operation: string;
  readonly secrets: readonly string[];
  /** After how long without progress a backup is stopped (told in the hint). */
  readonly stallSeconds?: number;
}

/**
 * borg 1.2.4 whose `borg serve` went away mid-run (measured with it killed): a warning
 * "read: [Errno 32] Broken pipe" per file, then "Local Exception" with a traceback through
 * borg/remote.py ending in BrokenPipeError; a server that closes the connection is
 * `ConnectionClosed` (borg/remote.py).
 */
function goneAway(errors: readonly BorgLogMessage[]): boolean {
  return errors.some(
    (l) =>
      l.msgid === 'ConnectionClosed' ||
      l.msgid === 'ConnectionClosedWithHint' ||
      (/borg\/remote\.py/.test(l.message) &&
        /BrokenPipeError|ConnectionClosed|ConnectionResetError/.test(l.message)),
  );
}

export function borgBreakLockCommand(repository: string): string {
  return `borg break-lock ${quoteArg(displayRepository(repository))}`;
}

/** The error of a failed borg run, from the msgid of its error messages. */
export function borgError(
  result: SpawnResult,
  logs: readonly BorgLogMessage[],
  context: BorgErrorContext,
): UserError {
  const errors = logs.filter((l) => l.level === 'ERROR' || l.level === 'CRITICAL');
  const ids = new Set(errors.map((l) => l.msgid));
  const repository = displayRepository(context.repository);
  if (result.stalled === true || goneAway(errors)) {
    return new UserError('backup-repo-unreachable', {
      engine: 'borg',
      repository,
      seconds: context.stallSeconds ?? defaultStallSeconds,
    });
  }
  if (ids.has('PassphraseWrong')) {
    return new UserError('backup-repo-wrong-password', { engine: 'borg', repository });
  }
  if (ids.has('Repository.DoesNotExist') || ids.has('Repository.InvalidRepository')) {
    return new UserError('backup-repo-missing', { engine: 'borg', repository });
  }
  if (ids.has('LockTimeout') || ids.has('LockFailed') || ids.has('LockError')) {
    return new UserError('backup-repo-locked', {
      repository,
      holder: 'borg',
      command: borgBreakLockCommand(context.repository),
    });
  }
  if (ids.has('Archive.DoesNotExist')) {
    const name = /Archive (\S+) does not exist/.exec(errors[0]?.message ?? '')?.[1] ?? '';
    return new UserError('backup-snapshot-not-found', { snapshot: name, repository });
  }
  const text = errors.length > 0 ? errors.map((l) => l.message).join('\n') : result.stderr;
  return new UserError('backup-engine-failed', {
    engine: 'borg',
    operation: context.operation,
    code: result.exitCode ?? result.exitSignal ?? 'unknown',
    reason: reasonFrom(text, context.secrets) || 'no message',
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A path as borg lists it, relative: a leading `./` or `/` is not part of the name. */
function relativePath(path: string): string {
  return path.replace(/^(?:\.\/+)+/, '').replace(/^\/+/, '');
}

/**
 * One entry of a file-level archive from the fields borg lists (`borgListing`), its path
 * relative to the volume; undefined for the root `.`. borg 1.2.4 lists an archive made by
 * `create … .` as `.`, `.htaccess`, `.git/config`, `..foo`: only a lone `.` or a leading `./`
 * is not part of the name (a name may start with dots). A surrogate escape, as borg keeps a
 * byte that is not UTF-8 inside (`\udce9`), is one U+FFFD, as the walk and restic give it.
 */
function listedEntry(value: Record<string, unknown>): TreeEntry | undefined {
  const { path, type, size, mode, uid, gid, source } = value;
  if (typeof path !== 'string' || typeof type !== 'string') return undefined;
  const relative = fromSurrogateEscapes(relativePath(path));
  if (relative === '' || relative === '.') return undefined;
  // borg's types are ls's first letter: `-` a file (also `h`, a hard link to an earlier one).
  const kind =
    type === '-' || type === 'h'
      ? 'file'
      : type === 'd'
        ? 'dir'
        : type === 'l'
          ? 'symlink'
          : 'other';
  const perm = typeof mode === 'string' ? modePerm(mode) : undefined;
  const hardlink =
    typeof mode === 'string' && mode.startsWith('h') && typeof source === 'string' && source !== ''
      ? fromSurrogateEscapes(relativePath(source))
      : undefined;
  return {
    path: relative,
    type: kind,
    size: typeof size === 'number' ? size : 0,
    ...(perm === undefined ? {} : { perm }),
    ...(typeof uid === 'number' ? { uid } : {}),
    ...(typeof gid === 'number' ? { gid } : {}),
    ...(hardlink === undefined ? {} : { hardlinkOf: hardlink }),
  };
}

/**
 * `list --format` of a file-level archive: the fields `--json-lines` gave, tab-separated, and
 * the path as Python's `ascii()` of borg's own text (`{bpath!a}`: `'caf\udce9'`), which keeps
 * a byte that is not UTF-8 as its surrogate escape where `--json-lines` (and `{path}`, and
 * `{bpath}` through borg's stdout) write `?`. A real `?` is then told apart from such a byte:
 * a restore of some paths must not take one for the other (restore-paths.ts).
 *
 * A hard link's source has no exact form in borg 1.2.4 (`{source}` always has `?`): it is the
 * earlier path that borg would write so (`borgListing`).
 */
export const listFormat =
  '{type}{TAB}{mode}{TAB}{uid}{TAB}{gid}{TAB}{size}{TAB}{bpath!a}{TAB}{source!a}{NL}';

/**
 * A string as Python's `ascii()` writes it: in `'…'` (or `"…"` when it holds `'` and no
 * `"`), everything but printable ASCII escaped (`\\`, `\'`, `\t`, `\n`, `\r`, `\xe9`,
 * `\udce9`, `\U0001f4a9`). Undefined for anything else.
 */
function fromPythonAscii(text: string): string | undefined {
  const quote = text.charAt(0);
  if (text.length < 2 || (quote !== "'" && quote !== '"') || !text.endsWith(quote)) {
    return undefined;
  }
  const body = text.slice(1, -1);
  if (!/^[\x20-\x7e]*$/.test(body)) return undefined;
  const named: Readonly<Record<string, string>> = { t: '\t', n: '\n', r: '\r' };
  let valid = true;
  const value = body.replace(
    /\\(?:x([0-9a-f]{2})|u([0-9a-f]{4})|U([0-9a-f]{8})|([\\'"tnr]))|\\|'|"/g,
    (all, x?: string, u?: string, big?: string, char?: string) => {
      const hex = x ?? u ?? big;
      if (hex !== undefined) {
        const code = Number.parseInt(hex, 16);
        if (code > 0x10ffff) valid = false;
        return valid ? String.fromCodePoint(code) : '';
      }
      if (char !== undefined) return named[char] ?? char;
      // A lone backslash, or the quote itself unescaped, is not ascii()'s.
      if (all === '\\' || all === quote) valid = false;
      return all;
    },
  );
  return valid ? value : undefined;
}

/** A lone surrogate, as Python's text holds a byte that is not UTF-8 (`\udce9`). */
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * The entries of `list --format <listFormat>`, line by line in borg's order; the root `.` is
 * left out. A non-empty line not of the format is counted, not read: the caller fails rather
 * than give a listing with holes (engine `listTree`).
 */
export function borgListing(): EngineListing {
  // Each path holding surrogate escapes, by the form borg gives a hard link's source (each
  // escape `?`, its remove_surrogates). Names of one such form (`caf\xe9` beside `caf\xe8`
  // or a real `caf?`) cannot be told apart there: the last one listed is taken, which at
  // worst gives that hard link a wrong size in a drill's figures.
  const escaped = new Map<string, string>();
  // Whether the line is of the format (its entry, if any, is taken).
  return engineListing((line, push) => {
    const fields = line.split('\t');
    if (fields.length !== 7) return false;
    const [type = '', mode = '', uid = '', gid = '', size = '', bpath = '', bsource = ''] = fields;
    const path = fromPythonAscii(bpath);
    const source = fromPythonAscii(bsource);
    if (path === undefined || source === undefined) return false;
    if (![uid, gid, size].every((n) => /^\d+$/.test(n))) return false;
    const relative = relativePath(path);
    const shown = relative.replace(loneSurrogate, '?');
    if (shown !== relative) escaped.set(shown, relative);
    const linked = relativePath(source);
    const entry = listedEntry({
      path,
      type,
      mode,
      uid: Number(uid),
      gid: Number(gid),
      size: Number(size),
      source: escaped.get(linked) ?? linked,
    });
    if (entry !== undefined) push(entry);
    return true;
  });
}

/** `ls -l`'s mode string (`drwxr-sr-x`, `-rwsr-xr-T`…) as permission bits with the special ones. */
function modePerm(mode: string): number | undefined {
  if (mode.length !== 10) return undefined;
  const at = (i: number): string => mode.charAt(i);
  let perm = 0;
  for (let i = 1; i <= 9; i++) {
    const c = at(i);
    const special = (i === 3 || i === 6) && (c === 's' || c === 'S');
    const sticky = i === 9 && (c === 't' || c === 'T');
    if (c !== '-' && c !== 'S' && c !== 'T') perm |= 1 << (9 - i);
    if (special) perm |= i === 3 ? 0o4000 : 0o2000;
    if (sticky) perm |= 0o1000;
  }
  return perm;
}

/** Whether borg's warnings (exit code 1) say a file could not be read. */
export function unreadableWarning(logs: readonly BorgLogMessage[]): string | undefined {
  return logs.find((l) => l.level === 'WARNING' && /\[Errno \d+\]/.test(l.message))?.message;
}
