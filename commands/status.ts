import { defineCommand } from '../src/core/command.ts';
import { optionalServiceArg } from '../src/core/args.ts';
import type { CommandContext } from '../src/core/context.ts';
import { formatDuration, formatTable } from '../src/core/format.ts';
import type { Severity } from '../src/core/message.ts';
import { countText, plural } from '../src/core/plural.ts';
import type { ServiceState, ServiceStatus } from '../src/core/platform.ts';
import { backupFields } from './backup-status.ts';
import { containerStateText, healthText } from './change-texts.ts';

const stateTexts = {
  up: { ru: 'работает', en: 'up' },
  degraded: { ru: 'частично', en: 'degraded' },
  down: { ru: 'не работает', en: 'down' },
  missing: { ru: 'контейнеров нет', en: 'no containers' },
} as const;

const stateMarks: Readonly<Record<ServiceState, string>> = {
  up: '🟢',
  degraded: '🟡',
  down: '🔴',
  missing: '⚪',
};
const severityOf: Readonly<Record<ServiceState, Severity>> = {
  up: 'success',
  degraded: 'warning',
  down: 'error',
  missing: 'error',
};
const rank: Readonly<Record<Severity, number>> = { info: 0, success: 1, warning: 2, error: 3 };

const texts = {
  title: { ru: 'Состояние сервисов', en: 'Service status' },
  // Russian: the noun after «из N» agrees with N (из 1 контейнера, из 3 контейнеров), the
  // verb with the number running (1 … работает, 2 … работают).
  running: {
    ru: {
      one: '{running} из {total} {containers} работает',
      other: '{running} из {total} {containers} работают',
    },
    en: { other: '{running} of {total} {containers} running' },
  },
  containers: {
    ru: { one: 'контейнера', other: 'контейнеров' },
    en: { one: 'container', other: 'containers' },
  },
  headers: {
    ru: ['сервис', 'контейнер', 'состояние', 'здоровье', 'образ', 'время работы', 'рестарты'],
    en: ['service', 'container', 'state', 'health', 'image', 'uptime', 'restarts'],
  },
} as const;

function summaryLine(ctx: CommandContext, status: ServiceStatus): string {
  const running = status.containers.filter((c) => c.state === 'running').length;
  const total = status.containers.length;
  const line = `${stateMarks[status.state]} **${status.service}** — ${ctx.t(stateTexts[status.state])}`;
  // "no containers (0 of 0 containers running)" would say it twice.
  if (total === 0) return line;
  const containers = plural(ctx.locale, total, texts.containers[ctx.locale]);
  const counts = countText(texts.running, ctx.locale, running, { running, total, containers });
  return `${line} (${counts})`;
}

function rows(ctx: CommandContext, status: ServiceStatus, now: number): string[][] {
  return status.containers.map((c) => [
    status.service,
    c.name,
    containerStateText(ctx, c.state),
    c.health === 'none' ? '—' : healthText(ctx, c.health),
    `${c.image}:${c.tag}`,
    c.state === 'running' && c.startedAt !== undefined
      ? formatDuration(now - c.startedAt.getTime(), ctx.locale)
      : '—',
    String(c.restartCount),
  ]);
}

export default defineCommand({
  name: 'status',
  aliases: ['статус', 'состояние'],
  summary: {
    ru: 'состояние сервисов и их контейнеров',
    en: 'state of the services and their containers',
  },
  args: [optionalServiceArg],
  options: [],
  async run(ctx, input) {
    const services =
      input.service === undefined
        ? [...ctx.catalog.services.values()]
        : [ctx.service(input.service)];
    const statuses = await Promise.all(services.map((s) => ctx.platform(s).status(s, ctx.signal)));
    const now = Date.now();
    const severity = statuses
      .map((s) => severityOf[s.state])
      .reduce<Severity>((worst, s) => (rank[s] > rank[worst] ? s : worst), 'success');
    const backups = backupFields(
      ctx,
      statuses.map((s) => s.service),
    );
    const table = formatTable(
      texts.headers[ctx.locale],
      statuses.flatMap((s) => rows(ctx, s, now)),
    );
    return {
      message: {
        severity,
        title: ctx.t(texts.title),
        text: statuses.map((s) => summaryLine(ctx, s)).join('\n'),
        ...(statuses.some((s) => s.containers.length > 0) ? { code: { content: table } } : {}),
        ...(backups.length > 0 ? { fields: backups } : {}),
      },
      data: { services: statuses },
    };
  },
});
