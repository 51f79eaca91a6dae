import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryClient } from '../../src/plugins/directory-client.ts';
import { PluginDirectory } from '../../src/plugins/directory.ts';
import { openDatabase } from '../../src/store/database.ts';
import { SqliteDirectoryCache } from '../../src/store/plugins-repo.ts';
import { FakePluginsDirectory } from '../fakes/moodle-plugins/server.ts';

describe('plugins directory client', () => {
  const fake = new FakePluginsDirectory();
  let url = '';
  beforeAll(async () => {
    url = await fake.start();
  });
  afterAll(() => fake.stop());

  it('reads pluginfo for a branch: the newest version that supports it', async () => {
    const client = new DirectoryClient({ baseUrl: url });
    const info = await client.pluginfo('mod_attendance', '4.4');
    expect(info?.name).toBe('Attendance');
    expect(info?.versions.map((v) => v.version)).toEqual([2023100900]);
    expect(info?.versions[0]?.supportedmoodles.map((m) => m.release)).toEqual([
      '4.2',
      '4.3',
      '4.4',
    ]);
    expect(fake.requests.at(-1)).toContain('plugin=mod_attendance');
    expect(fake.requests.at(-1)).toContain('branch=4.4');
  });

  it('says no version when none supports the branch, and undefined for an unknown plugin', async () => {
    const client = new DirectoryClient({ baseUrl: url });
    expect((await client.pluginfo('report_attendance', '4.5'))?.versions).toEqual([]);
    expect(await client.pluginfo('mod_nosuchthing', '4.5')).toBeUndefined();
  });

  it('lists every plugin with its versions newest first', async () => {
    const list = await new DirectoryClient({ baseUrl: url }).pluglist();
    expect(list.map((p) => p.component)).toContain('block_attendancetable');
    const att = list.find((p) => p.component === 'mod_attendance');
    expect(att?.versions.map((v) => v.version)).toEqual([2024100300, 2023100900]);
  });
});

describe('plugins directory cache', () => {
  it('answers from the cache while the directory is down, and says since when', async () => {
    const fake = new FakePluginsDirectory();
    const url = await fake.start();
    try {
      const db = openDatabase(':memory:');
      let now = new Date('2026-12-07T01:00:00Z');
      const directory = new PluginDirectory(
        new DirectoryClient({ baseUrl: url, timeoutMs: 2000 }),
        new SqliteDirectoryCache(db),
        () => now,
      );
      const fresh = await directory.plugin('mod_attendance', '4.5');
      expect(fresh.cachedAt).toBeUndefined();
      expect(fresh.value?.versions.map((v) => v.version)).toEqual([2024100300, 2023100900]);

      fake.down();
      now = new Date('2026-12-07T09:00:00Z');
      const kept = await directory.plugin('mod_attendance', '4.5');
      expect(kept.cachedAt?.toISOString()).toBe('2026-12-07T01:00:00.000Z');
      expect(kept.value?.versions[0]?.version).toBe(2024100300);
      // The list, older than its freshness, is asked again, and kept when that fails.
      const list = await directory.list();
      expect(list.cachedAt?.toISOString()).toBe('2026-12-07T01:00:00.000Z');
      // A plugin the kept list does not have is unknown, as of the time the list was kept.
      const unseen = await directory.plugin('mod_quiz_unknown', '4.5');
      expect(unseen.value).toBeUndefined();
      expect(unseen.cachedAt?.toISOString()).toBe('2026-12-07T01:00:00.000Z');
    } finally {
      await fake.stop();
    }
  });

  it('with nothing cached and the directory down, refuses in one line', async () => {
    const fake = new FakePluginsDirectory();
    const url = await fake.start();
    fake.down();
    try {
      const directory = new PluginDirectory(
        new DirectoryClient({ baseUrl: url }),
        new SqliteDirectoryCache(openDatabase(':memory:')),
      );
      await expect(directory.plugin('mod_attendance', '4.5')).rejects.toMatchObject({
        code: 'plugin-directory-down',
      });
    } finally {
      await fake.stop();
    }
  });
});
