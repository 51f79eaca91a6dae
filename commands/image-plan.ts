/**
 * What update and rollback show: the confirmation (per container, the image it runs and the
 * one it will run), the dry-run plan and the result. Both commands go through the same
 * platform verbs, so they share the words too.
 */
import type { ServiceDefinition } from '../src/core/catalog.ts';
import type { CommandResult } from '../src/core/command.ts';
import type { CommandContext } from '../src/core/context.ts';
import { isUserError, UserError, type ErrorCode } from '../src/core/errors.ts';
import type { ContainerReport, ImageTarget, UpdatePlan } from '../src/core/platform.ts';
import { changeLine, progressReporter, reportLine } from './change-texts.ts';

export type ImageVerb = 'update' | 'rollback';

const texts = {
  confirm: {
    update: {
      ru: 'Обновить {service} — контейнеры пересоздаются по одному, при сбое всё вернётся как было:',
      en: 'Update {service} — containers are recreated one at a time; on any failure everything is put back:',
    },
    rollback: {
      ru: 'Откатить {service} к прежнему образу — по одному контейнеру:',
      en: 'Roll {service} back to the earlier image — one container at a time:',
    },
  },
  pull: {
    ru: 'Образ будет загружен из реестра.',
    en: 'The image will be pulled from its registry.',
  },
  upToDate: {
    update: {
      ru: '{service} уже на этом образе, ничего не изменено.',
      en: '{service} already runs this image; nothing was changed.',
    },
    rollback: {
      ru: '{service} уже на прежнем образе, ничего не изменено.',
      en: '{service} already runs the earlier image; nothing was changed.',
    },
  },
  planTitle: {
    update: { ru: 'План: обновление {service}', en: 'Plan: update {service}' },
    rollback: { ru: 'План: откат {service}', en: 'Plan: roll back {service}' },
  },
  planText: { ru: 'Ничего не изменено.', en: 'Nothing was changed.' },
  done: {
    update: { ru: '{service} обновлён', en: '{service} updated' },
    rollback: { ru: '{service} откачен', en: '{service} rolled back' },
  },
} as const;

/** The confirmation text; undefined when nothing would change (nothing to confirm). */
export function describeImagePlan(
  ctx: CommandContext,
  plan: UpdatePlan,
  verb: ImageVerb,
): string | undefined {
  if (plan.changes.length === 0) return undefined;
  return [
    ctx.t(texts.confirm[verb], { service: plan.service }),
    ...plan.changes.map((c) => `• ${c.container}: ${changeLine(ctx, c)}`),
    ...(plan.pull ? [ctx.t(texts.pull)] : []),
  ].join('\n');
}

function fields(ctx: CommandContext, plan: UpdatePlan): { label: string; value: string }[] {
  return plan.changes.map((c) => ({ label: c.container, value: changeLine(ctx, c) }));
}

/**
 * The platform has one verb for both commands, and its errors speak of an update; a rollback
 * that fails says so in its own words, with the same details.
 */
const rollbackCodes: Partial<Record<ErrorCode, ErrorCode>> = {
  'update-rolled-back': 'rollback-rolled-back',
  'update-cancelled': 'rollback-cancelled',
  'update-rollback-failed': 'rollback-rollback-failed',
  'update-cleanup-failed': 'rollback-cleanup-failed',
};

function asVerb(error: unknown, verb: ImageVerb): unknown {
  const code = verb === 'rollback' && isUserError(error) ? rollbackCodes[error.code] : undefined;
  return code === undefined || !isUserError(error)
    ? error
    : new UserError(code, error.params, { cause: error });
}

/** A container of a rollback went back to the earlier image: it is not "updated". */
function asDone(report: ContainerReport, verb: ImageVerb): ContainerReport {
  return verb === 'rollback' && report.action === 'updated'
    ? { ...report, action: 'rolled-back' }
    : report;
}

/** Plans, and (unless a dry run or nothing to do) applies, an image change to a service. */
export async function runImageChange(
  ctx: CommandContext,
  service: ServiceDefinition,
  target: ImageTarget,
  verb: ImageVerb,
  dryRun: boolean,
): Promise<CommandResult> {
  const platform = ctx.platform(service);
  const plan = await platform.planUpdate(service, target, ctx.signal);
  if (plan.changes.length === 0) {
    return {
      message: { severity: 'info', text: ctx.t(texts.upToDate[verb], { service: service.name }) },
      data: { plan, containers: [] },
    };
  }
  if (dryRun) {
    const pull = plan.pull ? `\n${ctx.t(texts.pull)}` : '';
    return {
      message: {
        severity: 'info',
        title: ctx.t(texts.planTitle[verb], { service: service.name }),
        text: `${ctx.t(texts.planText)}${pull}`,
        fields: fields(ctx, plan),
      },
      data: { dryRun: true, plan },
    };
  }
  let reports: ContainerReport[];
  try {
    reports = await platform.update(service, plan, progressReporter(ctx), ctx.signal);
  } catch (error) {
    throw asVerb(error, verb);
  }
  return {
    message: {
      severity: 'success',
      title: ctx.t(texts.done[verb], { service: service.name }),
      fields: plan.changes.map((change) => {
        const report = reports.find((r) => r.container === change.container);
        const outcome = report === undefined ? '' : ` · ${reportLine(ctx, asDone(report, verb))}`;
        return { label: change.container, value: `${changeLine(ctx, change, true)}${outcome}` };
      }),
    },
    data: { plan, containers: reports },
  };
}
