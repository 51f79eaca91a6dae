/**
 * How `pes serve` stops (SIGTERM or SIGINT): no new command is taken (each is answered "the
 * bot is stopping"), the running jobs are cancelled through their AbortSignal so that they
 * put back what they changed, and waited for up to `server.stopGraceSeconds`. A job still
 * running then (or at a second signal) is recorded `interrupted` with the state its service
 * was left in, and announced in its room like the jobs a crash interrupts. What the outbox
 * holds is sent for a bounded time; only then is the database closed.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { ServiceDefinition } from '../core/catalog.ts';
import type { JobRunner } from '../core/job-runner.ts';
import type { JobRecord, JobStore } from '../core/jobs.ts';
import { localize, type Locale } from '../core/i18n.ts';
import type { Logger } from '../core/logger.ts';
import type { Message } from '../core/message.ts';
import type { Platform, ServiceStatus } from '../core/platform.ts';
import { plural } from '../core/plural.ts';
import type { AuditLog } from '../core/audit.ts';
import { auditInterrupted } from '../core/audit-interrupted.ts';
import { SqliteOutboxStore } from '../store/outbox-repo.ts';
import {
  interruptedProgressMessage,
  isChatRoom,
  type Announce,
  type CloseProgress,
} from './interrupted.ts';

const texts = {
  stopping: {
    ru: 'pes-bot останавливается: отменено задач — {count}, ожидание до {seconds} с.',
    en: 'pes-bot is stopping: jobs cancelled: {count}; waiting up to {seconds} s.',
  },
  interrupted: {
    ru: 'Задача {id} ({text}) прервана остановкой бота и не закончила откат. {state}',
    en: 'Job {id} ({text}) was interrupted by the bot’s stop before it finished putting things back. {state}',
  },
  state: {
    ru: 'Состояние {service}: {state}, запущено контейнеров {running} из {total}.',
    en: 'State of {service}: {state}, {running} of {total} {containers} running.',
  },
  stateUnknown: {
    ru: 'Состояние {service} узнать не удалось ({reason}); проверьте: status {service}',
    en: 'The state of {service} could not be read ({reason}); check it: status {service}',
  },
} as const;

/** The noun after «из N» / "of N": it agrees with N. */
const containerWords = {
  ru: { one: 'контейнера', other: 'контейнеров' },
  en: { one: 'container', other: 'containers' },
} as const;

const stateWords = {
  up: { ru: 'работает', en: 'up' },
  degraded: { ru: 'работает частично', en: 'degraded' },
  down: { ru: 'остановлен', en: 'down' },
  missing: { ru: 'контейнеров нет', en: 'no containers' },
} as const;

/** How long the state of a service may take to read at the stop. */
const statusTimeoutMs = 5000;
/** How often the outbox is looked at while it is being flushed. */
const flushPollMs = 100;
/** Room heads counted at most per messenger: only "any left?" and a log line depend on it. */
const flushCountLimit = 1000;

export interface StopDeps {
  readonly runner: JobRunner;
  readonly jobs: JobStore;
  readonly audit: AuditLog;
  readonly db: DatabaseSync;
  readonly log: Logger;
  readonly graceMs: number;
  /** The bound on sending what the outbox holds. */
  readonly flushMs: number;
  /** Aborted by a second SIGTERM/SIGINT: stop waiting, record what is left, close. */
  readonly hurry: AbortSignal;
  readonly services: ReadonlyMap<string, ServiceDefinition>;
  readonly platform: (service: ServiceDefinition) => Platform;
  readonly say: (message: Message) => void;
  readonly locale: Locale;
  readonly localeFor: (room: string) => Locale;
  readonly announce: Announce | undefined;
  /** Edits a job's progress post to say it was interrupted (absent without a messenger). */
  readonly closeProgress?: CloseProgress | undefined;
}

/** Cancels, waits, records; returns the jobs that had to be left running (interrupted). */
export async function stopJobs(d: StopDeps): Promise<readonly JobRecord[]> {
  const cancelled = d.runner.stop();
  d.log.info('stopping', { cancelled: cancelled.map((job) => job.id), graceMs: d.graceMs });
  if (cancelled.length > 0) {
    d.say({
      severity: 'warning',
      text: localize(texts.stopping, d.locale, {
        count: cancelled.length,
        seconds: Math.round(d.graceMs / 1000),
      }),
    });
  }
  // A timer of its own, not AbortSignal.timeout: that one does not keep the process alive,
  // and a job waiting on nothing but a promise must still be given up when the time is over.
  const grace = new AbortController();
  const timer = setTimeout(() => grace.abort(), d.graceMs);
  try {
    await d.runner.settled(AbortSignal.any([grace.signal, d.hurry]));
  } finally {
    clearTimeout(timer);
  }
  const left = d.runner.detach();
  if (left.length === 0) return left;
  d.log.warn('jobs did not finish within the stop grace period', {
    jobs: left.map((job) => job.id),
  });
  const states = await Promise.all(left.map((job) => serviceState(d, job)));
  left.forEach((job, index) => record(d, job, states[index]));
  return left;
}

/**
 * Waits until the outbox of the running messengers (`rooms`: their room prefixes) has
 * nothing left that the delivery loop could send now, for at most `flushMs`. The loop sends
 * only the oldest open item of each room: one waiting for a retry later (the messenger is
 * down or rate-limits) holds back the items behind it, so none of them is waited for; they
 * are left for the next start.
 */
export async function flushOutbox(
  d: Pick<StopDeps, 'db' | 'flushMs' | 'hurry' | 'log'> & { readonly rooms: readonly string[] },
): Promise<void> {
  if (d.rooms.length === 0) return;
  const outbox = new SqliteOutboxStore(d.db);
  const deadline = Date.now() + d.flushMs;
  const due = (): number =>
    d.rooms.reduce((n, prefix) => n + outbox.due(prefix, new Date(), flushCountLimit).length, 0);
  while (due() > 0 && Date.now() < deadline && !d.hurry.aborted) {
    await new Promise((resolve) => setTimeout(resolve, flushPollMs));
  }
  const left = due();
  if (left > 0) d.log.warn('outbox items left for the next start', { items: left });
}

type StateText = (locale: Locale) => string;

async function serviceState(d: StopDeps, job: JobRecord): Promise<StateText | undefined> {
  const service = job.service === undefined ? undefined : d.services.get(job.service);
  if (service === undefined) return undefined;
  const name = service.name;
  try {
    const status: ServiceStatus = await d
      .platform(service)
      .status(service, AbortSignal.timeout(statusTimeoutMs));
    const running = status.containers.filter((c) => c.state === 'running').length;
    return (locale) =>
      localize(texts.state, locale, {
        service: name,
        state: localize(stateWords[status.state], locale),
        running,
        total: status.containers.length,
        containers: plural(locale, status.containers.length, containerWords[locale]),
      });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    d.log.warn('could not read the state of a service at the stop', { service: name, error });
    return (locale) => localize(texts.stateUnknown, locale, { service: name, reason });
  }
}

function record(d: StopDeps, job: JobRecord, state: StateText | undefined): void {
  const message = (locale: Locale): Message => ({
    severity: 'warning',
    text: localize(texts.interrupted, locale, {
      id: job.id,
      text: job.text,
      state: state?.(locale) ?? '',
    }).trim(),
  });
  d.jobs.transition(job.id, 'interrupted', message(d.localeFor(job.room)).text);
  auditInterrupted(d.audit, job, new Date());
  d.say(message(d.locale));
  if (d.announce === undefined || !isChatRoom(job.room)) return;
  // The key the start-up report uses: the job is announced once, whichever says it first.
  d.announce(job.room, message(d.localeFor(job.room)), `interrupted:${job.id}`);
  // Its progress post, as far as the job got (the store has its last progress).
  const locale = d.localeFor(job.room);
  const closed = interruptedProgressMessage(d.jobs.get(job.id) ?? job, locale, state?.(locale));
  d.closeProgress?.(job.room, job.id, closed);
}
