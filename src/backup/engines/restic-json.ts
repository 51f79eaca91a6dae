/**
 * restic 0.14's JSON output. `backup --json` prints NDJSON: `status` lines (fields that are
 * zero are left out; totals grow while scanning; with --stdin there is no total at all and
 * `seconds_remaining` is a meaningless huge number), `error` lines, and one `summary` line
 * with the short snapshot id. `snapshots --json` and `forget --json` print one array; with
 * `--prune`, prune's plain text follows it (docs/FIELD-NOTES.md "restic").
 */
import type { BackupProgress, Snapshot, SnapshotTags, TreeEntry } from '../types.ts';
import { engineListing, type EngineListing } from './listing-lines.ts';
import { tagPrefixes } from './tags.ts';

export interface BackupSummary {
  readonly kind: 'summary';
  readonly shortId: string;
  readonly bytesProcessed: number;
  readonly bytesAdded: number | undefined;
  /** Files new or changed since the parent snapshot (a file-level backup). */
  readonly filesChanged: number | undefined;
}

export type BackupLine =
  | { readonly kind: 'status'; readonly progress: BackupProgress }
  | BackupSummary
  | { readonly kind: 'error'; readonly message: string }
  | { readonly kind: 'other' };

/** An ETA beyond this many seconds (a year) is restic not knowing, not a real estimate. */
const maxEtaSeconds = 365 * 24 * 3600;

export function parseBackupLine(line: string): BackupLine {
  const value = parseJson(line);
  if (!isRecord(value)) return { kind: 'other' };
  switch (value['message_type']) {
    case 'status': {
      const total = positive(value['total_bytes']);
      const percent = num(value['percent_done']);
      const eta = num(value['seconds_remaining']);
      return {
        kind: 'status',
        progress: {
          bytesDone: num(value['bytes_done']) ?? 0,
          bytesTotal: total,
          fraction:
            total !== undefined && percent !== undefined
              ? Math.min(1, Math.max(0, percent))
              : undefined,
          etaSeconds:
            total !== undefined && eta !== undefined && eta >= 0 && eta < maxEtaSeconds
              ? Math.round(eta)
              : undefined,
        },
      };
    }
    case 'summary': {
      const shortId = value['snapshot_id'];
      if (typeof shortId !== 'string') return { kind: 'other' };
      return {
        kind: 'summary',
        shortId,
        bytesProcessed: num(value['total_bytes_processed']) ?? 0,
        bytesAdded: num(value['data_added']),
        filesChanged:
          value['files_new'] === undefined && value['files_changed'] === undefined
            ? undefined
            : (num(value['files_new']) ?? 0) + (num(value['files_changed']) ?? 0),
      };
    }
    case 'error': {
      const error = value['error'];
      const item = typeof value['item'] === 'string' ? value['item'] : '';
      const message =
        isRecord(error) && typeof error['message'] === 'string'
          ? error['message']
          : `${typeof value['during'] === 'string' ? value['during'] : 'error'} ${item}`.trim();
      return { kind: 'error', message };
    }
    default:
      return { kind: 'other' };
  }
}

/** A snapshot as restic lists it, or undefined when it is not one the bot made. */
export function toSnapshot(value: unknown): Snapshot | undefined {
  if (!isRecord(value)) return undefined;
  const { id, time, paths, tags } = value;
  if (typeof id !== 'string' || typeof time !== 'string') return undefined;
  const rawTags = Array.isArray(tags) ? tags : [];
  const parsedTags = parseTags(rawTags);
  if (parsedTags === undefined) return undefined;
  const kind = rawTags.includes(`${tagPrefixes.kind}files`) ? 'files' : 'stream';
  const firstPath = Array.isArray(paths) && typeof paths[0] === 'string' ? paths[0] : '';
  const date = new Date(time);
  if (Number.isNaN(date.getTime())) return undefined;
  return {
    id,
    time: date,
    tags: parsedTags,
    // A file-level snapshot's path is the directory it was made of: no stream in it.
    filename: kind === 'files' ? '' : firstPath.replace(/^\/+/, ''),
    kind,
  };
}

/** `snapshots --json`: the bot's snapshots, newest first. */
export function parseSnapshots(stdout: string): Snapshot[] {
  const value = parseJson(firstJsonLine(stdout, '['));
  const list = Array.isArray(value) ? value : [];
  return list
    .map(toSnapshot)
    .filter((s): s is Snapshot => s !== undefined)
    .sort((a, b) => b.time.getTime() - a.time.getTime());
}

/** `forget --json`: the ids kept and removed, over every group. */
export function parseForget(stdout: string): { kept: string[]; removed: string[] } {
  const value = parseJson(firstJsonLine(stdout, '['));
  const kept: string[] = [];
  const removed: string[] = [];
  for (const group of Array.isArray(value) ? value : []) {
    if (!isRecord(group)) continue;
    kept.push(...ids(group['keep']));
    removed.push(...ids(group['remove']));
  }
  return { kept, removed };
}

/** The `--tag` values of a snapshot (each one tag: restic splits a value at commas). */
export function tagArgs(tags: SnapshotTags): string[] {
  return [
    `${tagPrefixes.service}${tags.service}`,
    `${tagPrefixes.source}${tags.source}`,
    `${tagPrefixes.job}${tags.job}`,
    ...tags.extra,
  ];
}

function parseTags(raw: readonly unknown[]): SnapshotTags | undefined {
  let service: string | undefined;
  let source: string | undefined;
  let job: string | undefined;
  const extra: string[] = [];
  for (const tag of raw) {
    if (typeof tag !== 'string') continue;
    if (tag.startsWith(tagPrefixes.service)) service = tag.slice(tagPrefixes.service.length);
    else if (tag.startsWith(tagPrefixes.source)) source = tag.slice(tagPrefixes.source.length);
    else if (tag.startsWith(tagPrefixes.job)) job = tag.slice(tagPrefixes.job.length);
    else if (!tag.startsWith(tagPrefixes.kind)) extra.push(tag);
  }
  if (service === undefined || source === undefined || job === undefined) return undefined;
  return { service, source, job, extra };
}

function ids(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((s: unknown) =>
    isRecord(s) && typeof s['id'] === 'string' ? [s['id']] : [],
  );
}

/** The first line that starts a JSON value: restic may print warnings or text around it. */
function firstJsonLine(stdout: string, opener: string): string {
  const start = stdout.indexOf(opener);
  if (start === -1) return '';
  const end = stdout.indexOf('\n', start);
  return end === -1 ? stdout.slice(start) : stdout.slice(start, end);
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

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function positive(value: unknown): number | undefined {
  const n = num(value);
  return n !== undefined && n > 0 ? n : undefined;
}

/** One line of `ls --json`: an entry, a line that is no entry, or one that cannot be read. */
export type LsLine =
  | { readonly kind: 'entry'; readonly entry: TreeEntry }
  | { readonly kind: 'other' }
  | { readonly kind: 'unreadable' };

/**
 * `ls --json <id>` (restic 0.14): the snapshot's own line (`"struct_type":"snapshot"`), then
 * one `node` line per entry, with an absolute path inside the snapshot (`/sub/b`); later
 * versions add `message_type` to both. A line that is neither JSON of such a kind nor a node
 * with a path, a type, a file's size and numbers where numbers belong cannot be read: the
 * listing would lack that entry (`resticListing`). A byte of a name that is not UTF-8 arrives
 * as one U+FFFD (Go's encoding/json), the text the walk gives it too (name-text.ts): the path
 * is taken as it is.
 */
export function readLsLine(line: string): LsLine {
  const value = parseJson(line);
  if (!isRecord(value)) return { kind: 'unreadable' };
  const structType = value['struct_type'];
  const messageType = value['message_type'];
  if (structType !== 'node' && messageType !== 'node') {
    const known =
      structType === 'snapshot' || (structType === undefined && typeof messageType === 'string');
    return known ? { kind: 'other' } : { kind: 'unreadable' };
  }
  const { path, type, size, mode, uid, gid } = value;
  if (typeof path !== 'string' || typeof type !== 'string') return { kind: 'unreadable' };
  // restic 0.14 writes a file's size always (0 too), and no size for anything else.
  if (type === 'file' ? !count(size) : size !== undefined && !count(size)) {
    return { kind: 'unreadable' };
  }
  if (![mode, uid, gid].every((n) => n === undefined || count(n))) return { kind: 'unreadable' };
  const relative = path.replace(/^\/+/, '');
  if (relative === '') return { kind: 'other' };
  return {
    kind: 'entry',
    entry: {
      path: relative,
      type: type === 'file' || type === 'dir' || type === 'symlink' ? type : 'other',
      size: num(size) ?? 0,
      ...(mode === undefined ? {} : { perm: goPerm(num(mode) ?? 0) }),
      ...(uid === undefined ? {} : { uid: num(uid) ?? 0 }),
      ...(gid === undefined ? {} : { gid: num(gid) ?? 0 }),
    },
  };
}

/** The entry of one `ls --json` line, or undefined for any line that holds none. */
export function parseLsLine(line: string): TreeEntry | undefined {
  const read = readLsLine(line);
  return read.kind === 'entry' ? read.entry : undefined;
}

/**
 * The entries of `ls --json`, line by line in restic's order. A non-empty line that cannot be
 * read is counted: the caller fails rather than give a listing with holes (engine `listTree`).
 */
export function resticListing(): EngineListing {
  return engineListing((line, push) => {
    const read = readLsLine(line);
    if (read.kind === 'entry') push(read.entry);
    return read.kind !== 'unreadable';
  });
}

/** A whole number of zero or more, as restic writes sizes, modes and ids. */
function count(value: unknown): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * Go's os.FileMode, as restic lists it: permission bits in the low 9, setuid, setgid and
 * sticky as bits 23, 22 and 20 (Go's io/fs ModeSetuid, ModeSetgid, ModeSticky).
 */
function goPerm(mode: number): number {
  const bit = (n: number): boolean => Math.floor(mode / 2 ** n) % 2 === 1;
  return (mode % 0o1000) + (bit(23) ? 0o4000 : 0) + (bit(22) ? 0o2000 : 0) + (bit(20) ? 0o1000 : 0);
}
