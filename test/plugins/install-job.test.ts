/**
 * The install job's order and every way it can fail, on a scripted Moodle container:
 * whatever happens, maintenance ends off, a folder the job made is gone, and the database is
 * put back from the job's own backup exactly when upgrade.php had started.
 */
import { describe, expect, it } from 'vitest';
import { pastPointOfNoReturn } from '../../src/core/context-commit.ts';
import { UserError } from '../../src/core/errors.ts';
import { installPlugin } from '../../src/plugins/install/install-job.ts';
import { fakePackage, jobBed, md5, ScriptedSite, type Bed } from './install-fakes.ts';

const component = 'mod_attendance';
const target = (zip: Uint8Array, sum = md5(zip)) => ({
  component,
  downloadUrl: 'http://127.0.0.1:1/attendance.zip',
  md5: sum,
});

function programs(bed: Bed): string[] {
  return bed.site.calls.map((c) =>
    c.argv[0] === 'php'
      ? `php ${(c.argv[1] ?? '').split('/').at(-1) ?? ''} ${c.argv.slice(2).join(' ')}`.trim()
      : (c.argv[0] ?? ''),
  );
}

async function failure(promise: Promise<unknown>): Promise<UserError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UserError);
  return error as UserError;
}

describe('installing a plugin (scripted container)', () => {
  it('runs download → check → backup → maintenance on → copy → upgrade → read back → purge → maintenance off', async () => {
    const { zip, pkg } = fakePackage(component, 2024100300);
    const bed = jobBed({ zip, pkg });
    const report = await installPlugin(bed.deps, target(zip));
    expect(report).toMatchObject({ component, version: 2024100300, previous: undefined });
    expect(bed.steps).toEqual([
      'site',
      'download',
      'check',
      'backup',
      'maintenance',
      'copy',
      'upgrade',
      'verify',
      'purge',
      'maintenance-off',
    ]);
    const php = programs(bed).filter((p) => p.startsWith('php'));
    expect(php).toEqual([
      'php maintenance.php --enable',
      'php upgrade.php --non-interactive',
      'php cfg.php --component=mod_attendance --name=version',
      'php purge_caches.php',
      'php maintenance.php --disable',
    ]);
    // The backup came before anything was changed: before the first php call.
    const firstPhp = bed.site.calls.findIndex((c) => c.argv[0] === 'php');
    expect(bed.backups).toEqual([expect.any(Number)]);
    expect(bed.backups[0]).toBeLessThan(firstPhp);
    // Every Moodle script ran as the web server's user.
    expect(
      bed.site.calls.filter((c) => c.argv[0] === 'php').every((c) => c.user === 'www-data'),
    ).toBe(true);
    expect(bed.site.db.get(component)).toBe(2024100300);
    expect(bed.site.folderOf(component)).toContain('/var/www/html/mod/attendance/version.php');
    expect(bed.site.maintenance).toBe(false);
    expect(bed.restores).toEqual([]);
  });

  it('a failing backup stops everything before maintenance', async () => {
    const { zip, pkg } = fakePackage(component, 2024100300);
    const bed = jobBed({ zip, pkg, backupFails: true });
    const error = await failure(installPlugin(bed.deps, target(zip)));
    expect(error.code).toBe('plugin-install-failed');
    expect(error.text('en')).toContain('The site was not changed.');
    expect(error.text('ru')).toContain('Сайт не изменён.');
    expect(programs(bed).some((p) => p.startsWith('php'))).toBe(false);
    expect(bed.site.maintenance).toBe(false);
  });

  it('a wrong MD5: refused before the backup and before maintenance, the site not touched', async () => {
    const { zip, pkg } = fakePackage(component, 2024100300);
    const bed = jobBed({ zip, pkg });
    const error = await failure(installPlugin(bed.deps, target(zip, '0'.repeat(32))));
    expect(error.text('en')).toMatch(/^The plugin mod_attendance was not installed: MD5 exited/);
    expect(error.text('en')).toContain('The site was not changed.');
    expect(bed.backups).toEqual([]);
    expect(programs(bed).filter((p) => p.startsWith('php'))).toEqual([]);
    expect(bed.site.maintenance).toBe(false);
    expect(bed.site.folderOf(component)).toEqual([]);
    expect(programs(bed)).not.toContain('tar');
    expect(bed.restores).toEqual([]);
  });

  it('a package the validator refuses: nothing copied, maintenance off', async () => {
    const refusal = new UserError('plugin-step-failed', {
      what: 'validator',
      exit: 1,
      output: 'requires 2025041400',
    });
    const { zip, pkg } = fakePackage(component, 2024100300, refusal);
    const bed = jobBed({ zip, pkg });
    const error = await failure(installPlugin(bed.deps, target(zip)));
    expect(error.cause).toBe(refusal);
    expect(bed.site.folderOf(component)).toEqual([]);
    expect(bed.site.maintenance).toBe(false);
    expect(bed.restores).toEqual([]);
  });

  it('a folder of that name that is not an installed plugin is refused and left alone', async () => {
    const { zip, pkg } = fakePackage(component, 2024100300);
    const site = new ScriptedSite();
    site.files.set('/var/www/html/mod/attendance/README', 'mine');
    const bed = jobBed({ site, zip, pkg });
    const error = await failure(installPlugin(bed.deps, target(zip)));
    expect(error.text('en')).toContain('exists but is not an installed plugin');
    expect(site.folderOf(component)).toEqual(['/var/www/html/mod/attendance/README']);
    expect(site.maintenance).toBe(false);
  });

  it('tar failing half-way: the part copied is removed, the database not touched', async () => {
    const { zip, pkg } = fakePackage(component, 2024100300);
    const bed = jobBed({ zip, pkg });
    bed.site.faults = { tarFails: true };
    const error = await failure(installPlugin(bed.deps, target(zip)));
    expect(error.text('en')).toContain('tar exited with 2');
    expect(error.text('en')).toContain('The plugin’s folder was removed; maintenance mode is off.');
    expect(bed.site.folderOf(component)).toEqual([]);
    expect(bed.restores).toEqual([]);
    expect(bed.site.maintenance).toBe(false);
  });

  it('upgrade.php failing half-way: database put back, then the folder removed, then maintenance off', async () => {
    const { zip, pkg } = fakePackage(component, 2024100300);
    const bed = jobBed({ zip, pkg });
    bed.site.faults = { upgradeFailsHalfway: true };
    const error = await failure(installPlugin(bed.deps, target(zip)));
    expect(error.text('en')).toContain(
      'admin/cli/upgrade.php exited with 1: Default exception handler',
    );
    expect(error.text('en')).toContain(
      'The database was put back from the backup taken before; the plugin’s folder was removed; maintenance mode is off.',
    );
    expect(error.text('ru')).toContain('База данных возвращена');
    expect(bed.site.db.has(component)).toBe(false);
    expect(bed.site.folderOf(component)).toEqual([]);
    expect(bed.site.maintenance).toBe(false);
    // The restore came after upgrade.php, and before the folder went.
    const upgrade = bed.site.calls.findIndex((c) => c.argv[1]?.endsWith('upgrade.php'));
    const rm = bed.site.calls.findLastIndex((c) => c.argv[0] === 'rm');
    expect(bed.restores).toHaveLength(1);
    expect(bed.restores[0]).toBeGreaterThan(upgrade);
    expect(bed.restores[0]).toBeLessThanOrEqual(rm);
  });

  it('upgrade.php exit 0 but the version not recorded: treated as a failure and undone', async () => {
    const { zip, pkg } = fakePackage(component, 2024100300);
    const bed = jobBed({ zip, pkg });
    bed.site.faults = { upgradeRecordsNothing: true };
    const error = await failure(installPlugin(bed.deps, target(zip)));
    expect(error.text('en')).toContain(
      'Moodle reports mod_attendance version "—", the package has 2024100300',
    );
    expect(bed.restores).toHaveLength(1);
    expect(bed.site.folderOf(component)).toEqual([]);
    expect(bed.site.maintenance).toBe(false);
  });

  it('an upgrade of an installed plugin that fails puts the old folder and the database back', async () => {
    const { zip, pkg } = fakePackage(component, 2024100300);
    const site = new ScriptedSite();
    site.installPlugin(component, 2023100900);
    const before = site.folderOf(component).map((p) => [p, site.files.get(p)]);
    site.faults = { upgradeFailsHalfway: true };
    const bed = jobBed({ site, zip, pkg });
    const error = await failure(installPlugin(bed.deps, target(zip)));
    expect(error.text('en')).toContain('the plugin’s previous folder was put back');
    expect(site.folderOf(component).map((p) => [p, site.files.get(p)])).toEqual(before);
    expect(site.typeDirEntries(component).some((p) => p.includes('/.pes-old-'))).toBe(false);
    expect(site.db.get(component)).toBe(2023100900);
    expect(site.maintenance).toBe(false);
  });

  it('an upgrade that works replaces the folder and leaves nothing aside', async () => {
    const { zip, pkg } = fakePackage(component, 2024100300);
    const site = new ScriptedSite();
    site.installPlugin(component, 2023100900);
    const bed = jobBed({ site, zip, pkg });
    const report = await installPlugin(bed.deps, target(zip));
    expect(report.previous).toBe(2023100900);
    expect(site.db.get(component)).toBe(2024100300);
    expect(site.typeDirEntries(component).some((p) => p.includes('/.pes-old-'))).toBe(false);
  });

  it('a package not newer than the installed plugin is refused before anything is copied', async () => {
    const { zip, pkg } = fakePackage(component, 2023100900);
    const site = new ScriptedSite();
    site.installPlugin(component, 2023100900);
    const bed = jobBed({ site, zip, pkg });
    const error = await failure(installPlugin(bed.deps, target(zip)));
    expect(error.text('en')).toContain('is not newer');
    expect(programs(bed)).not.toContain('mv');
    expect(site.maintenance).toBe(false);
  });

  it('a cancel in the middle of upgrade.php: database put back, folder removed, maintenance off', async () => {
    const { zip, pkg } = fakePackage(component, 2024100300);
    const bed = jobBed({ zip, pkg });
    bed.site.faults = { upgradeHangs: true };
    const running = installPlugin(bed.deps, target(zip));
    await bed.site.upgradeStarted;
    const reason = new UserError('job-cancelled', { id: 7 });
    bed.controller.abort(reason);
    const error = await failure(running);
    // The account of what was put back carries the cancel (the job runner reports it).
    expect(error.cause).toBe(reason);
    expect(error.text('en')).toContain(reason.text('en').replace(/\.$/, ''));
    expect(bed.restores).toHaveLength(1);
    expect(bed.site.folderOf(component)).toEqual([]);
    expect(bed.site.maintenance).toBe(false);
    expect(programs(bed).at(-1)).toBe('php maintenance.php --disable');
    // The backup's own signal was marked past its point of no return (as the real service
    // does), the job's was not: the runner reports a cancel, not a failure.
    expect(bed.backupSignals.map((s) => pastPointOfNoReturn(s))).toEqual([true]);
    expect(pastPointOfNoReturn(bed.controller.signal)).toBe(false);
  });

  it('a failure whose maintenance cannot be turned off says both', async () => {
    const { zip, pkg } = fakePackage(component, 2024100300);
    const bed = jobBed({ zip, pkg });
    bed.site.faults = { maintenanceOffFails: true, tarFails: true };
    const error = await failure(installPlugin(bed.deps, target(zip)));
    expect(error.text('en')).toContain('tar exited with 2');
    expect(error.text('en')).toContain('maintenance mode could NOT be turned off');
  });

  it('an install whose maintenance cannot be turned off says it is installed, and how to turn it off', async () => {
    const { zip, pkg } = fakePackage(component, 2024100300);
    const bed = jobBed({ zip, pkg });
    bed.site.faults = { maintenanceOffFails: true };
    const error = await failure(installPlugin(bed.deps, target(zip)));
    expect(error.code).toBe('plugin-installed-maintenance-on');
    expect(error.text('en')).toContain(
      'is installed (version 2024100300), but maintenance mode could NOT be turned off',
    );
    expect(error.text('en')).toContain('admin/cli/maintenance.php --disable');
    expect(bed.restores).toEqual([]);
  });
});
