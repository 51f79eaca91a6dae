/** Tags in borg archive names and comments: written and read back, globs that match exactly. */
import { describe, expect, it } from 'vitest';
import {
  archiveComment,
  archiveGlob,
  archiveName,
  parseArchive,
  treeArchiveComment,
} from '../../src/backup/engines/borg-names.ts';
import { parseArchiveList, parseListLine } from '../../src/backup/engines/borg-json.ts';

const tags = {
  service: 'moodle',
  source: 'volume:my_data.v2',
  job: '42',
  extra: ['safety', 'x.y'],
};

describe('borg archive names', () => {
  it('encode service, UTC time, job and source, and read back with the comment', () => {
    const name = archiveName(tags, new Date('2025-03-01T02:00:09.500Z'));
    expect(name).toBe('moodle_20250301T020009Z_42_volume:my_data.v2');
    const comment = archiveComment(tags, 'my_data.v2.tar');
    expect(comment).toBe('pes file=my_data.v2.tar tags=safety,x.y');
    expect(comment).not.toContain('{');
    expect(parseArchive(name, comment)).toEqual({
      tags,
      filename: 'my_data.v2.tar',
      kind: 'stream',
    });
  });

  it('a file-level archive says so in its comment, and reads back as files', () => {
    const name = archiveName(tags, new Date('2025-03-01T02:00:09Z'));
    const comment = treeArchiveComment(tags);
    expect(comment).toBe('pes kind=files tags=safety,x.y');
    expect(parseArchive(name, comment)).toEqual({ tags, filename: '', kind: 'files' });
  });

  it('reads `list --json-lines` entries relative to the volume, without its root', () => {
    const line = (type: string, path: string, size = 0): string =>
      JSON.stringify({ type, mode: 'x', uid: 0, gid: 0, path, size, linktarget: '' });
    const owner = { uid: 0, gid: 0 };
    expect(parseListLine(line('d', '.'))).toBeUndefined();
    expect(parseListLine(line('-', 'sub/b', 2))).toEqual({
      path: 'sub/b',
      type: 'file',
      size: 2,
      ...owner,
    });
    expect(parseListLine(line('h', 'hard', 3))).toEqual({
      path: 'hard',
      type: 'file',
      size: 3,
      ...owner,
    });
    expect(parseListLine(line('l', 'link'))).toEqual({
      path: 'link',
      type: 'symlink',
      size: 0,
      ...owner,
    });
    expect(parseListLine(line('d', 'sub'))).toEqual({
      path: 'sub',
      type: 'dir',
      size: 0,
      ...owner,
    });
    expect(parseListLine('not json')).toBeUndefined();
  });

  it('reads modes, owners and the second path of a hard link as borg 1.2.4 lists them', () => {
    // Lines of `borg list --json-lines` for `echo hi > a; ln a b; ln -s a c` (measured).
    const b = parseListLine(
      '{"type": "-", "mode": "-rw-r--r--", "user": "root", "group": "root", "uid": 0, "gid": 0, "path": "b", "healthy": true, "source": "", "linktarget": "", "flags": 0, "size": 3, "mtime": "2026-12-07T04:44:42.380588"}',
    );
    const a = parseListLine(
      '{"type": "-", "mode": "hrw-r--r--", "user": "root", "group": "root", "uid": 0, "gid": 0, "path": "a", "healthy": true, "source": "b", "linktarget": "b", "flags": 0, "size": 0, "mtime": "2026-12-07T04:44:42.380588"}',
    );
    const c = parseListLine(
      '{"type": "l", "mode": "lrwxrwxrwx", "user": "root", "group": "root", "uid": 0, "gid": 0, "path": "c", "healthy": true, "source": "a", "linktarget": "a", "flags": 0, "size": 1, "mtime": "2026-12-07T04:44:42.382670"}',
    );
    expect(b).toEqual({ path: 'b', type: 'file', size: 3, perm: 0o644, uid: 0, gid: 0 });
    expect(a).toEqual({
      path: 'a',
      type: 'file',
      size: 0,
      perm: 0o644,
      uid: 0,
      gid: 0,
      hardlinkOf: 'b',
    });
    expect(c).toMatchObject({ type: 'symlink', perm: 0o777 });
    expect(c?.hardlinkOf).toBeUndefined();
    const special = (mode: string): number | undefined =>
      parseListLine(JSON.stringify({ type: 'd', mode, uid: 33, gid: 33, path: 'd', size: 0 }))
        ?.perm;
    expect(special('drwxr-s---')).toBe(0o2750);
    expect(special('drwsr-S--T')).toBe(0o7740);
    expect(special('drwxrwxrwt')).toBe(0o1777);
  });

  it('keeps the leading dots of a name: borg 1.2.4 lists `.htaccess`, not `./.htaccess`', () => {
    const line = (type: string, path: string): string =>
      JSON.stringify({ type, mode: 'x', uid: 0, gid: 0, path, size: 1, linktarget: '' });
    const paths = ['.htaccess', '.git', '.git/config', '..foo', 'sub/.hidden', './.env', '.']
      .map((p) => parseListLine(line('-', p))?.path)
      .filter((p) => p !== undefined);
    expect(paths).toEqual(['.htaccess', '.git', '.git/config', '..foo', 'sub/.hidden', '.env']);
  });

  it('ignore archives the bot did not make', () => {
    expect(parseArchive('host-2024-01-01', '')).toBeUndefined();
    expect(parseArchive('moodle_20250301T020009Z_42_volume:x.checkpoint', '')).toEqual({
      tags: { service: 'moodle', source: 'volume:x.checkpoint', job: '42', extra: [] },
      filename: '',
      kind: 'stream',
    });
  });

  it('glob one service, or one source of it', () => {
    expect(archiveGlob('moodle')).toBe('moodle_*');
    expect(archiveGlob('moodle', 'postgres:moodle')).toBe('moodle_*_postgres:moodle');
  });

  it('parse `borg list --json --format {comment}`, newest first, local times', () => {
    const stdout = JSON.stringify({
      archives: [
        {
          archive: 'm_20240101T120000Z_1_volume:x',
          name: 'm_20240101T120000Z_1_volume:x',
          comment: 'pes file=x.tar tags=',
          id: 'c3',
          start: '2024-01-01T12:00:00.000000',
          time: '2024-01-01T12:00:00.000000',
        },
        {
          name: 'm_20240102T120000Z_2_postgres:db',
          comment: 'pes file=db.pgdump tags=safety',
          time: '2024-01-02T12:00:00.123456',
        },
        { name: 'other-archive', comment: '', time: '2024-01-03T00:00:00.000000' },
      ],
    });
    const list = parseArchiveList(stdout);
    expect(list.map((s) => s.id)).toEqual([
      'm_20240102T120000Z_2_postgres:db',
      'm_20240101T120000Z_1_volume:x',
    ]);
    expect(list[0]).toEqual({
      id: 'm_20240102T120000Z_2_postgres:db',
      time: new Date(2024, 0, 2, 12, 0, 0, 123),
      tags: { service: 'm', source: 'postgres:db', job: '2', extra: ['safety'] },
      filename: 'db.pgdump',
      kind: 'stream',
    });
  });
});
