/**
 * borg has no tags: service, job, time and source are encoded in the archive name, the file
 * name and the free tags in its comment (`pes file=moodledata.tar tags=safety,before-upgrade`). `<service>_<UTC time>_<job>_<kind>:<name>`, e.g.
 * `moodle_20250301T020000Z_42_volume:moodledata`. Service and job hold no `_` and the source
 * exactly one `:` (see tags.ts), so a name reads back unambiguously, and the glob
 * `<service>_*_<source>` matches the archives of exactly one service and source.
 */
import type { SnapshotKind } from '../../core/backup.ts';
import type { SnapshotTags } from '../types.ts';

const namePattern = /^([a-z][a-z0-9-]*)_(\d{8}T\d{6}Z)_([A-Za-z0-9-]+)_([a-z]+:[A-Za-z0-9_.-]+)$/;

export function archiveName(tags: SnapshotTags, time: Date): string {
  const stamp = time
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${tags.service}_${stamp}_${tags.job}_${tags.source}`;
}

/** The glob (`--glob-archives`) of every archive of one service, or of one of its sources. */
export function archiveGlob(service: string, source?: string): string {
  return source === undefined ? `${service}_*` : `${service}_*_${source}`;
}

/** What an archive's name and comment say; undefined for an archive the bot did not make. */
export function parseArchive(
  name: string,
  comment: string,
): { tags: SnapshotTags; filename: string; kind: SnapshotKind } | undefined {
  const match = namePattern.exec(name);
  if (match === null) return undefined;
  const [, service = '', , job = '', source = ''] = match;
  const fields = new Map<string, string>();
  for (const token of comment.split(' ')) {
    const eq = token.indexOf('=');
    if (eq > 0) fields.set(token.slice(0, eq), token.slice(eq + 1));
  }
  const extra = (fields.get('tags') ?? '').split(',').filter((tag) => tag !== '');
  return {
    tags: { service, source, job, extra },
    filename: fields.get('file') ?? '',
    kind: fields.get('kind') === 'files' ? 'files' : 'stream',
  };
}

/**
 * The comment: file name and free tags (neither holds a space, a comma or `{`, which borg
 * would expand as a placeholder: see tags.ts).
 */
export function archiveComment(tags: SnapshotTags, filename: string): string {
  return `pes file=${filename} tags=${tags.extra.join(',')}`;
}

/** A file-level archive's comment: no stream file, `kind=files`. */
export function treeArchiveComment(tags: SnapshotTags): string {
  return `pes kind=files tags=${tags.extra.join(',')}`;
}
