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

/** The longest gap between the next runs of a cron schedule, in seconds. */
export function cronIntervalSeconds(
  cron: string,
  timezone: string | undefined,
  from: Date,
): number {
  const job = new Cron(cron, { paused: true, ...(timezone === undefined ? {} : { timezone }) });
  // A year of a daily schedule; a weekly or monthly one shows its longest gap sooner.
  const runs = job.nextRuns(400, from);
  job.stop();
  let longest = 0;
  if (runs.length < 2) return longest;
  runs.reduce((previous, run) => {
    longest = Math.max(longest, (run.getTime() - previous.getTime()) / 1000);
    return run;
  });
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
  for (const service of catalog.services.values()) {
    const { schedule, drill: drillCron } = service.backup ?? {};
    if (schedule !== undefined) {
      backup.set({ service: service.name }, cronIntervalSeconds(schedule, catalog.timeZone, now));
    }
    if (drillCron !== undefined) {
      drill.set({ service: service.name }, cronIntervalSeconds(drillCron, catalog.timeZone, now));
    }
  }
}
