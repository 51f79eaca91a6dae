import { z } from 'zod';
import { dryRunOption, serviceArg } from '../src/core/args.ts';
import type { ServiceDefinition } from '../src/core/catalog.ts';
import { defineCommand, type CommandResult } from '../src/core/command.ts';
import type { CommandContext } from '../src/core/context.ts';
import { UserError } from '../src/core/errors.ts';
import { countText } from '../src/core/plural.ts';
import type { ContainerReport, ScalePlan } from '../src/core/platform.ts';
import { nameList, progressReporter, reportLine } from './change-texts.ts';

const texts = {
  replicas: {
    ru: 'сколько контейнеров должно быть (0…9999, в границах scale из конфигурации)',
    en: 'how many containers there should be (0…9999, within the configured scale bounds)',
  },
  toZero: {
    ru:
      'Сервис {service} будет остановлен полностью: {containers} ' +
      '({names}). Тома сохранятся. Вернуть сервис командой scale ' +
      'после этого нельзя — не останется контейнера, с которого копировать настройки; ' +
      'его поднимет только docker compose up.',
    en:
      'Service {service} will be stopped completely: {containers} ' +
      '({names}). Volumes are kept. scale cannot bring it back ' +
      'afterwards — no container is left to copy the configuration from; only docker ' +
      'compose up can.',
  },
  // On a cluster the workload keeps its pod template, so scale brings it back.
  clusterToZero: {
    ru:
      'Сервис {service} будет остановлен полностью: {workload} в пространстве имён ' +
      '{namespace} кластера {cluster} — 0 реплик, {pods}. Тома (PersistentVolumeClaim) ' +
      'сохранятся. Вернуть сервис: scale {service} <число>.',
    en:
      'Service {service} will be stopped completely: {workload} in namespace {namespace} ' +
      'of cluster {cluster} goes to 0 replicas, {pods}. Volumes (PersistentVolumeClaims) ' +
      'are kept. To bring it back: scale {service} <count>.',
  },
  podsWillBe: {
    ru: {
      one: '{count} его под будет остановлен',
      few: '{count} его пода будут остановлены',
      other: '{count} его подов будут остановлены',
    },
    en: {
      one: 'its {count} pod will be stopped',
      other: 'its {count} pods will be stopped',
    },
  },
  willBe: {
    ru: {
      one: '{count} контейнер будет корректно остановлен и удалён',
      few: '{count} контейнера будут корректно остановлены и удалены',
      other: '{count} контейнеров будут корректно остановлены и удалены',
    },
    en: {
      one: '{count} container will be stopped gracefully and removed',
      other: '{count} containers will be stopped gracefully and removed',
    },
  },
  same: {
    ru: {
      one: '{service}: уже {count} контейнер, ничего не изменено.',
      few: '{service}: уже {count} контейнера, ничего не изменено.',
      other: '{service}: уже {count} контейнеров, ничего не изменено.',
    },
    en: {
      one: '{service} already has {count} container; nothing was changed.',
      other: '{service} already has {count} containers; nothing was changed.',
    },
  },
  sameOnCluster: {
    ru: {
      one: '{service}: уже {count} реплика, ничего не изменено.',
      few: '{service}: уже {count} реплики, ничего не изменено.',
      other: '{service}: уже {count} реплик, ничего не изменено.',
    },
    en: {
      one: '{service} already has {count} replica; nothing was changed.',
      other: '{service} already has {count} replicas; nothing was changed.',
    },
  },
  title: { ru: '{service}: {before} → {after}', en: '{service}: {before} → {after}' },
  planTitle: {
    ru: 'План: {service} {before} → {after}',
    en: 'Plan: {service} {before} → {after}',
  },
  planText: { ru: 'Ничего не изменено.', en: 'Nothing was changed.' },
  create: { ru: 'Создать', en: 'Create' },
  remove: {
    ru: 'Остановить и удалить (тома сохранятся)',
    en: 'Stop and remove (volumes are kept)',
  },
} as const;

const replicasArg = {
  name: 'replicas',
  description: texts.replicas,
  // Digits only: `-1`, `1e9`, `0x10` and `2.5` are refused before anything is looked at.
  schema: z
    .string()
    .regex(/^\d{1,4}$/)
    .transform(Number),
} as const;

/** The configured bounds; refused before anything reaches the engine. */
function checkBounds(service: ServiceDefinition, replicas: number): void {
  const { min, max } = service.scale;
  if (replicas < min || replicas > max) {
    throw new UserError('scale-out-of-bounds', {
      service: service.name,
      requested: replicas,
      min,
      max,
    });
  }
}

function counts(plan: ScalePlan): { service: string; before: number; after: number } {
  return { service: plan.service, before: plan.before, after: plan.after };
}

function planFields(ctx: CommandContext, plan: ScalePlan): { label: string; value: string }[] {
  return [
    { label: ctx.t(texts.create), value: nameList(ctx, plan.create) },
    { label: ctx.t(texts.remove), value: nameList(ctx, plan.remove) },
  ];
}

function planResult(ctx: CommandContext, plan: ScalePlan): CommandResult {
  return {
    message: {
      severity: 'info',
      title: ctx.t(texts.planTitle, counts(plan)),
      text: ctx.t(texts.planText),
      fields: planFields(ctx, plan),
    },
    data: { dryRun: true, plan },
  };
}

function doneResult(
  ctx: CommandContext,
  plan: ScalePlan,
  reports: readonly ContainerReport[],
): CommandResult {
  return {
    message: {
      severity: 'success',
      title: ctx.t(texts.title, counts(plan)),
      fields: reports.map((r) => ({ label: r.container, value: reportLine(ctx, r) })),
    },
    data: { plan, containers: reports },
  };
}

export default defineCommand({
  name: 'scale',
  aliases: ['масштаб'],
  summary: {
    ru: 'изменить число контейнеров сервиса (реплики Compose)',
    en: 'change the number of containers of a service (Compose replicas)',
  },
  args: [serviceArg, replicasArg],
  options: [dryRunOption],
  mutating: { lock: 'service' },
  // Only scaling to 0 asks: it takes the whole service down. Other counts keep it serving,
  // and stay within the bounds the configuration allows.
  async describe(ctx, input) {
    const service = ctx.service(input.service);
    checkBounds(service, input.replicas);
    if (input.replicas !== 0) return undefined;
    const plan = await ctx.platform(service).planScale(service, 0, ctx.signal);
    const placement = service.kubernetes;
    if (placement !== undefined) {
      const { workload } = placement;
      return ctx.t(texts.clusterToZero, {
        service: service.name,
        workload:
          'name' in workload
            ? `${workload.kind} ${workload.name}`
            : `${workload.kind} (${Object.entries(workload.selector)
                .map(([k, v]) => `${k}=${v}`)
                .join(', ')})`,
        namespace: placement.namespace,
        cluster: placement.cluster,
        pods: countText(texts.podsWillBe, ctx.locale, plan.before),
      });
    }
    return ctx.t(texts.toZero, {
      service: service.name,
      containers: countText(texts.willBe, ctx.locale, plan.remove.length),
      names: plan.remove.join(', '),
    });
  },
  async run(ctx, input) {
    const service = ctx.service(input.service);
    checkBounds(service, input.replicas);
    const platform = ctx.platform(service);
    const plan = await platform.planScale(service, input.replicas, ctx.signal);
    if (plan.before === plan.after) {
      return {
        message: {
          severity: 'info',
          text: countText(
            service.kubernetes === undefined ? texts.same : texts.sameOnCluster,
            ctx.locale,
            plan.before,
            { service: service.name },
          ),
        },
        data: { plan, containers: [] },
      };
    }
    if (input.dryRun) return planResult(ctx, plan);
    const reports = await platform.scale(service, plan, progressReporter(ctx), ctx.signal);
    return doneResult(ctx, plan, reports);
  },
});
