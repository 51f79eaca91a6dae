/**
 * Cron schedules inside `pes serve`: backups, drills and prune. A run is an ordinary command
 * through `bot.invoke` (so it is a job, locked, audited) as the actor `system:scheduler`,
 * whose rights are built in (src/core/permissions.ts). Its outcome goes to the configured
 * room through the same kind of sink as any other output. A run missed while the bot was
 * down is not replayed (a backup hours late, on top of the next one, helps nobody): it is
 * logged at the next start.
 */
import { Cron } from 'croner';
import type { BackupLedger } from '../core/backup.ts';
import { localize, type Locale } from '../core/i18n.ts';
import type { Invocation, InvocationSink } from '../core/invocation.ts';
import type { Logger } from '../core/logger.ts';
import type { Outcome } from '../core/outcome.ts';
import { schedulerActor } from '../core/permissions.ts';

export interface ScheduleEntry {
  /** Stable name, e.g. `backup:moodle`, `verify:moodle`, `prune`. */
  readonly key: string;
  /** Five or six fields (seconds first), as croner reads them. */
  readonly cron: string;
  /** The command line, e.g. `backup moodle`. */
  readonly command: string;
  readonly service: string | undefined;
}

/** Where a run's progress and outcome are shown: the configured room. */
export interface ScheduleOutput {
  open(room: string): { readonly sink: InvocationSink; finish(outcome: Outcome): void };
}

export interface SchedulerDeps {
  readonly entries: readonly ScheduleEntry[];
  readonly invoke: (invocation: Invocation, sink: InvocationSink) => Promise<Outcome>;
  readonly ledger: BackupLedger;
  readonly log: Logger;
  readonly room: string;
  readonly output: ScheduleOutput;
  readonly timezone?: string;
  /** The language of what the scheduler itself says in the room. */
  readonly locale?: Locale;
  readonly now?: () => Date;
}

const invalidCron = {
  ru: 'Расписание {key}: неверное выражение cron «{cron}» — не запущено.',
  en: 'Schedule {key}: invalid cron expression "{cron}"; not scheduled.',
} as const;

/** At most this many missed runs are counted for the log line; the rest is "more". */
const missedCountLimit = 1000;

export class BackupScheduler {
  readonly #deps: SchedulerDeps;
  readonly #now: () => Date;
  readonly #jobs = new Map<string, Cron>();

  constructor(deps: SchedulerDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
    for (const entry of deps.entries) {
      if (this.#jobs.has(entry.key)) throw new Error(`duplicate schedule ${entry.key}`);
    }
  }

  start(): void {
    const timezone = this.#deps.timezone === undefined ? {} : { timezone: this.#deps.timezone };
    for (const entry of this.#deps.entries) {
      // protect: one run of a schedule at a time; a backup that outlasts its interval is
      // not started twice.
      let job: Cron;
      try {
        job = new Cron(entry.cron, { protect: true, ...timezone }, async (self: Cron) => {
          const due = this.#now();
          this.#deps.ledger.setNextDue(entry.key, self.nextRun() ?? undefined);
          await this.run(entry, due);
        });
      } catch (error) {
        // The configuration only checks for five fields; croner knows the rest. One bad
        // schedule must not take the others (or the bot) down, and must not go unnoticed.
        this.#deps.log.error('schedule not started: invalid cron expression', {
          schedule: entry.key,
          cron: entry.cron,
          error,
        });
        this.#deps.output.open(this.#deps.room).finish({
          status: 'failed',
          exitCode: 1,
          message: {
            severity: 'error',
            text: localize(invalidCron, this.#deps.locale ?? 'ru', {
              key: entry.key,
              cron: entry.cron,
            }),
          },
        });
        continue;
      }
      this.#logMissed(entry, job);
      this.#deps.ledger.setNextDue(entry.key, job.nextRun() ?? undefined);
      this.#jobs.set(entry.key, job);
    }
  }

  /** When each schedule runs next, for status and tests. */
  nextRuns(): ReadonlyMap<string, Date | undefined> {
    return new Map([...this.#jobs].map(([key, job]) => [key, job.nextRun() ?? undefined]));
  }

  stop(): void {
    for (const job of this.#jobs.values()) job.stop();
    this.#jobs.clear();
  }

  /** One run of an entry, now; never throws (a failing run must not stop the schedule). */
  async run(entry: ScheduleEntry, due: Date = this.#now()): Promise<Outcome | undefined> {
    const { ledger, log, room } = this.#deps;
    const id = ledger.startScheduleRun(entry.key, entry.service, due, this.#now());
    let result = 'internal error';
    try {
      const opened = this.#deps.output.open(room);
      const outcome = await this.#deps.invoke(
        {
          actorId: schedulerActor,
          displayName: 'scheduler',
          room: { id: room },
          source: 'schedule',
          text: entry.command,
        },
        opened.sink,
      );
      opened.finish(outcome);
      result = `${outcome.errorCode ?? outcome.status}${outcome.jobId === undefined ? '' : ` (job ${outcome.jobId})`}`;
      log.info('scheduled run finished', { schedule: entry.key, result });
      return outcome;
    } catch (error) {
      log.error('scheduled run failed', { schedule: entry.key, error });
      return undefined;
    } finally {
      ledger.finishScheduleRun(id, result, this.#now());
    }
  }

  #logMissed(entry: ScheduleEntry, cron: Cron): void {
    const due = this.#deps.ledger.nextDue(entry.key);
    const now = this.#now();
    if (due === undefined || due >= now) return;
    const missed = [due, ...cron.nextRuns(missedCountLimit, due)].filter((d) => d < now);
    this.#deps.log.warn('scheduled runs missed while the bot was down; not replayed', {
      schedule: entry.key,
      command: entry.command,
      first: due.toISOString(),
      count: missed.length >= missedCountLimit ? `${missedCountLimit}+` : missed.length,
    });
  }
}
