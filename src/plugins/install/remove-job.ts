/**
 * Removing one plugin: backup → maintenance on → Moodle's uninstall_plugins.php --run (its
 * tables, settings and files go) → the plugin's folder removed (else the next upgrade would
 * install it again) → caches purged → maintenance off, on every path. When the uninstall
 * fails after it started, the database is put back from this job's own backup and the
 * folder stays: the plugin is as it was.
 */
import type { BackupReport } from '../../core/backup.ts';
import { passPointOfNoReturn } from '../../core/context-commit.ts';
import { UserError } from '../../core/errors.ts';
import { installedVersion } from '../site.ts';
import { journalSnapshot, splitName, type InstallJobDeps } from './install-job.ts';
import { noJournal } from './journal.ts';
import { lastLine, MoodleCli, requireSuccess } from './moodle-cli.ts';
import { reasonOf, shortReason, undoSentence, undoTexts, type UndoNote } from './undo-texts.ts';

export type RemoveJobDeps = Omit<InstallJobDeps, 'download' | 'pkg'>;

export interface RemoveReport {
  readonly component: string;
  readonly version: number;
  readonly backupJob: string;
  readonly maintenanceMs: number;
}

export async function removePlugin(d: RemoveJobDeps, component: string): Promise<RemoveReport> {
  const { signal, exec } = d;
  const now = d.now ?? (() => performance.now());
  const { type, name } = splitName(component);
  d.progress('site', 0.01);
  const site = await d.readSite(signal);
  const typeDir = site.typeDirs.get(type);
  if (typeDir === undefined)
    throw new UserError('plugin-install-type-unknown', { service: d.service, type });
  const installed = await installedVersion((argv) => exec(argv, {}, signal), site, component);
  if (installed === undefined) throw new UserError('plugin-not-installed', { component });
  const folder = `${typeDir}/${name}`;
  const cli = new MoodleCli(exec, site, { webUser: d.webUser, php: d.php });

  d.progress('backup', 0.02);
  let backup: BackupReport;
  try {
    backup = await d.backup(
      (step) => d.progress('backup', 0.02 + step.fraction * 0.5, step),
      // A signal of its own: the BackupService marks the signal it is given past the point of
      // no return once the backup is stored (src/backup/service.ts), which is this job's
      // point only once the plugin is installed or removed.
      AbortSignal.any([signal]),
    );
  } catch (error) {
    throw removeFailed(component, error, [{ text: undoTexts.untouched }], signal);
  }
  const undoSignal = (): AbortSignal => AbortSignal.timeout(d.undoMs ?? 15 * 60_000);
  const journal = d.journal ?? noJournal;
  const notes: UndoNote[] = [];
  let maintenanceFrom: number | undefined;
  let uninstallStarted = false;
  let uninstalled = false;
  let failure: unknown;
  try {
    signal.throwIfAborted();
    d.progress('maintenance', 0.55);
    // Journaled before each change, for the next start if the bot dies (journal.ts).
    journal.note({
      targetDir: folder,
      maintenanceOn: true,
      backupSnapshot: journalSnapshot(backup),
    });
    maintenanceFrom = now();
    await cli.must('maintenance.php', ['--enable'], signal);
    d.progress('upgrade', 0.6);
    journal.note({ upgradeStarted: true });
    // Moodle's uninstall_plugins.php exits 0 when it refuses ("Can not be uninstalled: …",
    // "Unknown plugin: …"); only its "Uninstalling: <component>" line says the data went
    // (test/fakes/moodle-site/tree/admin/cli/uninstall_plugins.php follows Moodle's script).
    const result = await cli.run(
      'uninstall_plugins.php',
      [`--plugins=${component}`, '--run'],
      signal,
    );
    const said = saidUninstalling(result.stdout, component);
    // A crash after it began may have dropped part of the data: put back from the backup.
    uninstallStarted = said || result.exitCode !== 0;
    requireSuccess('admin/cli/uninstall_plugins.php', result);
    if (!said) {
      throw new UserError('plugin-uninstall-refused', { component, output: lastLine(result) });
    }
    // And the site no longer records the plugin: cfg.php exits 3 for a setting not there.
    const left = await cli.run('cfg.php', [`--component=${component}`, '--name=version'], signal);
    if (left.exitCode !== 3) {
      throw new UserError('plugin-uninstall-refused', {
        component,
        output:
          left.exitCode === 0
            ? `version ${left.stdout.trim().slice(0, 40)} still recorded`
            : `cfg.php exit ${String(left.exitCode)}: ${lastLine(left)}`,
      });
    }
    uninstalled = true;
    // The database no longer has the plugin: for the next start too, the folder must go (an
    // upgrade would install it again), then maintenance off; nothing to restore.
    journal.note({ upgradeStarted: false, createdFolder: true });
    // Uninstalled in the database: the folder goes even if the job is cancelled now.
    passPointOfNoReturn(signal);
    const tidy = undoSignal();
    d.progress('copy', 0.85);
    const rm = await exec(['rm', '-rf', '--', folder], {}, tidy).catch((e: unknown) => e);
    if (!(typeof rm === 'object' && rm !== null && 'exitCode' in rm && rm.exitCode === 0)) {
      // Uninstalled all the same; the folder left would be installed again by an upgrade.
      throw new UserError('plugin-step-failed', {
        what: 'rm',
        exit: typeof rm === 'object' && rm !== null && 'exitCode' in rm ? String(rm.exitCode) : '—',
        output: folder,
      });
    }
    // Moodle records a hash of every version.php on disk; with the folder gone it no longer
    // matches and an upgrade is pending (lib/upgradelib.php moodle_needs_upgrading(), as the
    // test site's), which would stop the next install's check. upgrade.php with nothing to
    // install records the new hash, as the web interface does after an uninstall.
    d.progress('purge', 0.9);
    await cli.run('upgrade.php', ['--non-interactive'], tidy).catch(() => undefined);
    d.progress('purge', 0.92);
    await cli.run('purge_caches.php', [], tidy).catch(() => undefined);
  } catch (error) {
    failure = error;
    if (uninstalled) {
      notes.push({ text: undoTexts.folderLeft, params: { folder, reason: shortReason(error) } });
    } else if (uninstallStarted) {
      d.progress('undo', 0.9);
      try {
        await d.restoreDatabase(backup, () => undefined, undoSignal());
        notes.push({ text: undoTexts.databaseBack });
      } catch (restoreError) {
        notes.push({
          text: undoTexts.databaseLeft,
          params: { reason: shortReason(restoreError), job: backup.job },
        });
      }
    } else if (!uninstallStarted) notes.push({ text: undoTexts.untouched });
  } finally {
    if (maintenanceFrom !== undefined) {
      d.progress('maintenance-off', 0.97);
      const off = await cli
        .run('maintenance.php', ['--disable'], undoSignal())
        .then((r) => requireSuccess('admin/cli/maintenance.php', r))
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      if (off === undefined) notes.push({ text: undoTexts.maintenanceOff });
      else {
        notes.push({ text: undoTexts.maintenanceLeft, params: { reason: shortReason(off) } });
        failure ??= off;
      }
    }
    journal.end();
  }
  if (failure !== undefined) throw removeFailed(component, failure, notes, signal);
  return {
    component,
    version: installed.version,
    backupJob: backup.job,
    maintenanceMs: now() - (maintenanceFrom ?? now()),
  };
}

/** True when uninstall_plugins.php's output has the line "Uninstalling: <component>…". */
function saidUninstalling(stdout: string, component: string): boolean {
  return stdout
    .split('\n')
    .some(
      (line) =>
        line === `Uninstalling: ${component}` || line.startsWith(`Uninstalling: ${component}\t`),
    );
}

function removeFailed(
  component: string,
  error: unknown,
  notes: readonly UndoNote[],
  signal: AbortSignal,
): UserError {
  const why = signal.aborted ? reasonOf(signal.reason) : reasonOf(error);
  return new UserError(
    'plugin-remove-failed',
    {
      component,
      reasonRu: why.ru.replace(/\.$/, ''),
      reasonEn: why.en.replace(/\.$/, ''),
      undoneRu: undoSentence(notes, 'ru'),
      undoneEn: undoSentence(notes, 'en'),
    },
    { cause: signal.aborted ? signal.reason : error },
  );
}
