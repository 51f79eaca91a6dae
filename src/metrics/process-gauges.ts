/**
 * What the bot is and how it is connected: build info, whether each messenger's live
 * connection is up, the alert path's counters, and the intervals of the backup and drill
 * schedules (what the alert rules compare a backup's age with).
 */
import { Cron } from 'croner';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { AlertCounters, AlertCounts } from '../alerts/counters.ts';
import type { Catalog } from '../core/catalog.ts';

export function registerBuildInfo(registry: Registry, version: string): void {
  new Gauge({
    name: 'pes_build_info',
    help: 'Always 1; the labels say which version of the bot runs on which Node.js.',
    labelNames: ['version', 'node_version'],
    registers: [registry],
  }).set({ version, node_version: process.versions.node }, 1);
}

/** Whether each messenger's connection is up now, read at scrape time. */
export function registerConnections(
  registry: Registry,
  probes: Readonly<Record<string, () => boolean>>,
): void {
  new Gauge({
    name: 'pes_messenger_connected',
    help: '1 while the live connection to a messenger is up (Mattermost WebSocket, Matrix sync).',
    labelNames: ['messenger'],
    registers: [registry],
    collect() {
      for (const [messenger, up] of Object.entries(probes)) this.set({ messenger }, up() ? 1 : 0);
    },
  });
}

const alertHelp: Readonly<Record<keyof AlertCounts, string>> = {
  received: 'Alertmanager notifications accepted and stored.',
  deduplicated: 'Re-sent notifications recognised and not posted again.',
  rejected: 'Receiver requests refused (credentials, size, malformed or invalid payload).',
  posted: 'Alert posts and edits written to the outbox.',
  failed: 'Notifications that could not be stored or delivered.',
};

/** The alert path's own counters (src/alerts/counters.ts), as they are at the scrape. */
export function registerAlertCounters(registry: Registry, counters: AlertCounters): void {
  for (const key of Object.keys(alertHelp) as (keyof AlertCounts)[]) {
    new Counter({
      name: `pes_alerts_${key}_total`,
      help: alertHelp[key],
      registers: [registry],
      collect() {
        this.reset();
        this.inc(counters.snapshot()[key]);
      },
    });
  }
}

/** How far ahead a schedule is read: a year, for monthly and yearly patterns. */
const spanMs = 400 * 24 * 60 * 60 * 1000;
/**
 * At most this many runs are read. A count alone is not enough (400 runs of `*\/15 * * * 1-5`
 * end before the first weekend, whose gap is the longest); this many still reach past 8 days,
 * and so past a week's longest gap, for a schedule that runs every minute on every day.
 */
export const maxRunsRead = 12_000;

/** The longest gap between the next runs of a cron schedule, in seconds. */
export function cronIntervalSeconds(
  cron: string,
  timezone: string | undefined,
  from: Date,
): number {
  const job = new Cron(cron, { paused: true, ...(timezone === undefined ? {} : { timezone }) });
  const end = from.getTime() + spanMs;
  let longest = 0;
  let previous = job.nextRun(from);
  for (let n = 1; previous !== null && n < maxRunsRead; n++) {
    const run = job.nextRun(previous);
    if (run === null) break;
    longest = Math.max(longest, (run.getTime() - previous.getTime()) / 1000);
    if (run.getTime() > end) break;
    previous = run;
  }
  job.stop();
  return longest;
}

/** The configured backup and drill schedules' intervals, per service. */
export function registerScheduleIntervals(registry: Registry, catalog: Catalog, now: Date): void {
  const backup = new Gauge({
    name: 'pes_backup_schedule_interval_seconds',
    help: 'Longest gap between two scheduled backups of a service (services.<name>.backup.schedule).',
    labelNames: ['service'],
    registers: [registry],
  });
  const drill = new Gauge({
    name: 'pes_restore_drill_schedule_interval_seconds',
    help: 'Longest gap between two scheduled restore drills of a service (backup.drill).',
    labelNames: ['service'],
    registers: [registry],
  });
  // Services often share a schedule; a frequent one costs thousands of runs to read.
  const known = new Map<string, number>();
  const interval = (cron: string): number => {
    const seconds = known.get(cron) ?? cronIntervalSeconds(cron, catalog.timeZone, now);
    known.set(cron, seconds);
    return seconds;
  };
  for (const service of catalog.services.values()) {
    const { schedule, drill: drillCron } = service.backup ?? {};
    if (schedule !== undefined) backup.set({ service: service.name }, interval(schedule));
    if (drillCron !== undefined) drill.set({ service: service.name }, interval(drillCron));
  }
}
