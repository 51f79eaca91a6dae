/**
 * Removing a plugin on the scripted container: backup first, uninstall_plugins.php --run as
 * the web server's user, the folder removed, maintenance off on every path; an uninstall that
 * fails half-way puts the database back and leaves the folder, so the plugin is as it was.
 */
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.ts';
import { removePlugin } from '../../src/plugins/install/remove-job.ts';
import { fakePackage, jobBed, ScriptedSite } from './install-fakes.ts';

const component = 'mod_attendance';

function installedBed() {
  const site = new ScriptedSite();
  site.installPlugin(component, 2023100900);
  const { zip, pkg } = fakePackage(component, 2023100900);
  return jobBed({ site, zip, pkg });
}

describe('removing a plugin (scripted container)', () => {
  it('backup → maintenance on → uninstall --run → folder removed → purge → maintenance off', async () => {
    const bed = installedBed();
    const report = await removePlugin(bed.deps, component);
    expect(report).toMatchObject({ component, version: 2023100900 });
    const php = bed.site.calls
      .filter((c) => c.argv[0] === 'php')
      .map((c) => [c.argv.slice(1).join(' ').replace('/var/www/html/admin/cli/', ''), c.user]);
    expect(php).toEqual([
      ['maintenance.php --enable', 'www-data'],
      ['uninstall_plugins.php --plugins=mod_attendance --run', 'www-data'],
      ['cfg.php --component=mod_attendance --name=version', 'www-data'],
      ['upgrade.php --non-interactive', 'www-data'],
      ['purge_caches.php', 'www-data'],
      ['maintenance.php --disable', 'www-data'],
    ]);
    expect(bed.backups).toHaveLength(1);
    expect(bed.site.db.has(component)).toBe(false);
    expect(bed.site.folderOf(component)).toEqual([]);
    expect(bed.site.maintenance).toBe(false);
    expect(bed.restores).toEqual([]);
  });

  it('an uninstall that fails half-way: database put back, folder kept, maintenance off', async () => {
    const bed = installedBed();
    bed.site.faults = { uninstallFailsHalfway: true };
    const error = await removePlugin(bed.deps, component).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UserError);
    const text = (error as UserError).text('en');
    expect(text).toContain('The plugin mod_attendance was not removed');
    expect(text).toContain('The database was put back from the backup taken before');
    expect(bed.restores).toHaveLength(1);
    expect(bed.site.db.get(component)).toBe(2023100900);
    expect(bed.site.folderOf(component)).toContain('/var/www/html/mod/attendance/version.php');
    expect(bed.site.maintenance).toBe(false);
  });

  it('a plugin that is not there is refused before the backup', async () => {
    const { zip, pkg } = fakePackage(component, 1);
    const bed = jobBed({ zip, pkg });
    const error = await removePlugin(bed.deps, component).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as UserError).code).toBe('plugin-not-installed');
    expect(bed.backups).toEqual([]);
    expect(bed.site.calls.some((c) => c.argv[0] === 'php')).toBe(false);
  });
});

describe('removing a plugin Moodle refuses to uninstall (scripted container)', () => {
  it('"Can not be uninstalled" with exit 0: refused, database untouched, folder kept, maintenance off', async () => {
    const bed = installedBed();
    bed.site.faults = { uninstallRefused: true };
    const error = await removePlugin(bed.deps, component).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UserError);
    const text = (error as UserError).text('en');
    expect(text).toContain('The plugin mod_attendance was not removed');
    expect(text).toContain('Can not be uninstalled: mod_attendance');
    expect(bed.restores).toEqual([]);
    expect(bed.site.db.get(component)).toBe(2023100900);
    expect(bed.site.folderOf(component)).toContain('/var/www/html/mod/attendance/version.php');
    expect(bed.site.calls.some((c) => c.argv[0] === 'rm')).toBe(false);
    expect(bed.site.maintenance).toBe(false);
  });

  it('"Uninstalling" said but the version still recorded: database put back, folder kept', async () => {
    const bed = installedBed();
    const exec = bed.site.exec;
    const deps = {
      ...bed.deps,
      exec: async (...args: Parameters<typeof exec>) => {
        const result = await exec(...args);
        // The record comes back as if the uninstall had not finished its work.
        if (String(args[0][1]).endsWith('uninstall_plugins.php')) bed.site.db.set(component, 1);
        return result;
      },
    };
    const error = await removePlugin(deps, component).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as UserError).text('en')).toContain('The plugin mod_attendance was not removed');
    expect(bed.restores).toHaveLength(1);
    expect(bed.site.folderOf(component)).toContain('/var/www/html/mod/attendance/version.php');
    expect(bed.site.maintenance).toBe(false);
  });
});
