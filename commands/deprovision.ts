import { z } from 'zod';
import { dryRunOption } from '../src/core/args.ts';
import { defineCommand } from '../src/core/command.ts';
import type { CommandContext } from '../src/core/context.ts';
import type { DeprovisionPlan } from '../src/core/platform.ts';
import { countText } from '../src/core/plural.ts';
import { instanceService } from '../src/core/templates.ts';
import { codeList, reportSteps } from './provision-shared.ts';

const texts = {
  remove: {
    ru: {
      one: 'Удалить **{instance}**: остановить и удалить контейнер {containers}.',
      other: 'Удалить **{instance}**: остановить и удалить контейнеры {containers}.',
    },
    en: {
      one: 'Deprovision **{instance}**: stop and remove the container {containers}.',
      other: 'Deprovision **{instance}**: stop and remove the containers {containers}.',
    },
  },
  removeObjects: {
    ru: {
      one: 'Удалить **{instance}**: удалить объект кластера {containers}.',
      other: 'Удалить **{instance}**: удалить объекты кластера {containers}.',
    },
    en: {
      one: 'Deprovision **{instance}**: delete the cluster object {containers}.',
      other: 'Deprovision **{instance}**: delete the cluster objects {containers}.',
    },
  },
  noContainers: {
    ru: 'У **{instance}** не осталось контейнеров.',
    en: '**{instance}** has no containers left.',
  },
  noObjects: {
    ru: 'У **{instance}** не осталось объектов в кластере.',
    en: '**{instance}** has no objects left in the cluster.',
  },
  keep: {
    ru: 'Тома сохраняются: {volumes}.',
    en: 'The volumes are kept: {volumes}.',
  },
  keepClaims: {
    ru: 'Заявки на тома (PVC) с данными сохраняются: {volumes}.',
    en: 'The volume claims (PVCs) with the data are kept: {volumes}.',
  },
  // With --delete-data the first question must not say the data stays: it is asked next.
  askedNext: {
    ru: 'Об удалении томов {volumes} будет отдельный вопрос.',
    en: 'Deleting the volumes {volumes} is asked separately, next.',
  },
  askedNextClaims: {
    ru: 'Об удалении заявок на тома (PVC) {volumes} будет отдельный вопрос.',
    en: 'Deleting the volume claims (PVCs) {volumes} is asked separately, next.',
  },
  deleteData: {
    ru: 'Удалить тома {instance}: {volumes}. Все данные в них будут потеряны навсегда, восстановить их будет нельзя.',
    en: 'Delete the volumes of {instance}: {volumes}. All their data will be lost forever; it cannot be recovered.',
  },
  deleteClaims: {
    ru: 'Удалить заявки на тома (PVC) {instance}: {volumes}. Все данные в них будут потеряны навсегда, восстановить их будет нельзя.',
    en: 'Delete the volume claims (PVCs) of {instance}: {volumes}. All their data will be lost forever; it cannot be recovered.',
  },
  dryRun: { ru: 'План (ничего не изменено)', en: 'Plan (nothing was changed)' },
  removed: { ru: '{instance} удалён', en: '{instance} deprovisioned' },
  removedContainers: {
    ru: { one: 'Удалён контейнер {names}.', other: 'Удалены контейнеры: {names}.' },
    en: { one: 'Removed the container {names}.', other: 'Removed containers: {names}.' },
  },
  removedObjects: {
    ru: { one: 'Удалён объект {names}.', other: 'Удалены объекты: {names}.' },
    en: { one: 'Deleted the object {names}.', other: 'Deleted objects: {names}.' },
  },
  keptVolumes: {
    ru: 'Тома сохранены: {names} (удалить: deprovision {instance} --delete-data).',
    en: 'Volumes kept: {names} (to delete: deprovision {instance} --delete-data).',
  },
  keptClaims: {
    ru: 'Заявки на тома (PVC) сохранены: {names} (удалить: deprovision {instance} --delete-data).',
    en: 'Volume claims (PVCs) kept: {names} (to delete: deprovision {instance} --delete-data).',
  },
  deletedVolumes: { ru: 'Удалены тома: {names}.', en: 'Deleted volumes: {names}.' },
  deletedClaims: {
    ru: 'Удалены заявки на тома (PVC): {names}.',
    en: 'Deleted volume claims (PVCs): {names}.',
  },
} as const;

/** The same sentence for a Docker host or a cluster, as the plan says which it is. */
const onCluster = <D, C>(plan: DeprovisionPlan, docker: D, cluster: C): D | C =>
  plan.units === 'cluster' ? cluster : docker;

function keepText(ctx: CommandContext, plan: DeprovisionPlan): string {
  const volumes = codeList(plan.volumes);
  const dataLine =
    plan.deleteData && plan.volumes.length > 0
      ? ctx.t(onCluster(plan, texts.askedNext, texts.askedNextClaims), { volumes })
      : ctx.t(onCluster(plan, texts.keep, texts.keepClaims), { volumes });
  return [
    plan.containers.length === 0
      ? ctx.t(onCluster(plan, texts.noContainers, texts.noObjects), { instance: plan.instance })
      : countText(
          onCluster(plan, texts.remove, texts.removeObjects),
          ctx.locale,
          plan.containers.length,
          {
            instance: plan.instance,
            containers: codeList(plan.containers),
          },
        ),
    dataLine,
  ].join('\n');
}

function deleteText(ctx: CommandContext, plan: DeprovisionPlan): string {
  return ctx.t(onCluster(plan, texts.deleteData, texts.deleteClaims), {
    instance: plan.instance,
    volumes: codeList(plan.volumes),
  });
}

function plan(ctx: CommandContext, name: string, deleteData: boolean): Promise<DeprovisionPlan> {
  return ctx.platform(instanceService(name)).planDeprovision(name, deleteData, ctx.signal);
}

export default defineCommand({
  name: 'deprovision',
  aliases: ['удалить'],
  summary: {
    ru: 'удалить сервис, созданный provision; тома остаются, если не указан --delete-data',
    en: 'remove a service made by provision; volumes stay unless --delete-data',
  },
  args: [
    {
      name: 'name',
      description: { ru: 'имя сервиса', en: 'name of the service' },
      schema: z.string().regex(/^[a-z][a-z0-9-]{1,30}$/),
    },
  ],
  options: [
    {
      name: 'deleteData',
      flags: '--delete-data',
      description: {
        ru: 'удалить и тома с данными (спросит отдельно)',
        en: 'delete the data volumes too (asked separately)',
      },
      schema: z
        .boolean()
        .optional()
        .transform((v) => v === true),
    },
    dryRunOption,
  ],
  mutating: { lock: 'name' },
  async describe(ctx, input) {
    const planned = await plan(ctx, input.name, input.deleteData);
    // Deleting data is a decision of its own: asked second, with its own code, after the
    // same question a plain deprovision asks.
    if (!input.deleteData || planned.volumes.length === 0) return keepText(ctx, planned);
    return [keepText(ctx, planned), deleteText(ctx, planned)];
  },
  async run(ctx, input) {
    const planned = await plan(ctx, input.name, input.deleteData);
    if (input.dryRun) {
      const steps = [keepText(ctx, planned)];
      if (input.deleteData && planned.volumes.length > 0) steps.push(deleteText(ctx, planned));
      return {
        message: { severity: 'info', title: ctx.t(texts.dryRun), text: steps.join('\n') },
        data: { dryRun: true, plan: planned },
      };
    }
    const platform = ctx.platform(instanceService(input.name));
    const reports = await platform.deprovision(planned, reportSteps(ctx), ctx.signal);
    const gone = new Set(reports.map((r) => r.container));
    const containers = planned.containers.filter((c) => gone.has(c));
    const deleted = planned.volumes.filter((v) => gone.has(v));
    const kept = planned.volumes.filter((v) => !gone.has(v));
    const lines = [
      countText(
        onCluster(planned, texts.removedContainers, texts.removedObjects),
        ctx.locale,
        containers.length,
        { names: codeList(containers) },
      ),
      ...(deleted.length > 0
        ? [
            ctx.t(onCluster(planned, texts.deletedVolumes, texts.deletedClaims), {
              names: codeList(deleted),
            }),
          ]
        : []),
      ...(kept.length > 0
        ? [
            ctx.t(onCluster(planned, texts.keptVolumes, texts.keptClaims), {
              names: codeList(kept),
              instance: planned.instance,
            }),
          ]
        : []),
    ];
    return {
      message: {
        severity: 'success',
        title: ctx.t(texts.removed, { instance: planned.instance }),
        text: lines.join('\n'),
      },
      data: { plan: planned, reports, deletedVolumes: deleted, keptVolumes: kept },
    };
  },
});
