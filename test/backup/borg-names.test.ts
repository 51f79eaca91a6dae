/** Tags in borg archive names and comments: written and read back, globs that match exactly. */
import { describe, expect, it } from 'vitest';
import {
  archiveComment,
  archiveGlob,
  archiveName,
  parseArchive,
  treeArchiveComment,
} from '../../src/backup/engines/borg-names.ts';
import { parseArchiveList } from '../../src/backup/engines/borg-json.ts';

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
