/**
 * Installing (or upgrading) one plugin on the Moodle site: download → MD5 → safe unpack and
 * Moodle's validator checks (nothing on the site changes up to here) → backup → maintenance
 * on → copy into the type's directory with the web server's owner → upgrade.php → the
 * installed version read back → caches purged → maintenance off. The download and the checks
 * come first so that the site spends no maintenance time on them and a bad package costs no
 * backup.
 *
 * A failing backup stops everything before maintenance. Once maintenance is on it goes off
 * again on every path, a cancel included: the undo runs under its own time limit, not the
 * job's (cancelled) signal. On a failure the plugin's folder is removed if this job made it
 * (an upgrade puts the old folder back), and once upgrade.php has started the database is put
 * back from this job's own backup, before the folder (the restore stops the service, which
 * also ends an upgrade.php still running after a cancel).
 */
import {
  sourceKind,
  type BackupReport,
  type BackupStep,
  type BackupStepReporter,
} from '../../core/backup.ts';
import { passPointOfNoReturn } from '../../core/context-commit.ts';
import { UserError } from '../../core/errors.ts';
import { installedVersion, type Site } from '../site.ts';
import type { Download } from './download.ts';
import { noJournal, type JobJournal } from './journal.ts';
import { MoodleCli, requireSuccess, type ContainerExec } from './moodle-cli.ts';
import type { PluginPackage } from './package-port.ts';
import {
  isClean,
  reasonOf,
  shortReason,
  undoSentence,
  undoTexts,
  type UndoNote,
} from './undo-texts.ts';
import { webOwner } from './web-owner.ts';

export type InstallStep =
  | 'site'
  | 'backup'
  | 'maintenance'
  | 'download'
  | 'check'
  | 'copy'
  | 'upgrade'
  | 'verify'
  | 'purge'
  | 'undo'
  | 'maintenance-off';

export interface InstallTarget {
  readonly component: string;
  readonly downloadUrl: string;
  readonly md5: string | undefined;
}

export interface InstallJobDeps {
  readonly exec: ContainerExec;
  readonly readSite: (signal: AbortSignal) => Promise<Site>;
  readonly backup: (onStep: BackupStepReporter, signal: AbortSignal) => Promise<BackupReport>;
  /** Puts the database back from `backup` (its database sources only). */
  readonly restoreDatabase: (
    backup: BackupReport,
    onStep: BackupStepReporter,
    signal: AbortSignal,
  ) => Promise<void>;
  readonly download: Download;
  readonly pkg: PluginPackage;
  readonly webUser: string;
  readonly php: string;
  /** The Moodle service's name, for the texts. */
  readonly service: string;
  readonly progress: (step: InstallStep, fraction: number, detail?: BackupStep) => void;
  readonly signal: AbortSignal;
  /** The time the undo may take once the job's own signal is spent (default 15 min). */
  readonly undoMs?: number;
  readonly now?: () => number;
  /** What the job has changed so far, for the next start if the bot dies (journal.ts). */
  readonly journal?: JobJournal;
}

export interface InstallReport {
  readonly component: string;
  readonly version: number;
  readonly release: string | undefined;
  /** The version that was there before, for an upgrade. */
  readonly previous: number | undefined;
  readonly backupJob: string;
  /** From maintenance on to maintenance off. */
  readonly maintenanceMs: number;
  readonly upgradeMs: number;
  /** purge_caches.php failed after the plugin was installed: said, not undone. */
  readonly purgeProblem: string | undefined;
}

/** The type and the name of `type_name` (the name may hold `_`: `local_my_thing`). */
export function splitName(component: string): { type: string; name: string } {
  const cut = component.indexOf('_');
  return { type: component.slice(0, cut), name: component.slice(cut + 1) };
}

/** The backup's share of the progress bar; the rest is the install's own steps. */
const backupShare = 0.4;

export async function installPlugin(
  d: InstallJobDeps,
  target: InstallTarget,
): Promise<InstallReport> {
  const { signal } = d;
  const now = d.now ?? (() => performance.now());
  const { type, name } = splitName(target.component);
  d.progress('site', 0.01);
  const site = await d.readSite(signal);
  const typeDir = site.typeDirs.get(type);
  if (typeDir === undefined)
    throw new UserError('plugin-install-type-unknown', { service: d.service, type });
  const folder = `${typeDir}/${name}`;
  const exec = d.exec;
  const before = await installedVersion((argv) => exec(argv, {}, signal), site, target.component);
  const cli = new MoodleCli(exec, site, { webUser: d.webUser, php: d.php });

  // Nothing on the site changes until the backup: a failure here leaves it untouched.
  let prepared: Awaited<ReturnType<PluginPackage['prepare']>>;
  try {
    d.progress('download', 0.03);
    const zip = await d.download(target.downloadUrl, signal);
    d.progress('check', 0.1);
    d.pkg.checkDownload(zip, target.md5);
    prepared = await d.pkg.prepare(zip, target.component, site, async (component) => {
      const v = await installedVersion((argv) => exec(argv, {}, signal), site, component);
      return v?.version;
    });
    if (before !== undefined && prepared.plugin.version <= before.version) {
      throw new UserError('plugin-install-not-newer', {
        component: target.component,
        installed: before.version,
        version: prepared.plugin.version,
      });
    }
    if (before === undefined && (await exec(['test', '-e', folder], {}, signal)).exitCode === 0) {
      throw new UserError('plugin-install-folder-exists', { folder });
    }
  } catch (error) {
    throw failed(target.component, error, [{ text: undoTexts.untouched }], signal);
  }
  const version = prepared.plugin.version;

  // The database is put back on a failure from this backup, taken before maintenance: what
  // the site wrote between the backup and maintenance on is lost on such a rollback.
  d.progress('backup', 0.15);
  let backup: BackupReport;
  try {
    backup = await d.backup(
      (step) => d.progress('backup', 0.15 + step.fraction * backupShare, step),
      // A signal of its own: the BackupService marks the signal it is given past the point of
      // no return once the backup is stored (src/backup/service.ts), which is this job's
      // point only once the plugin is installed or removed.
      AbortSignal.any([signal]),
    );
  } catch (error) {
    throw failed(target.component, error, [{ text: undoTexts.untouched }], signal);
  }

  const undoSignal = (): AbortSignal => AbortSignal.timeout(d.undoMs ?? 15 * 60_000);
  const journal = d.journal ?? noJournal;
  const notes: UndoNote[] = [];
  let maintenanceFrom: number | undefined;
  let folderMade = false;
  let aside: string | undefined;
  let upgradeStarted = false;
  let failure: unknown;
  let stuck: unknown;
  let report: InstallReport | undefined;
  try {
    signal.throwIfAborted();
    d.progress('maintenance', 0.57);
    // Counted as on from the call: a script that failed half-way may have written the flag.
    // Each change is journaled before it is made, so that a death in the middle of it is
    // undone at the next start too.
    journal.note({
      targetDir: folder,
      maintenanceOn: true,
      backupSnapshot: journalSnapshot(backup),
    });
    maintenanceFrom = now();
    await cli.must('maintenance.php', ['--enable'], signal);

    d.progress('copy', 0.6);
    if (before !== undefined) {
      // Set aside inside the type's directory (same file system, so a rename); a name that
      // starts with a dot is no valid plugin name, so Moodle does not take it for one.
      const asidePath = `${typeDir}/.pes-old-${name}`;
      journal.note({ asideDir: asidePath });
      await exec(['rm', '-rf', '--', asidePath], {}, signal);
      requireSuccess('mv', await exec(['mv', '--', folder, asidePath], {}, signal));
      aside = asidePath;
    }
    // Counted as made from here: a tar that failed half-way leaves part of it.
    folderMade = true;
    journal.note({ createdFolder: true });
    const owner = await webOwner(exec, d.webUser, signal);
    requireSuccess(
      'tar',
      await exec(prepared.extractArgv(typeDir), { stdin: prepared.tar(owner) }, signal),
    );

    d.progress('upgrade', 0.7);
    upgradeStarted = true;
    journal.note({ upgradeStarted: true });
    const upgradeFrom = now();
    await cli.must('upgrade.php', ['--non-interactive'], signal);
    const upgradeMs = now() - upgradeFrom;

    // Exit 0 from upgrade.php does not prove the plugin is installed (FIELD-NOTES): its
    // version is read back from the site's own configuration.
    d.progress('verify', 0.88);
    const read = await cli.run(
      'cfg.php',
      [`--component=${target.component}`, '--name=version'],
      signal,
    );
    // cfg.php exits 3 for a setting that is not there (admin/cli/cfg.php): not recorded.
    const found =
      read.exitCode === 3 ? '' : requireSuccess('admin/cli/cfg.php', read).stdout.trim();
    if (found !== String(version)) {
      throw new UserError('plugin-version-mismatch', {
        component: target.component,
        found: found === '' ? '—' : found.slice(0, 40),
        version,
      });
    }
    // Installed: a cancel from here on no longer undoes it.
    passPointOfNoReturn(signal);
    // Nor does the next start: the plugin is whole, only maintenance is left to turn off (the
    // set-aside previous folder is a dot folder Moodle does not read).
    journal.note({ createdFolder: false, asideDir: undefined, upgradeStarted: false });

    d.progress('purge', 0.92);
    const tidy = undoSignal();
    const purge = await cli.run('purge_caches.php', [], tidy).catch((e: unknown) => e);
    const purgeProblem =
      purge instanceof Error
        ? shortReason(purge)
        : purge !== null && typeof purge === 'object' && 'exitCode' in purge && purge.exitCode !== 0
          ? `exit ${String(purge.exitCode)}`
          : undefined;
    if (aside !== undefined)
      await exec(['rm', '-rf', '--', aside], {}, tidy).catch(() => undefined);
    report = {
      component: target.component,
      version,
      release: prepared.plugin.release,
      previous: before?.version,
      backupJob: backup.job,
      maintenanceMs: 0,
      upgradeMs,
      purgeProblem,
    };
  } catch (error) {
    failure = error;
    await undo();
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
      else if (failure === undefined && report !== undefined) stuck = off;
      else {
        notes.push({ text: undoTexts.maintenanceLeft, params: { reason: shortReason(off) } });
        failure ??= off;
      }
    }
    // The job ends here and says itself what it left: nothing is left for the next start.
    journal.end();
  }
  if (stuck !== undefined && report !== undefined) {
    // Installed, but the site stays in maintenance: that is what people must hear.
    throw new UserError('plugin-installed-maintenance-on', {
      component: target.component,
      version: report.version,
      release: report.release ?? String(report.version),
      reason: shortReason(stuck),
    });
  }
  if (failure !== undefined || report === undefined) {
    throw failed(target.component, failure, notes, signal);
  }
  return { ...report, maintenanceMs: now() - (maintenanceFrom ?? now()) };

  async function undo(): Promise<void> {
    d.progress('undo', 0.9);
    const limit = undoSignal();
    if (upgradeStarted) {
      try {
        await d.restoreDatabase(backup, () => undefined, limit);
        notes.push({ text: undoTexts.databaseBack });
      } catch (error) {
        notes.push({
          text: undoTexts.databaseLeft,
          params: { reason: shortReason(error), job: backup.job },
        });
      }
    }
    if (folderMade) {
      try {
        requireSuccess('rm', await exec(['rm', '-rf', '--', folder], {}, limit));
        if (aside !== undefined) {
          requireSuccess('mv', await exec(['mv', '--', aside, folder], {}, limit));
          notes.push({ text: undoTexts.folderBack });
        } else notes.push({ text: undoTexts.folderRemoved });
      } catch (error) {
        notes.push({ text: undoTexts.folderLeft, params: { folder, reason: shortReason(error) } });
      }
    } else if (aside !== undefined) {
      // Moved aside, nothing copied yet: put it back where it was.
      await exec(['mv', '--', aside, folder], {}, limit).then(
        () => notes.push({ text: undoTexts.folderBack }),
        (error: unknown) =>
          notes.push({
            text: undoTexts.folderLeft,
            params: { folder, reason: shortReason(error) },
          }),
      );
    } else if (!upgradeStarted) notes.push({ text: undoTexts.untouched });
  }
}

/** The snapshot `restore <service> <snapshot>` takes for the job's backup: its database's. */
export function journalSnapshot(backup: BackupReport): string | undefined {
  const database = backup.sources.find((s) => sourceKind(s.source) === 'database');
  return (database ?? backup.sources[0])?.snapshotId;
}

/**
 * The one-line account of a failed install: why, and what was put back. A cancel is carried
 * as the cause, so the job runner reports this account rather than a bare "cancelled".
 */
export function failed(
  component: string,
  error: unknown,
  notes: readonly UndoNote[],
  signal: AbortSignal,
): UserError {
  const why = signal.aborted ? reasonOf(signal.reason) : reasonOf(error);
  return new UserError(
    'plugin-install-failed',
    {
      component,
      reasonRu: why.ru.replace(/\.$/, ''),
      reasonEn: why.en.replace(/\.$/, ''),
      undoneRu: undoSentence(notes, 'ru'),
      undoneEn: undoSentence(notes, 'en'),
      // Whether everything was put back (the teachers hear "Moodle works as before" only then).
      clean: isClean(notes) ? 'yes' : 'no',
    },
    { cause: signal.aborted ? signal.reason : error },
  );
}
