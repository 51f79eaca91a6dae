import type { ServiceDefinition } from '../src/core/catalog.ts';
import { defineCommand } from '../src/core/command.ts';
import { errorTexts } from '../src/core/error-texts.ts';
import { isUserError, type UserError } from '../src/core/errors.ts';
import { optionalServiceArg } from '../src/core/args.ts';
import type { CommandContext } from '../src/core/context.ts';
import { formatDuration, formatTable } from '../src/core/format.ts';
import type { Severity } from '../src/core/message.ts';
import { countText, plural } from '../src/core/plural.ts';
import type {
  PodSummary,
  ServiceState,
  ServiceStatus,
  WorkloadSummary,
} from '../src/core/platform.ts';
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
  // A service on a cluster counts its pods that are ready.
  ready: {
    ru: {
      one: '{ready} из {total} {pods} готов',
      other: '{ready} из {total} {pods} готовы',
    },
    en: { other: '{ready} of {total} {pods} ready' },
  },
  pods: {
    ru: { one: 'пода', other: 'подов' },
    en: { one: 'pod', other: 'pods' },
  },
  replicas: {
    ru: '{kind} {name}: реплик нужно {desired}, обновлено {updated}, готово {ready}, доступно {available}; {rollout}',
    en: '{kind} {name}: replicas {desired} desired, {updated} updated, {ready} ready, {available} available; {rollout}',
  },
  rollout: {
    waiting: { ru: 'выкатка идёт', en: 'rollout in progress' },
    done: { ru: 'выкатка завершена', en: 'rollout complete' },
    failed: { ru: 'выкатка не удалась', en: 'rollout failed' },
  },
  unavailable: {
    ru: 'состояние не получено: {reason}',
    en: 'status unavailable: {reason}',
  },
  podReady: { ru: 'готов', en: 'ready' },
  podNotReady: { ru: 'не готов', en: 'not ready' },
  headers: {
    ru: ['сервис', 'контейнер', 'состояние', 'здоровье', 'образ', 'время работы', 'рестарты'],
    en: ['service', 'container', 'state', 'health', 'image', 'uptime', 'restarts'],
  },
} as const;

function summaryLine(ctx: CommandContext, status: ServiceStatus): string {
  if (status.pods !== undefined) return podSummaryLine(ctx, status, status.pods);
  const running = status.containers.filter((c) => c.state === 'running').length;
  const total = status.containers.length;
  const line = `${stateMarks[status.state]} **${status.service}** — ${ctx.t(stateTexts[status.state])}`;
  // "no containers (0 of 0 containers running)" would say it twice.
  if (total === 0) return line;
  const containers = plural(ctx.locale, total, texts.containers[ctx.locale]);
  const counts = countText(texts.running, ctx.locale, running, { running, total, containers });
  return `${line} (${counts})`;
}

/** A service on a cluster: its pods ready, then its workload's replicas and rollout. */
function podSummaryLine(
  ctx: CommandContext,
  status: ServiceStatus,
  pods: readonly PodSummary[],
): string {
  const line = `${stateMarks[status.state]} **${status.service}** — ${ctx.t(stateTexts[status.state])}`;
  const ready = pods.filter((p) => p.ready).length;
  const total = pods.length;
  const counts =
    total === 0
      ? ''
      : ` (${countText(texts.ready, ctx.locale, ready, {
          ready,
          total,
          pods: plural(ctx.locale, total, texts.pods[ctx.locale]),
        })})`;
  const workload = status.workload === undefined ? '' : `\n${workloadLine(ctx, status.workload)}`;
  return `${line}${counts}${workload}`;
}

function workloadLine(ctx: CommandContext, w: WorkloadSummary): string {
  return ctx.t(texts.replicas, {
    kind: w.kind,
    name: w.name,
    ...w.replicas,
    rollout: ctx.t(texts.rollout[w.rollout.state]),
  });
}

/** A pod's row: its node next to its name, its phase as Kubernetes names it, its age. */
function podRows(ctx: CommandContext, service: string, pods: readonly PodSummary[]): string[][] {
  return pods.map((p) => [
    service,
    p.node === undefined ? p.name : `${p.name} @ ${p.node}`,
    p.phase,
    ctx.t(p.ready ? texts.podReady : texts.podNotReady),
    p.images.length === 1
      ? (p.images[0]?.image ?? '')
      : p.images.map((i) => `${i.container}=${i.image}`).join(', '),
    p.ageSeconds === undefined ? '—' : formatDuration(p.ageSeconds * 1000, ctx.locale),
    String(p.restarts),
  ]);
}

/**
 * Each service's status. With services on several platforms (Docker, clusters), one that
 * cannot be reached must not hide the others: its one line stands in its place. When none
 * could be read, the first error is the answer, as it always was.
 */
async function readAll(
  ctx: CommandContext,
  services: readonly ServiceDefinition[],
): Promise<{
  statuses: ServiceStatus[];
  unavailable: { service: string; reason: string }[];
}> {
  const settled = await Promise.allSettled(
    services.map((s) => ctx.platform(s).status(s, ctx.signal)),
  );
  const statuses: ServiceStatus[] = [];
  const unavailable: { service: string; reason: string }[] = [];
  let first: UserError | undefined;
  settled.forEach((result, i) => {
    if (result.status === 'fulfilled') {
      statuses.push(result.value);
      return;
    }
    const reason: unknown = result.reason;
    // Only a refusal a person can read stands in; a fault is a fault.
    if (!isUserError(reason)) throw reason;
    first ??= reason;
    unavailable.push({
      service: services[i]?.name ?? '',
      reason: ctx.t(errorTexts[reason.code].message, reason.params),
    });
  });
  if (statuses.length === 0 && first !== undefined) throw first;
  return { statuses, unavailable };
}

function rows(ctx: CommandContext, status: ServiceStatus, now: number): string[][] {
  if (status.pods !== undefined) return podRows(ctx, status.service, status.pods);
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
    const { statuses, unavailable } = await readAll(ctx, services);
    const now = Date.now();
    const severity = [
      ...statuses.map((s) => severityOf[s.state]),
      ...unavailable.map((): Severity => 'error'),
    ].reduce<Severity>((worst, s) => (rank[s] > rank[worst] ? s : worst), 'success');
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
        text: [
          ...statuses.map((s) => summaryLine(ctx, s)),
          ...unavailable.map((u) => `🔴 **${u.service}** — ${ctx.t(texts.unavailable, u)}`),
        ].join('\n'),
        ...(statuses.some((s) => s.containers.length > 0 || (s.pods?.length ?? 0) > 0)
          ? { code: { content: table } }
          : {}),
        ...(backups.length > 0 ? { fields: backups } : {}),
      },
      data: { services: statuses, ...(unavailable.length > 0 ? { unavailable } : {}) },
    };
  },
});
