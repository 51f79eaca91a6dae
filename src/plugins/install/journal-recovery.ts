/**
 * At `pes serve` start, for each plugin job the journal (journal.ts) shows cut short by the
 * bot's death: before upgrade.php (or uninstall_plugins.php) started, the site is put back as
 * the job's own undo would have (its folder removed or the previous one put back, then
 * maintenance off) and the row deleted. Once it had started, the database may be
 * half-upgraded: maintenance stays on, the row is kept, and the admins are told which backup
 * to restore. A container that is not running keeps the row for the next start.
 */
import type { ServiceDefinition } from '../../core/catalog.ts';
import { isUserError } from '../../core/errors.ts';
import { localize, type Text } from '../../core/i18n.ts';
import type { Platform } from '../../core/platform.ts';
import { readSite } from '../site.ts';
import type { JournalEntry, JournalStore } from './journal.ts';
import { containerExec, moodleContainer, type MoodleAccessSettings } from './moodle-access.ts';
import { MoodleCli, requireSuccess } from './moodle-cli.ts';

export const recoveryTexts = {
  putBack: {
    ru: '{service}: после прерванной задачи ({component}) бот привёл сайт в порядок: {what}.',
    en: '{service}: after the interrupted job ({component}) the bot set the site right: {what}.',
  },
  folderRemoved: { ru: 'папка {folder} удалена', en: 'the folder {folder} was removed' },
  folderBack: {
    ru: 'прежняя папка {folder} возвращена',
    en: 'the previous folder {folder} was put back',
  },
  maintenanceOff: { ru: 'режим обслуживания выключен', en: 'maintenance mode is off' },
  staysInMaintenance: {
    ru: '{service} остаётся в режиме обслуживания: {script} для {component} был прерван и мог изменить базу лишь частично. Верните копию: restore {service} {snapshot}, затем admin/cli/maintenance.php --disable.',
    en: '{service} stays in maintenance mode: {script} for {component} was cut short and may have changed the database only partly. Restore the backup: restore {service} {snapshot}, then admin/cli/maintenance.php --disable.',
  },
  notNow: {
    ru: '{service}: сайт после прерванной задачи ({component}) вернуть не удалось ({reason}); бот попробует снова при следующем запуске.',
    en: '{service}: the site could not be put back after the interrupted job ({component}) ({reason}); the bot tries again at its next start.',
  },
} as const satisfies Record<string, Text>;

export interface RecoveryDeps {
  readonly journal: JournalStore;
  readonly services: ReadonlyMap<string, ServiceDefinition>;
  readonly platform: (service: ServiceDefinition) => Platform;
  readonly settings: MoodleAccessSettings & { readonly webUser: string; readonly php: string };
  /** True while the job's process still runs it (its row is its own then). */
  readonly running: (jobId: number) => boolean;
  readonly timeoutMs?: number;
}

function both(text: Text, params: Readonly<Record<string, string>>): Text {
  return { ru: localize(text, 'ru', params), en: localize(text, 'en', params) };
}

/** What was done or must be done for each journaled job, by job id, in both languages. */
export async function recoverPluginJobs(deps: RecoveryDeps): Promise<Map<number, Text>> {
  const said = new Map<number, Text>();
  for (const entry of deps.journal.all()) {
    if (deps.running(entry.jobId)) continue;
    const params = { service: entry.service, component: entry.component };
    if (entry.upgradeStarted) {
      said.set(
        entry.jobId,
        both(recoveryTexts.staysInMaintenance, {
          ...params,
          snapshot: entry.backupSnapshot ?? '—',
          // An install journals its folder before upgrade.php; a removal has none to make.
          script: entry.createdFolder ? 'upgrade.php' : 'uninstall_plugins.php',
        }),
      );
      continue;
    }
    const service = deps.services.get(entry.service);
    if (service === undefined) continue;
    const signal = AbortSignal.timeout(deps.timeoutMs ?? 60_000);
    try {
      const done = await putBack(entry, service, deps, signal);
      deps.journal.remove(entry.jobId);
      const what = (locale: 'ru' | 'en'): string =>
        done.map((t) => localize(t.text, locale, { folder: entry.targetDir })).join(', ');
      said.set(entry.jobId, {
        ru: localize(recoveryTexts.putBack, 'ru', { ...params, what: what('ru') }),
        en: localize(recoveryTexts.putBack, 'en', { ...params, what: what('en') }),
      });
    } catch (error) {
      const reason = (locale: 'ru' | 'en'): string =>
        isUserError(error)
          ? error.text(locale).replace(/\.$/, '')
          : error instanceof Error
            ? error.message
            : String(error);
      said.set(entry.jobId, {
        ru: localize(recoveryTexts.notNow, 'ru', { ...params, reason: reason('ru') }),
        en: localize(recoveryTexts.notNow, 'en', { ...params, reason: reason('en') }),
      });
    }
  }
  return said;
}

/** Undoes what the row says the job did, in the job's own undo order; throws on a failure. */
async function putBack(
  entry: JournalEntry,
  service: ServiceDefinition,
  deps: RecoveryDeps,
  signal: AbortSignal,
): Promise<{ text: Text }[]> {
  const reach = { platform: deps.platform, signal };
  const exec = containerExec(reach, service, await moodleContainer(reach, service, deps.settings));
  const done: { text: Text }[] = [];
  const folder = entry.targetDir;
  if (entry.asideDir !== undefined) {
    // Set aside is journaled before the move: only a folder that is there now was moved.
    if ((await exec(['test', '-e', entry.asideDir], {}, signal)).exitCode === 0) {
      requireSuccess('rm', await exec(['rm', '-rf', '--', folder], {}, signal));
      requireSuccess('mv', await exec(['mv', '--', entry.asideDir, folder], {}, signal));
      done.push({ text: recoveryTexts.folderBack });
    }
  } else if (entry.createdFolder) {
    // The job checked the folder was not there before it wrote into it.
    requireSuccess('rm', await exec(['rm', '-rf', '--', folder], {}, signal));
    done.push({ text: recoveryTexts.folderRemoved });
  }
  if (entry.maintenanceOn) {
    const site = await readSite((argv) => exec(argv, {}, signal), deps.settings.root);
    const cli = new MoodleCli(exec, site, deps.settings);
    await cli.must('maintenance.php', ['--disable'], signal);
    done.push({ text: recoveryTexts.maintenanceOff });
  }
  return done;
}
