import { dryRunOption, serviceArg } from '../src/core/args.ts';
import type { ServiceDefinition } from '../src/core/catalog.ts';
import { defineCommand, type CommandResult } from '../src/core/command.ts';
import type { CommandContext } from '../src/core/context.ts';
import { UserError } from '../src/core/errors.ts';
import type { Text } from '../src/core/i18n.ts';
import type { ContainerReport, ServiceStatus, StepEvent } from '../src/core/platform.ts';

const phaseTexts: Readonly<Record<StepEvent['phase'], Text>> = {
  pulling: { ru: 'загрузка образа', en: 'pulling the image' },
  stopping: { ru: 'остановка', en: 'stopping' },
  starting: { ru: 'запуск', en: 'starting' },
  creating: { ru: 'создание', en: 'creating' },
  removing: { ru: 'удаление', en: 'removing' },
  waiting: { ru: 'ждём готовности', en: 'waiting until healthy' },
  healthy: { ru: 'готов', en: 'healthy' },
  failed: { ru: 'не стал здоровым', en: 'failed' },
  'rolling-back': { ru: 'откат', en: 'rolling back' },
  'rolled-back': { ru: 'откачен', en: 'rolled back' },
};

const healthTexts: Readonly<Record<ContainerReport['health'], Text>> = {
  healthy: { ru: 'здоров', en: 'healthy' },
  running: { ru: 'работает (без проверки здоровья)', en: 'running (no health check)' },
  starting: { ru: 'запускается', en: 'starting' },
  unhealthy: { ru: 'нездоров', en: 'unhealthy' },
  none: { ru: 'без проверки здоровья', en: 'no health check' },
  stopped: { ru: 'остановлен', en: 'stopped' },
};

const texts = {
  done: { ru: '{service} перезапущен', en: '{service} restarted' },
  doneText: {
    ru: 'Контейнеры перезапущены по одному, каждый дождался готовности: {count}.',
    en: 'Containers restarted one at a time, each healthy before the next: {count}.',
  },
  planTitle: { ru: 'План: перезапуск {service}', en: 'Plan: restart {service}' },
  planText: {
    ru: 'Контейнеры будут перезапущены по одному в этом порядке. Ничего не изменено.',
    en: 'The containers would be restarted one at a time in this order. Nothing was changed.',
  },
  seconds: { ru: '{n} с', en: '{n} s' },
} as const;

function seconds(ctx: CommandContext, ms: number): string {
  const n = new Intl.NumberFormat(ctx.locale, {
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
  }).format(ms / 1000);
  return ctx.t(texts.seconds, { n });
}

function stepText(ctx: CommandContext, event: StepEvent): string {
  return `${event.container}: ${ctx.t(phaseTexts[event.phase])}`;
}

function plan(
  ctx: CommandContext,
  service: ServiceDefinition,
  status: ServiceStatus,
): CommandResult {
  if (status.containers.length === 0) {
    throw new UserError('service-vanished', { service: service.name });
  }
  return {
    message: {
      severity: 'info',
      title: ctx.t(texts.planTitle, { service: service.name }),
      text: ctx.t(texts.planText),
      fields: status.containers.map((c, index) => ({
        label: `${index + 1}. ${c.name}`,
        value: c.health === 'none' ? c.state : `${c.state}, ${c.health}`,
      })),
    },
    data: { service: service.name, dryRun: true, order: status.containers.map((c) => c.name) },
  };
}

export default defineCommand({
  name: 'restart',
  aliases: ['перезапуск', 'перезапустить'],
  summary: {
    ru: 'перезапустить контейнеры сервиса по одному',
    en: 'restart the containers of a service one at a time',
  },
  args: [serviceArg],
  options: [dryRunOption],
  mutating: { lock: 'service' },
  // No `describe`, so no confirmation: a rolling restart loses no data and touches the next
  // container only once the previous one is healthy again, stopping at the first that is not
  // (docs/DESIGN.md lists what is destructive: restore, scale to 0, update, provision, plugin
  // install). Asking each time would train people to confirm without reading.
  async run(ctx, input) {
    const service = ctx.service(input.service);
    const platform = ctx.platform(service);
    if (input.dryRun) return plan(ctx, service, await platform.status(service, ctx.signal));
    const reports = await platform.restart(
      service,
      (event) => ctx.progress(event.fraction, stepText(ctx, event)),
      ctx.signal,
    );
    return {
      message: {
        severity: 'success',
        title: ctx.t(texts.done, { service: service.name }),
        text: ctx.t(texts.doneText, { count: reports.length }),
        fields: reports.map((r) => ({
          label: r.container,
          value: `${ctx.t(healthTexts[r.health])} · ${seconds(ctx, r.durationMs)}`,
          short: true,
        })),
      },
      data: { service: service.name, containers: reports },
    };
  },
});
