/**
 * The bot the goldens talk to: the real commands, stores and backup orchestration, over
 * doubles of the platform and of Alertmanager; a fixed clock and a configured zone that is
 * not the host's, so that a time shown in the host's zone stands out.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { commands } from '../../commands/index.ts';
import { progressMessage } from '../../src/chat/progress-throttle.ts';
import { promptConfirm, terminalSink } from '../../src/chat/terminal/sink.ts';
import type { ActiveAlert, AlertsPort, NewSilence, Silence } from '../../src/core/alerts.ts';
import { Bot } from '../../src/core/bot.ts';
import { UserError } from '../../src/core/errors.ts';
import type { Catalog } from '../../src/core/catalog.ts';
import type { Locale } from '../../src/core/i18n.ts';
import type { ConfirmMode, Invocation, ProgressUpdate } from '../../src/core/invocation.ts';
import { createLogger } from '../../src/core/logger.ts';
import type { Message } from '../../src/core/message.ts';
import type { Outcome } from '../../src/core/outcome.ts';
import { isPrivateOutcome } from '../../src/core/outcome.ts';
import type { Platform } from '../../src/core/platform.ts';
import { Registry } from '../../src/core/registry.ts';
import { DirectoryTemplateCatalog } from '../../src/provision/templates.ts';
import { SqliteAuditLog } from '../../src/store/audit-repo.ts';
import { SqliteConfirmationStore } from '../../src/store/confirmations-repo.ts';
import { openDatabase } from '../../src/store/database.ts';
import { SqliteJobStore } from '../../src/store/jobs-repo.ts';
import { FakeSource, harness, type Harness } from '../backup/fakes.ts';
import { roles, service, testCatalog } from '../helpers/catalog.ts';
import { fixtureTemplates } from '../provision/helpers.ts';
import { allViews, terminalView } from './render.ts';

export const admin = 'local:root';
export const operator = 'mattermost:ivan';
export const teacher = 'mattermost:teacher1';
export const oncall = 'matrix:@olga:pes.example';

/** 2026-12-06 03:14:09 in Moscow: a night call. */
export const fixedNow = new Date('2026-12-06T00:14:09Z');

export interface AlertsDouble {
  readonly port: AlertsPort;
  readonly silences: Silence[];
  readonly alerts: ActiveAlert[];
}

export function alertsDouble(): AlertsDouble {
  const silences: Silence[] = [];
  const alerts: ActiveAlert[] = [];
  const port: AlertsPort = {
    alertmanager: () => ({
      alerts: () => Promise.resolve(alerts),
      silences: () => Promise.resolve(silences),
      createSilence: (s: NewSilence) => {
        const id = `5e1f0c2a-0000-4000-8000-00000000000${silences.length + 1}`;
        silences.push({
          id,
          matchers: s.matchers,
          startsAt: s.startsAt.toISOString(),
          endsAt: s.endsAt.toISOString(),
          createdBy: s.createdBy,
          comment: s.comment,
          status: { state: 'active' },
        });
        return Promise.resolve(id);
      },
      expireSilence: (id) => {
        const i = silences.findIndex((s) => s.id === id);
        const found = silences[i];
        // As the real client answers Alertmanager's 404.
        if (found === undefined) return Promise.reject(new UserError('silence-unknown', { id }));
        silences[i] = { ...found, status: { state: 'expired' } };
        return Promise.resolve();
      },
    }),
    acknowledge: (id) => (id === 7 ? 'group-7' : undefined),
    noteSilence: () => true,
    noteSilenceMatching: () => 2,
  };
  return { port, silences, alerts };
}

export function goldenCatalog(): Catalog {
  const base = testCatalog();
  return {
    ...base,
    timeZone: 'Europe/Moscow',
    services: new Map([
      ['moodle', service('moodle', { scale: { min: 0, max: 5 } })],
      ['keycloak', service('keycloak')],
    ]),
    roles: [
      ...roles
        .filter((r) => r.name !== 'oncall')
        .map((r) =>
          r.name === 'operator' ? { ...r, commands: [...r.commands, 'backup', 'backups'] } : r,
        ),
      {
        name: 'oncall',
        members: [oncall],
        commands: ['status', 'jobs', 'alerts', 'silence', 'silences'],
      },
    ],
  };
}

export interface Bed {
  readonly bot: Bot;
  readonly backups: Harness;
  readonly alerts: AlertsDouble;
  readonly jobs: SqliteJobStore;
  /** Moves the bot's clock on (confirmations expire, jobs take time). */
  advance(ms: number): void;
}

export function createBed(platform: Platform, options: { backups?: boolean } = {}): Bed {
  const db = openDatabase(':memory:');
  let now = fixedNow.getTime();
  const clock = (): Date => new Date(now);
  const jobs = new SqliteJobStore(db, { now: clock });
  const volume = new FakeSource('volume:moodledata', 'moodle files, version 1');
  const database = new FakeSource('postgres:moodle', 'dump v1');
  const backups = harness({ moodle: { sources: [volume, database], retention: { keepLast: 2 } } });
  const alerts = alertsDouble();
  const bot = new Bot({
    catalog: goldenCatalog(),
    registry: new Registry(commands),
    jobs,
    audit: new SqliteAuditLog(db),
    confirmations: new SqliteConfirmationStore(db, { now: clock }),
    alerts: alerts.port,
    platform: () => platform,
    templates: new DirectoryTemplateCatalog(fixtureTemplates),
    ...(options.backups === false
      ? {}
      : { backups: backups.service, backupLedger: backups.ledger }),
    log: createLogger({ level: 'silent' }),
    now: clock,
    cancelPollMs: 10,
  });
  return {
    bot,
    backups,
    alerts,
    jobs,
    advance: (ms) => {
      now += ms;
    },
  };
}

/** What one invocation left: the outcome, the replies and the progress on the way. */
export interface Run {
  readonly outcome: Outcome;
  readonly replies: Message[];
  readonly progress: ProgressUpdate[];
  readonly terminal: string;
}

/** Confirmation codes are random: a golden names them by their place. */
export function scrub(text: string, codes: readonly string[]): string {
  return codes.reduce((t, code, i) => t.replaceAll(code, `CODE${i + 1}`), text);
}

export async function invoke(
  bed: Bed,
  actorId: string,
  text: string,
  locale: Locale,
  extra: Partial<Invocation> = {},
  confirm: ConfirmMode = { kind: 'pending' },
): Promise<Run> {
  const replies: Message[] = [];
  const progress: ProgressUpdate[] = [];
  const err: string[] = [];
  const streams = {
    out: { write: () => true },
    err: { write: (s: string) => err.push(s) > 0 },
  } as unknown as Parameters<typeof terminalSink>[0]['streams'];
  const term = terminalSink({ streams, locale, json: false, confirm });
  const outcome = await bed.bot.invoke(
    { actorId, room: { id: 'mattermost:ops' }, source: 'mattermost', text, locale, ...extra },
    {
      confirm,
      reply: (m) => replies.push(m),
      progress: (p) => {
        progress.push(p);
        term.progress(p);
      },
    },
  );
  return { outcome, replies, progress, terminal: err.join('') };
}

/** A transcript of runs, one section per question, in the three renderings. */
export class Transcript {
  readonly #out: string[] = [];
  readonly #codes: string[] = [];
  readonly locale: Locale;

  constructor(locale: Locale) {
    this.locale = locale;
  }

  /** Remembers a confirmation code, so that it reads the same in every run. */
  code(outcome: Outcome): string {
    const data = outcome.data as { confirmation?: unknown } | undefined;
    if (typeof data?.confirmation !== 'string') throw new Error('no pending confirmation');
    this.#codes.push(data.confirmation);
    return data.confirmation;
  }

  note(text: string): void {
    this.#out.push(text);
  }

  show(heading: string, run: Run): void {
    if (run.outcome.status === 'pending') this.code(run.outcome);
    const lines = [`\n## ${heading}`];
    const privacy = isPrivateOutcome(run.outcome) ? ' (only to the person who asked)' : '';
    if (run.progress.length > 0) {
      lines.push('--- terminal progress (stderr, no TTY)');
      lines.push(run.terminal.trimEnd());
      const distinct = [...new Set(run.progress.map((p) => `${p.fraction}|${p.text}`))];
      lines.push('--- progress post (both messengers), each state');
      for (const key of distinct) {
        const p = run.progress.find((x) => `${x.fraction}|${x.text}` === key);
        if (p !== undefined) lines.push(terminalView(progressMessage(p, this.locale)));
      }
    }
    for (const reply of run.replies) lines.push(allViews(reply, this.locale, ' (reply)'));
    lines.push(allViews(run.outcome.message, this.locale, privacy));
    this.#out.push(lines.join('\n'));
  }

  text(): string {
    return `${scrub(this.#out.join('\n'), this.#codes).trim()}\n`;
  }
}

/** What the terminal asks before a destructive command (answered "no" here). */
export async function terminalPrompt(
  bed: Bed,
  actorId: string,
  text: string,
  locale: Locale,
): Promise<string> {
  let asked = '';
  const rl = {
    question: (q: string) => {
      asked = q;
      return Promise.resolve('n');
    },
  } as unknown as Parameters<typeof promptConfirm>[1];
  const run = await invoke(
    bed,
    actorId,
    text,
    locale,
    { source: 'terminal' },
    promptConfirm(locale, rl),
  );
  return `${asked}n\n${terminalView(run.outcome.message)}`;
}

/**
 * One golden file per language, `<file>.<locale>.txt` beside the test, of what `transcript`
 * records with the clock at `fixedNow`: regenerate with vitest's `-u` and read the diff.
 */
export function goldenTranscripts(
  title: string,
  file: string,
  transcript: (locale: Locale) => Promise<string>,
): void {
  describe(title, () => {
    beforeEach(() => {
      vi.useFakeTimers({ now: fixedNow, toFake: ['Date'] });
    });
    afterEach(() => {
      vi.useRealTimers();
    });
    for (const locale of ['ru', 'en'] as const) {
      it(`read right in ${locale}`, async () => {
        await expect(await transcript(locale)).toMatchFileSnapshot(`./${file}.${locale}.txt`);
      });
    }
  });
}
