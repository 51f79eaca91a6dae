import { dryRunOption, serviceArg } from '../src/core/args.ts';
import type { ServiceDefinition } from '../src/core/catalog.ts';
import { defineCommand, type CommandResult } from '../src/core/command.ts';
import type { CommandContext } from '../src/core/context.ts';
import { UserError } from '../src/core/errors.ts';
import type { ServiceStatus } from '../src/core/platform.ts';
import { countText } from '../src/core/plural.ts';
import { containerStateText, healthText, progressReporter, reportLine } from './change-texts.ts';

const texts = {
  done: { ru: '{service} перезапущен', en: '{service} restarted' },
  doneText: {
    ru: {
      one: '{count} контейнер перезапущен и дождался готовности.',
      few: '{count} контейнера перезапущены по одному, каждый дождался готовности.',
      other: '{count} контейнеров перезапущены по одному, каждый дождался готовности.',
    },
    en: {
      one: '{count} container restarted and ready again.',
      other: '{count} containers restarted one at a time, each ready before the next.',
    },
  },
  planTitle: { ru: 'План: перезапуск {service}', en: 'Plan: restart {service}' },
  planText: {
    ru: 'Контейнеры будут перезапущены по одному в этом порядке. Ничего не изменено.',
    en: 'The containers would be restarted one at a time in this order. Nothing was changed.',
  },
} as const;

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
        value:
          c.health === 'none'
            ? containerStateText(ctx, c.state)
            : `${containerStateText(ctx, c.state)}, ${healthText(ctx, c.health)}`,
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
  // (docs/ARCHITECTURE.md, "Safety rules", lists what is destructive: restore, scale to 0,
  // update, rollback, provision, deprovision). Asking each time would train people to confirm
  // without reading.
  async run(ctx, input) {
    const service = ctx.service(input.service);
    const platform = ctx.platform(service);
    if (input.dryRun) return plan(ctx, service, await platform.status(service, ctx.signal));
    const reports = await platform.restart(service, progressReporter(ctx), ctx.signal);
    return {
      message: {
        severity: 'success',
        title: ctx.t(texts.done, { service: service.name }),
        text: countText(texts.doneText, ctx.locale, reports.length),
        fields: reports.map((r) => ({
          label: r.container,
          value: reportLine(ctx, r),
          short: true,
        })),
      },
      data: { service: service.name, containers: reports },
    };
  },
});
