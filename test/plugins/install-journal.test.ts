/**
 * The plugin jobs' journal: what a job has changed on the site, written before each change,
 * so that the row read at any moment is what the next start would find if the bot died
 * there; and deleted when the job ends, whatever the outcome.
 */
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { installPlugin } from '../../src/plugins/install/install-job.ts';
import { jobJournal, type JournalEntry } from '../../src/plugins/install/journal.ts';
import type { ContainerExec } from '../../src/plugins/install/moodle-cli.ts';
import { removePlugin } from '../../src/plugins/install/remove-job.ts';
import { migrate } from '../../src/store/migrations.ts';
import { SqlitePluginJournal } from '../../src/store/plugin-journal-repo.ts';
import { fakePackage, jobBed, md5, ScriptedSite, type Bed } from './install-fakes.ts';

const component = 'mod_attendance';
const folder = '/var/www/html/mod/attendance';

function store(): SqlitePluginJournal {
  const db = new DatabaseSync(':memory:');
  migrate(db);
  return new SqlitePluginJournal(db);
}

/** The journal as it stands when each program starts: what a kill -9 there would leave. */
function recorded(
  bed: Bed,
  journal: SqlitePluginJournal,
): { deps: Bed['deps']; at: Map<string, JournalEntry[]> } {
  const at = new Map<string, JournalEntry[]>();
  const exec: ContainerExec = (argv, options, signal) => {
    const name =
      argv[0] === 'php'
        ? `${(argv[1] ?? '').split('/').at(-1) ?? ''} ${argv[2] ?? ''}`.trim()
        : (argv[0] ?? '');
    if (!at.has(name)) at.set(name, journal.all());
    return bed.site.exec(argv, options, signal);
  };
  return {
    deps: {
      ...bed.deps,
      exec,
      journal: jobJournal(journal, { jobId: 7, service: 'moodle', component }),
    },
    at,
  };
}

const row = (fields: Partial<JournalEntry>): JournalEntry => ({
  jobId: 7,
  service: 'moodle',
  component,
  targetDir: folder,
  asideDir: undefined,
  createdFolder: false,
  maintenanceOn: false,
  upgradeStarted: false,
  backupSnapshot: 'abc123',
  ...fields,
});

describe('the plugin jobs journal', () => {
  it('an install journals maintenance, the folder and upgrade.php before each, and ends empty', async () => {
    const { zip, pkg } = fakePackage(component, 2024100300);
    const bed = jobBed({ zip, pkg });
    const journal = store();
    const { deps, at } = recorded(bed, journal);
    await installPlugin(deps, {
      component,
      downloadUrl: 'http://127.0.0.1:1/a.zip',
      md5: md5(zip),
    });
    // Nothing journaled while the site is untouched (download, checks, backup).
    expect(at.get('cat')).toEqual([]);
    expect(at.get('maintenance.php --enable')).toEqual([row({ maintenanceOn: true })]);
    expect(at.get('tar')).toEqual([row({ maintenanceOn: true, createdFolder: true })]);
    expect(at.get('upgrade.php --non-interactive')).toEqual([
      row({ maintenanceOn: true, createdFolder: true, upgradeStarted: true }),
    ]);
    // Installed and read back: whole, only maintenance is left for the next start to undo.
    expect(at.get('purge_caches.php')).toEqual([row({ maintenanceOn: true })]);
    expect(journal.all()).toEqual([]);
  });

  it('an upgrade journals where the previous folder goes before it is moved', async () => {
    const site = new ScriptedSite();
    site.installPlugin(component, 2023100900);
    const { zip, pkg } = fakePackage(component, 2024100300);
    const bed = jobBed({ site, zip, pkg });
    const journal = store();
    const { deps, at } = recorded(bed, journal);
    await installPlugin(deps, {
      component,
      downloadUrl: 'http://127.0.0.1:1/a.zip',
      md5: md5(zip),
    });
    const aside = '/var/www/html/mod/.pes-old-attendance';
    expect(at.get('mv')).toEqual([row({ maintenanceOn: true, asideDir: aside })]);
    expect(at.get('tar')).toEqual([
      row({ maintenanceOn: true, asideDir: aside, createdFolder: true }),
    ]);
    expect(journal.all()).toEqual([]);
  });

  it('a failed install that was undone leaves no row', async () => {
    const { zip, pkg } = fakePackage(component, 2024100300);
    const bed = jobBed({ zip, pkg });
    bed.site.faults.upgradeFailsHalfway = true;
    const journal = store();
    const { deps, at } = recorded(bed, journal);
    await expect(
      installPlugin(deps, { component, downloadUrl: 'http://127.0.0.1:1/a.zip', md5: md5(zip) }),
    ).rejects.toThrow();
    expect(at.get('upgrade.php --non-interactive')).toHaveLength(1);
    expect(journal.all()).toEqual([]);
  });

  it('a removal journals maintenance and uninstall_plugins.php before each, and ends empty', async () => {
    const site = new ScriptedSite();
    site.installPlugin(component, 2023100900);
    const { zip, pkg } = fakePackage(component, 2023100900);
    const bed = jobBed({ site, zip, pkg });
    const journal = store();
    const { deps, at } = recorded(bed, journal);
    await removePlugin(deps, component);
    expect(at.get('maintenance.php --enable')).toEqual([row({ maintenanceOn: true })]);
    expect(at.get('uninstall_plugins.php --plugins=mod_attendance')).toEqual([
      row({ maintenanceOn: true, upgradeStarted: true }),
    ]);
    // Uninstalled and checked: the folder is what is left to remove, nothing to restore.
    expect(at.get('rm')).toEqual([row({ maintenanceOn: true, createdFolder: true })]);
    expect(journal.all()).toEqual([]);
  });
});
