/** The scheduler: runs through the bot as system:scheduler, records runs, logs missed ones. */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { scheduleEntries, scheduleRoom } from '../../src/backup/schedule-entries.ts';
import { BackupScheduler, type ScheduleOutput } from '../../src/backup/schedules.ts';
import type { Outcome } from '../../src/core/outcome.ts';
import { createLogger } from '../../src/core/logger.ts';
import { createTestBot } from '../helpers/bot.ts';
import { service, testCatalog } from '../helpers/catalog.ts';
import { FakeSource, harness } from './fakes.ts';

function output(finished: Outcome[]): ScheduleOutput {
  return {
    open: () => ({
      sink: { reply: () => undefined, progress: () => undefined, confirm: { kind: 'refuse' } },
      finish: (outcome) => finished.push(outcome),
    }),
  };
}

function setup(entries: ConstructorParameters<typeof BackupScheduler>[0]['entries']) {
  const h = harness({ moodle: { sources: [new FakeSource('volume:moodledata', 'v1')] } });
  const t = createTestBot({ backups: h.service, backupLedger: h.ledger });
  const logs: string[] = [];
  const finished: Outcome[] = [];
  const scheduler = new BackupScheduler({
    entries,
    invoke: (invocation, sink) => t.bot.invoke(invocation, sink),
    ledger: h.ledger,
    log: createLogger({ level: 'debug', write: (line) => logs.push(line) }),
    room: 'terminal',
    output: output(finished),
  });
  return { h, t, logs, finished, scheduler, ledger: h.ledger };
}

describe('BackupScheduler', () => {
  it('runs a backup through the bot as system:scheduler, with its built-in permission', async () => {
    const { h, t, finished, scheduler, ledger } = setup([
      { key: 'backup:moodle', cron: '0 3 * * *', command: 'backup moodle', service: 'moodle' },
    ]);
    const outcome = await scheduler.run({
      key: 'backup:moodle',
      cron: '0 3 * * *',
      command: 'backup moodle',
      service: 'moodle',
    });
    expect(outcome?.status).toBe('ok');
    expect(finished).toHaveLength(1);
    expect(h.engine.stored).toHaveLength(1);
    expect(t.audit.last(1)[0]).toMatchObject({ actor: 'system:scheduler', source: 'schedule' });
    expect(ledger.scheduleRuns(1)[0]).toMatchObject({
      schedule: 'backup:moodle',
      result: `ok (job ${outcome?.jobId ?? 0})`,
    });
    // Nothing beyond the scheduled commands: not even a read-only one.
    const denied = await scheduler.run({
      key: 'x',
      cron: '* * * * *',
      command: 'status',
      service: undefined,
    });
    expect(denied?.status).toBe('denied');
  });

  it('fires on its cron and records when it is next due', async () => {
    const { h, scheduler, ledger } = setup([
      { key: 'backup:moodle', cron: '* * * * * *', command: 'backup moodle', service: 'moodle' },
    ]);
    scheduler.start();
    try {
      expect(ledger.nextDue('backup:moodle')).toBeInstanceOf(Date);
      for (let i = 0; i < 50 && ledger.scheduleRuns(1)[0]?.finishedAt === undefined; i++)
        await sleep(100);
    } finally {
      scheduler.stop();
    }
    expect(ledger.scheduleRuns(1)[0]?.result).toMatch(/^ok \(job \d+\)$/);
    expect(h.engine.stored.length).toBeGreaterThanOrEqual(1);
  });

  it('logs runs missed while the bot was down and does not replay them', () => {
    const { h, logs, scheduler, ledger } = setup([
      { key: 'verify:moodle', cron: '0 * * * *', command: 'verify moodle', service: 'moodle' },
    ]);
    // Due at the top of the hour three hours ago: that run and the three after it were missed.
    const hour = Math.floor(Date.now() / 3600_000) * 3600_000;
    ledger.setNextDue('verify:moodle', new Date(hour - 3 * 3600_000));
    scheduler.start();
    scheduler.stop();
    const line = logs
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l['schedule'] === 'verify:moodle');
    expect(line).toMatchObject({
      level: 'warn',
      msg: 'scheduled runs missed while the bot was down; not replayed',
      count: 4,
    });
    expect(h.engine.calls).toEqual([]);
    expect(ledger.nextDue('verify:moodle')?.getTime()).toBeGreaterThan(Date.now());
  });
});

describe('schedule entries', () => {
  it('come from services.<name>.backup.schedule and drill, with a weekly prune', () => {
    const catalog = testCatalog({
      services: new Map([
        ['moodle', service('moodle', { backup: { schedule: '0 2 * * *', drill: '0 5 * * 1' } })],
        ['keycloak', service('keycloak')],
      ]),
      rooms: [{ name: 'backups', address: 'mattermost:abc' }],
    });
    expect(scheduleEntries(catalog)).toEqual([
      { key: 'backup:moodle', cron: '0 2 * * *', command: 'backup moodle', service: 'moodle' },
      { key: 'verify:moodle', cron: '0 5 * * 1', command: 'verify moodle', service: 'moodle' },
      { key: 'prune', cron: '0 4 * * 0', command: 'backup-prune', service: undefined },
    ]);
    expect(scheduleRoom(catalog)).toBe('mattermost:abc');
    expect(scheduleEntries(testCatalog())).toEqual([]);
    expect(scheduleRoom(testCatalog())).toBe('terminal');
  });

  it('prune on backup.prune: its own cron whatever else is scheduled, or never with false', () => {
    const scheduled = testCatalog({
      services: new Map([['moodle', service('moodle', { backup: { schedule: '0 2 * * *' } })]]),
    });
    const prune = (cron: string) => ({
      key: 'prune',
      cron,
      command: 'backup-prune',
      service: undefined,
    });
    expect(scheduleEntries(scheduled, '30 3 * * 6').at(-1)).toEqual(prune('30 3 * * 6'));
    expect(scheduleEntries(testCatalog(), '30 3 * * 6')).toEqual([prune('30 3 * * 6')]);
    expect(scheduleEntries(scheduled, false).map((e) => e.key)).toEqual(['backup:moodle']);
    expect(scheduleEntries(testCatalog(), false)).toEqual([]);
    expect(scheduleEntries(scheduled, undefined).at(-1)).toEqual(prune('0 4 * * 0'));
  });

  it('an invalid cron is reported in the room and the other schedules still start', () => {
    const { finished, scheduler, ledger } = setup([
      { key: 'backup:moodle', cron: '99 * * * *', command: 'backup moodle', service: 'moodle' },
      { key: 'prune', cron: '0 4 * * 0', command: 'backup-prune', service: undefined },
    ]);
    scheduler.start();
    scheduler.stop();
    expect(finished.map((o) => o.message.text)).toEqual([
      'Расписание backup:moodle: неверное выражение cron «99 * * * *» — не запущено.',
    ]);
    expect(ledger.nextDue('prune')).toBeInstanceOf(Date);
  });
});
