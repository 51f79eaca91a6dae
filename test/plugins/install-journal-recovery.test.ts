/**
 * The start after the bot died under a plugin job, on a scripted Moodle container: before
 * upgrade.php the site is put back (folder, maintenance) and the row goes; after it, the site
 * stays in maintenance with the backup to restore named; a container that is not running
 * keeps the row for the next start.
 */
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import type { ContainerState } from '../../src/core/platform.ts';
import { recoverPluginJobs } from '../../src/plugins/install/journal-recovery.ts';
import type { JournalEntry } from '../../src/plugins/install/journal.ts';
import { migrate } from '../../src/store/migrations.ts';
import { SqlitePluginJournal } from '../../src/store/plugin-journal-repo.ts';
import { service } from '../helpers/catalog.ts';
import { pluginVersionPhp, ScriptedSite, scriptedPlatform } from './install-fakes.ts';

const component = 'mod_attendance';
const folder = '/var/www/html/mod/attendance';
const aside = '/var/www/html/mod/.pes-old-attendance';

function entry(fields: Partial<JournalEntry>): JournalEntry {
  return {
    jobId: 7,
    service: 'moodle',
    component,
    targetDir: folder,
    asideDir: undefined,
    createdFolder: false,
    maintenanceOn: true,
    upgradeStarted: false,
    backupSnapshot: 'abc12345',
    ...fields,
  };
}

function bed(row: JournalEntry, options: { state?: ContainerState; running?: boolean } = {}) {
  const db = new DatabaseSync(':memory:');
  migrate(db);
  const journal = new SqlitePluginJournal(db);
  journal.save(row);
  const site = new ScriptedSite();
  site.maintenance = true;
  const platform = scriptedPlatform(site, options.state ?? 'running');
  const recover = () =>
    recoverPluginJobs({
      journal,
      services: new Map([['moodle', service('moodle')]]),
      platform: () => platform,
      settings: { root: '/var/www/html', webUser: 'www-data', php: 'php' },
      running: () => options.running ?? false,
    });
  return { site, journal, recover };
}

describe('a plugin job the bot died under, at the next start', () => {
  it('before upgrade.php: the half-copied folder goes, maintenance goes off, the row goes', async () => {
    const b = bed(entry({ createdFolder: true }));
    // tar cut short: part of the plugin's folder is there.
    b.site.files.set(`${folder}/version.php`, pluginVersionPhp(component, 2024100300));
    const said = await b.recover();
    expect(b.site.folderOf(component)).toEqual([]);
    expect(b.site.maintenance).toBe(false);
    expect(b.journal.all()).toEqual([]);
    expect(said.get(7)).toEqual({
      ru: `moodle: после прерванной задачи (${component}) бот привёл сайт в порядок: папка ${folder} удалена, режим обслуживания выключен.`,
      en: `moodle: after the interrupted job (${component}) the bot set the site right: the folder ${folder} was removed, maintenance mode is off.`,
    });
    const php = b.site.calls.filter((c) => c.argv[0] === 'php');
    expect(php.map((c) => [c.argv.slice(1).join(' '), c.user])).toEqual([
      ['/var/www/html/admin/cli/maintenance.php --disable', 'www-data'],
    ]);
  });

  it('an upgrade cut short before upgrade.php: the previous folder is put back', async () => {
    const b = bed(entry({ asideDir: aside, createdFolder: true }));
    b.site.files.set(`${aside}/version.php`, pluginVersionPhp(component, 2023100900));
    b.site.files.set(`${folder}/version.php`, pluginVersionPhp(component, 2024100300));
    const said = await b.recover();
    expect(b.site.typeDirEntries(component)).toEqual([`${folder}/version.php`]);
    expect(b.site.files.get(`${folder}/version.php`)).toBe(pluginVersionPhp(component, 2023100900));
    expect(b.site.maintenance).toBe(false);
    expect(b.journal.all()).toEqual([]);
    expect(said.get(7)?.en).toContain(`the previous folder ${folder} was put back`);
  });

  it('set aside journaled but never moved: the folder there is the previous one and stays', async () => {
    const b = bed(entry({ asideDir: aside }));
    b.site.installPlugin(component, 2023100900);
    await b.recover();
    expect(b.site.folderOf(component)).toEqual([`${folder}/version.php`]);
    expect(b.site.maintenance).toBe(false);
  });

  it('after upgrade.php started: maintenance stays on, the row stays, the backup to restore is named', async () => {
    const b = bed(entry({ createdFolder: true, upgradeStarted: true }));
    b.site.files.set(`${folder}/version.php`, pluginVersionPhp(component, 2024100300));
    const said = await b.recover();
    expect(b.site.maintenance).toBe(true);
    expect(b.site.folderOf(component)).toEqual([`${folder}/version.php`]);
    expect(b.site.calls).toEqual([]);
    expect(b.journal.all()).toHaveLength(1);
    expect(said.get(7)).toEqual({
      ru: `moodle остаётся в режиме обслуживания: upgrade.php для ${component} был прерван и мог изменить базу лишь частично. Верните копию: restore moodle abc12345, затем admin/cli/maintenance.php --disable.`,
      en: `moodle stays in maintenance mode: upgrade.php for ${component} was cut short and may have changed the database only partly. Restore the backup: restore moodle abc12345, then admin/cli/maintenance.php --disable.`,
    });
  });

  it('a removal cut short in uninstall_plugins.php names that script and the backup', async () => {
    const b = bed(entry({ upgradeStarted: true }));
    const said = await b.recover();
    expect(b.site.maintenance).toBe(true);
    expect(said.get(7)?.en).toBe(
      `moodle stays in maintenance mode: uninstall_plugins.php for ${component} was cut short and may have changed the database only partly. Restore the backup: restore moodle abc12345, then admin/cli/maintenance.php --disable.`,
    );
  });

  it('a container that is not running: nothing changed, the row kept for the next start', async () => {
    const b = bed(entry({ createdFolder: true }), { state: 'exited' });
    b.site.files.set(`${folder}/version.php`, pluginVersionPhp(component, 2024100300));
    const said = await b.recover();
    expect(b.site.calls).toEqual([]);
    expect(b.site.maintenance).toBe(true);
    expect(b.journal.all()).toHaveLength(1);
    expect(said.get(7)?.en).toMatch(
      /^moodle: the site could not be put back after the interrupted job \(mod_attendance\) \(.+\); the bot tries again at its next start\.$/,
    );
    expect(said.get(7)?.ru).toContain('бот попробует снова при следующем запуске');
    // And the next start, with the container back, puts it back.
    const again = bed(b.journal.all()[0] ?? entry({}));
    again.site.files.set(`${folder}/version.php`, 'x');
    await again.recover();
    expect(again.site.maintenance).toBe(false);
    expect(again.journal.all()).toEqual([]);
  });

  it('a job still running in a live process is left alone', async () => {
    const b = bed(entry({ createdFolder: true }), { running: true });
    const said = await b.recover();
    expect(said.size).toBe(0);
    expect(b.site.calls).toEqual([]);
    expect(b.journal.all()).toHaveLength(1);
  });
});
