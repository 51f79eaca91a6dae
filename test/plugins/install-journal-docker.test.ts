/**
 * The start-up recovery of a plugin job the bot died under, on the real test engine and the
 * Moodle site of test/fakes/moodle-site (real PHP, Moodle's maintenance.php contract): the
 * state a kill -9 in the middle of the folder copy leaves (maintenance on, part of the
 * plugin's folder) is put back to the site as it was; after upgrade.php started, the site
 * stays in maintenance.
 */
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerPlatform } from '../../src/platforms/docker/docker-platform.ts';
import { recoverPluginJobs } from '../../src/plugins/install/journal-recovery.ts';
import type { JournalEntry } from '../../src/plugins/install/journal.ts';
import { migrate } from '../../src/store/migrations.ts';
import { SqlitePluginJournal } from '../../src/store/plugin-journal-repo.ts';
import {
  moodleRoot,
  moodleSiteService,
  siteState,
  startMoodleSite,
  type MoodleSite,
  type SiteState,
} from '../fakes/moodle-site/site.ts';
import { removeVolumes } from '../helpers/backup-env.ts';
import { DockerTestBed } from '../helpers/docker.ts';

const bed = new DockerTestBed();
let site: MoodleSite;

beforeAll(async () => {
  site = await startMoodleSite(bed, { name: 'journal' });
}, 20 * 60_000);

afterAll(async () => {
  await site.stop();
  await bed.cleanup();
  await removeVolumes(bed);
}, 120_000);

const folder = `${moodleRoot}/local/half`;

function comparable(state: SiteState): Record<string, unknown> {
  return Object.fromEntries(Object.entries(state).filter(([key]) => key !== 'cachePurgeMarker'));
}

function recover(row: JournalEntry) {
  const db = new DatabaseSync(':memory:');
  migrate(db);
  const journal = new SqlitePluginJournal(db);
  journal.save(row);
  const platform = new DockerPlatform(bed.connection);
  return {
    journal,
    said: recoverPluginJobs({
      journal,
      services: new Map([['moodle', moodleSiteService(site)]]),
      platform: () => platform,
      settings: { root: moodleRoot, webUser: 'www-data', php: 'php' },
      running: () => false,
    }),
  };
}

/** What the install job had done when the bot was killed in the middle of its tar. */
async function killedMidCopy(): Promise<void> {
  expect((await site.cli('maintenance.php', ['--enable'])).exitCode).toBe(0);
  expect((await site.exec(['mkdir', '-p', folder])).exitCode).toBe(0);
  const write = await site.exec(['tee', `${folder}/version.php`], {
    stdin: "<?php\n$plugin->component = 'local_half';\n$plugin->version = 2024120100;\n",
  });
  expect(write.exitCode).toBe(0);
}

const row = (fields: Partial<JournalEntry>): JournalEntry => ({
  jobId: 3,
  service: 'moodle',
  component: 'local_half',
  targetDir: folder,
  asideDir: undefined,
  createdFolder: true,
  maintenanceOn: true,
  upgradeStarted: false,
  backupSnapshot: 'abc12345',
  ...fields,
});

describe('the next start after a plugin job was killed (real engine, real PHP)', () => {
  it('killed during the copy: the site is as it was before the job, maintenance off', async () => {
    const before = await siteState(site);
    expect(before.maintenance).toBe(false);
    await killedMidCopy();
    expect((await siteState(site)).maintenance).toBe(true);
    const { journal, said } = recover(row({}));
    expect((await said).get(3)?.en).toContain('maintenance mode is off');
    expect(comparable(await siteState(site))).toEqual(comparable(before));
    expect(journal.all()).toEqual([]);
  }, 120_000);

  it('killed during upgrade.php: the site stays in maintenance, the row stays', async () => {
    await killedMidCopy();
    const { journal, said } = recover(row({ upgradeStarted: true }));
    expect((await said).get(3)?.en).toContain('stays in maintenance mode');
    const state = await siteState(site);
    expect(state.maintenance).toBe(true);
    expect(state.folders).toContain('local_half');
    expect(journal.all()).toHaveLength(1);
  }, 120_000);
});
