/**
 * What a job that changed a service left behind when the bot died under it, read at the next
 * start from the platform (and, for a restore, from the backup ledger), in words that say
 * exactly what state the service is in and what to run. Nothing is repaired here: a restore
 * cut short may have left half of the data in place, and starting the service on it, or
 * putting back containers of an update, is a decision for a person who has read this.
 */
import type { App } from '../app.ts';
import type { ServiceDefinition } from '../core/catalog.ts';
import { isUserError } from '../core/errors.ts';
import { localize, type Text } from '../core/i18n.ts';
import type { JobRecord } from '../core/jobs.ts';
import type { ContainerStatus, Platform } from '../core/platform.ts';
import { SqliteBackupLedger } from '../store/backup-repo.ts';

const texts = {
  leftover: {
    ru: '{service}: обновление не закончено, прежние контейнеры отложены как {containers}. Вернуть их: rollback {service}',
    en: '{service}: the update did not finish; the previous containers are set aside as {containers}. To put them back: rollback {service}',
  },
  running: {
    ru: '{service} работает: {containers}.',
    en: '{service} is running: {containers}.',
  },
  notRunning: {
    ru: '{service} работает не полностью: {containers}. Запустить: restart {service}',
    en: '{service} is not fully running: {containers}. To start it: restart {service}',
  },
  missing: {
    ru: 'У {service} нет контейнеров; проверьте: status {service}',
    en: '{service} has no containers; check it: status {service}',
  },
  again: {
    ru: ' Если это не то, что нужно, повторите: {text}',
    en: ' If that is not what you wanted, run it again: {text}',
  },
  restoreDown: {
    ru: '{service} остановлен ({containers}); его данные могли быть восстановлены лишь частично. Вернуть состояние до восстановления: restore {service} {safety}; или восстановить заново: {text}',
    en: '{service} is stopped ({containers}); its data may be only partly restored. To return to the state before the restore: restore {service} {safety}; or to restore again: {text}',
  },
  restoreDownNoSafety: {
    ru: '{service} остановлен ({containers}); его данные могли быть восстановлены лишь частично. Восстановить заново: {text}; запустить как есть: restart {service}',
    en: '{service} is stopped ({containers}); its data may be only partly restored. To restore again: {text}; to start it as it is: restart {service}',
  },
  restoreStopped: {
    ru: '{service}: восстановление прервано, сервис остановлен (0 реплик; до остановки: {replicas}); его данные могли быть восстановлены лишь частично. Вернуть состояние до восстановления: restore {service} {safety}; или восстановить заново: {text}; запустить как есть, с прежним числом реплик: restart {service}',
    en: '{service}: the restore was cut short and the service is stopped (0 replicas; before the stop: {replicas}); its data may be only partly restored. To return to the state before the restore: restore {service} {safety}; or to restore again: {text}; to start it as it is, with its replicas as before: restart {service}',
  },
  restoreStoppedNoSafety: {
    ru: '{service}: восстановление прервано, сервис остановлен (0 реплик; до остановки: {replicas}); его данные могли быть восстановлены лишь частично, страховой копии нет. Восстановить заново: {text}; запустить как есть, с прежним числом реплик: restart {service}',
    en: '{service}: the restore was cut short and the service is stopped (0 replicas; before the stop: {replicas}); its data may be only partly restored, and there is no safety backup. To restore again: {text}; to start it as it is, with its replicas as before: restart {service}',
  },
  restoreUntouched: {
    ru: '{service} работает ({containers}); восстановление не успело ничего изменить (бот остановился на страховой копии).',
    en: '{service} is running ({containers}); the restore had changed nothing yet (the bot stopped during the safety backup).',
  },
  restoreStarted: {
    ru: '{service} работает ({containers}) на восстановленных данных: восстановление дошло до запуска. Вернуть состояние до него: restore {service} {safety}',
    en: '{service} is running ({containers}) on the restored data: the restore had reached its start. To return to the state before it: restore {service} {safety}',
  },
  plugin: {
    ru: '{service}: «{text}» прервано. Moodle может остаться в режиме обслуживания, с наполовину скопированной папкой плагина или прерванным upgrade.php; проверьте сайт (admin/cli/maintenance.php, admin/cli/upgrade.php --is-pending).',
    en: '{service}: "{text}" was interrupted. Moodle may be left in maintenance mode, with the plugin’s folder half-copied or upgrade.php cut short; check the site (admin/cli/maintenance.php, admin/cli/upgrade.php --is-pending).',
  },
  pluginBackup: {
    ru: ' Копия до изменения: restore {service} {backup}',
    en: ' The backup from before the change: restore {service} {backup}',
  },
  unknown: {
    ru: 'Состояние {service} узнать не удалось ({reason}); проверьте: status {service}',
    en: 'The state of {service} could not be read ({reason}); check it: status {service}',
  },
} as const;

const stateWords: Readonly<Record<ContainerStatus['state'], Text>> = {
  running: { ru: 'работает', en: 'running' },
  restarting: { ru: 'перезапускается', en: 'restarting' },
  paused: { ru: 'приостановлен', en: 'paused' },
  created: { ru: 'создан, не запущен', en: 'created, not started' },
  exited: { ru: 'остановлен', en: 'stopped' },
  dead: { ru: 'мёртв', en: 'dead' },
  removing: { ru: 'удаляется', en: 'being removed' },
};

/** Commands that change a service's containers or data; the others leave nothing to say. */
const changing = new Set([
  'restore',
  'update',
  'rollback',
  'scale',
  'restart',
  'plugin-install',
  'plugin-remove',
]);

/** How long reading a service's state may take at start-up. */
const defaultTimeoutMs = 10_000;

export interface LeftStateDeps {
  readonly services: ReadonlyMap<string, ServiceDefinition>;
  /** Only reads: the state, and an update plan to the images that run now. */
  readonly platform: (service: ServiceDefinition) => Pick<Platform, 'status' | 'planUpdate'>;
  /**
   * The snapshots a job of the service recorded as complete (their job tag and when); for a
   * restore, its safety backup. Absent without backups.
   */
  readonly recorded?: (service: string) => readonly {
    readonly snapshotId: string;
    readonly job: string;
    readonly createdAt: Date;
    /** The whole backup run finished (src/store/backup-repo.ts). */
    readonly complete: boolean;
  }[];
  readonly timeoutMs?: number;
}

/** Both languages of a template filled with the same values. */
function both(text: Text, params: Readonly<Record<string, string>>): Text {
  return { ru: localize(text, 'ru', params), en: localize(text, 'en', params) };
}

function join(a: Text, b: Text): Text {
  return { ru: a.ru + b.ru, en: a.en + b.en };
}

function containerList(containers: readonly ContainerStatus[]): Text {
  const list = (locale: 'ru' | 'en'): string =>
    containers
      .map((c) => {
        const image = c.tag === '' ? c.image : `${c.image}:${c.tag}`;
        return `${c.name} (${image}) ${stateWords[c.state][locale]}`;
      })
      .join(', ');
  return { ru: list('ru'), en: list('en') };
}

function withContainers(text: Text, params: Record<string, string>, list: Text): Text {
  return {
    ru: localize(text, 'ru', { ...params, containers: list.ru }),
    en: localize(text, 'en', { ...params, containers: list.en }),
  };
}

/** The safety snapshot a restore job made before it stopped the service, if it completed. */
function safetyOf(job: JobRecord, deps: LeftStateDeps, service: string): string | undefined {
  // Job tags are `<job id>-<start time>` (commands/backup-shared.ts); the time tells this
  // job apart from one of the same number in another state database.
  const mine = (deps.recorded?.(service) ?? []).filter(
    (m) =>
      m.complete &&
      m.job.startsWith(`${job.id}-`) &&
      m.createdAt.getTime() >= job.createdAt.getTime(),
  );
  return mine[0]?.snapshotId;
}

async function describe(
  job: JobRecord,
  service: ServiceDefinition,
  deps: LeftStateDeps,
  signal: AbortSignal,
): Promise<Text> {
  const name = service.name;
  const platform = deps.platform(service);
  if (job.command === 'update' || job.command === 'rollback' || job.command === 'scale') {
    // Planning an update to the images the containers run now changes nothing, and is
    // refused with the set-aside containers' names when an update left some.
    try {
      await platform.planUpdate(service, { kind: 'current' }, signal);
    } catch (error) {
      if (isUserError(error) && error.code === 'update-interrupted') {
        return both(texts.leftover, {
          service: name,
          containers: String(error.params['containers'] ?? ''),
        });
      }
    }
  }
  if (job.command === 'plugin-install' || job.command === 'plugin-remove') {
    // Its backup is tagged as the job's (src/plugins/install/job-deps.ts), as a restore's.
    const said = both(texts.plugin, { service: name, text: job.text });
    const backup = safetyOf(job, deps, name);
    return backup === undefined
      ? said
      : join(said, both(texts.pluginBackup, { service: name, backup }));
  }
  const status = await platform.status(service, signal);
  const stoppedFrom = status.workload?.stoppedFrom;
  if (job.command === 'restore' && stoppedFrom !== undefined) {
    // On a cluster the stop is a scale to 0 (no pods, so no containers to list); the
    // workload remembers its replicas, and `restart` scales back to them.
    const safety = safetyOf(job, deps, name);
    const params = { service: name, text: job.text, replicas: String(stoppedFrom) };
    return safety === undefined
      ? both(texts.restoreStoppedNoSafety, params)
      : both(texts.restoreStopped, { ...params, safety });
  }
  if (status.containers.length === 0) return both(texts.missing, { service: name });
  const list = containerList(status.containers);
  const allRunning = status.containers.every((c) => c.state === 'running');
  const params = { service: name, text: job.text };
  if (job.command === 'restore') {
    const safety = safetyOf(job, deps, name);
    if (!allRunning) {
      return safety === undefined
        ? withContainers(texts.restoreDownNoSafety, params, list)
        : withContainers(texts.restoreDown, { ...params, safety }, list);
    }
    return safety === undefined
      ? withContainers(texts.restoreUntouched, params, list)
      : withContainers(texts.restoreStarted, { ...params, safety }, list);
  }
  if (!allRunning) return withContainers(texts.notRunning, params, list);
  const running = withContainers(texts.running, params, list);
  return job.command === 'restart' ? running : join(running, both(texts.again, params));
}

/**
 * For each interrupted job that changed a service: what the service is left as and what to
 * run, by job id. Read in parallel, each within a time limit; a state that cannot be read is
 * said so, with the command that shows it.
 */
export async function leftStates(
  jobs: readonly JobRecord[],
  deps: LeftStateDeps,
): Promise<Map<number, Text>> {
  const states = new Map<number, Text>();
  await Promise.all(
    jobs.map(async (job) => {
      if (job.service === undefined || !changing.has(job.command)) return;
      const service = deps.services.get(job.service);
      if (service === undefined) return;
      const signal = AbortSignal.timeout(deps.timeoutMs ?? defaultTimeoutMs);
      try {
        states.set(job.id, await describe(job, service, deps, signal));
      } catch (error) {
        const reason = isUserError(error)
          ? undefined
          : error instanceof Error
            ? error.message
            : String(error);
        states.set(job.id, {
          ru: localize(texts.unknown, 'ru', {
            service: service.name,
            reason: isUserError(error) ? error.text('ru') : (reason ?? ''),
          }),
          en: localize(texts.unknown, 'en', {
            service: service.name,
            reason: isUserError(error) ? error.text('en') : (reason ?? ''),
          }),
        });
      }
    }),
  );
  return states;
}

/** The platform and the backup ledger of `pes serve`'s app. */
export function leftStateDepsOf(app: App): LeftStateDeps {
  const ledger = new SqliteBackupLedger(app.db);
  return {
    services: app.config.catalog.services,
    // Every service is on Docker for now (src/app.ts).
    platform: (service) => app.platform(service),
    recorded: (service) => ledger.manifests(service),
  };
}
