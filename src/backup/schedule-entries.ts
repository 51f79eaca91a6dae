/**
 * The schedules a configuration asks for: per service `backup.schedule` (a backup) and
 * `backup.drill` (verify: check and restore drill), and the prune of the repository
 * (`backup.prune`), since retention only forgets snapshots and their space is freed by
 * prune. Results go to the room named `backups` in `rooms:`, else the terminal.
 */
import type { Catalog } from '../core/catalog.ts';
import type { ScheduleEntry } from './schedules.ts';

/** Sunday 04:00: after the night's backups, before the week starts. */
export const pruneCron = '0 4 * * 0';

/** The name of the room in `rooms:` that gets the results of scheduled runs. */
export const scheduleRoomName = 'backups';

/**
 * `prune` is `backup.prune`: a cron expression prunes on it whatever else is scheduled;
 * `false` never; undefined is the default, `pruneCron` once anything else is scheduled.
 */
export function scheduleEntries(catalog: Catalog, prune?: string | false): ScheduleEntry[] {
  const entries: ScheduleEntry[] = [];
  for (const service of catalog.services.values()) {
    const { schedule, drill } = service.backup ?? {};
    if (schedule !== undefined) {
      entries.push({
        key: `backup:${service.name}`,
        cron: schedule,
        command: `backup ${service.name}`,
        service: service.name,
      });
    }
    if (drill !== undefined) {
      entries.push({
        key: `verify:${service.name}`,
        cron: drill,
        command: `verify ${service.name}`,
        service: service.name,
      });
    }
  }
  const cron = prune ?? (entries.length > 0 ? pruneCron : false);
  if (cron !== false) {
    entries.push({ key: 'prune', cron, command: 'backup-prune', service: undefined });
  }
  return entries;
}

export function scheduleRoom(catalog: Catalog): string {
  return catalog.rooms.find((room) => room.name === scheduleRoomName)?.address ?? 'terminal';
}
