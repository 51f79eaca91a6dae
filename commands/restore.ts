import { z } from 'zod';
import { dryRunOption, serviceArg } from '../src/core/args.ts';
import {
  snapshotStateTexts,
  type RestoreFilesRequest,
  type RestoreItem,
  type RestorePlan,
} from '../src/core/backup.ts';
import { defineCommand } from '../src/core/command.ts';
import type { CommandContext } from '../src/core/context.ts';
import { UserError } from '../src/core/errors.ts';
import { formatTime } from '../src/core/format.ts';
import { codeName } from '../src/backup/printable-name.ts';
import { codeList } from './provision-shared.ts';
import { formatBytes, formatSeconds, jobTag, onlyOption, reportSteps } from './backup-shared.ts';

const texts = {
  intro: {
    ru: 'Восстановить **{service}** из копии `{job}` ({ref}). Будет перезаписано:',
    en: 'Restore **{service}** from backup `{job}` ({ref}). This overwrites:',
  },
  volume: {
    ru: '• том `{name}` — очищается и заполняется из снимка `{id}` от {time} ({bytes})',
    en: '• volume `{name}`: emptied, then filled from snapshot `{id}` of {time} ({bytes})',
  },
  database: {
    ru: '• база `{name}` — заменяется дампом ({how}) из снимка `{id}` от {time} ({bytes})',
    en: '• database `{name}`: replaced by the dump ({how}) from snapshot `{id}` of {time} ({bytes})',
  },
  other: {
    ru: '• `{name}` — из снимка `{id}` от {time} ({bytes})',
    en: '• `{name}`: from snapshot `{id}` of {time} ({bytes})',
  },
  untouched: {
    ru: 'Не трогаются (их нет в этой копии): {names}.',
    en: 'Left as they are (not in this backup): {names}.',
  },
  notComplete: {
    ru: '⚠ Снимок `{id}` ({source}) — {state}: неизвестно, что он полный. Восстановление из него может оставить сервис с частью данных. Продолжайте, только если уверены.',
    en: '⚠ Snapshot `{id}` ({source}) is {state}: it is not known to be complete. Restoring it may leave the service with part of its data. Go on only if you are sure.',
  },
  steps: {
    ru: 'Сначала делается страховочная копия текущего состояния; на время восстановления {service} останавливается.',
    en: 'A safety backup of the current state is taken first; {service} is stopped during the restore.',
  },
  paths: {
    ru: 'Только эти пути тома `{volume}` (каждый сначала удаляется, остальное не трогается): {paths}',
    en: 'Only these paths of the volume `{volume}` (each removed first, everything else left as it is): {paths}',
  },
  beside: {
    ru: 'Восстановить из снимка `{id}` ({source}, {time}) в том `{volume}`{paths}. Сервис {service} не останавливается и не трогается.',
    en: 'Restore from snapshot `{id}` ({source}, {time}) into the volume `{volume}`{paths}. {service} is neither stopped nor touched.',
  },
  besideNew: { ru: 'Том {volume} будет создан.', en: 'The volume {volume} will be made.' },
  besidePaths: { ru: ', только {paths}', en: ', only {paths}' },
  replaceData: {
    ru: '⚠ В томе `{volume}` уже есть данные: они будут удалены и заменены содержимым снимка. Подтвердите ещё раз.',
    en: '⚠ The volume `{volume}` already holds data: it will be deleted and replaced by the snapshot’s. Confirm once more.',
  },
  besideDone: { ru: 'Восстановлено в том {volume}', en: 'Restored into the volume {volume}' },
  besideDoneText: {
    ru: 'Из снимка `{id}` за {duration}; {service} не трогался.',
    en: 'From snapshot `{id}` in {duration}; {service} was not touched.',
  },
  pathsDone: { ru: 'Восстановлены пути: {paths}', en: 'Paths restored: {paths}' },
  dryRun: { ru: 'План (ничего не изменено)', en: 'Plan (nothing was changed)' },
  done: { ru: '{service} восстановлен', en: '{service} restored' },
  doneText: {
    ru: 'Из копии `{job}` за {duration}; сервис запущен и здоров.',
    en: 'From backup `{job}` in {duration}; the service is running and healthy.',
  },
  back: {
    ru: 'Вернуть состояние до восстановления: restore {service} {safety}',
    en: 'To return to the state before this restore: restore {service} {safety}',
  },
} as const;

/** The name people know a source by: `volume:moodledata` → `moodledata`. */
function targetName(source: string): string {
  return source.slice(source.indexOf(':') + 1);
}

function itemLine(ctx: CommandContext, item: RestoreItem): string {
  const template =
    item.kind === 'volume' ? texts.volume : item.kind === 'database' ? texts.database : texts.other;
  return ctx.t(template, {
    name: item.kind === 'other' ? item.source : targetName(item.source),
    id: item.snapshotId,
    time: formatTime(item.time, { timeZone: ctx.catalog.timeZone }),
    bytes: formatBytes(ctx, item.bytes),
    how: item.source.startsWith('postgres:') ? 'pg_restore --clean --if-exists' : 'mysql',
  });
}

/** A warning, first, for each snapshot not known complete (only an id can name one). */
function warnings(ctx: CommandContext, plan: RestorePlan): string[] {
  return plan.items
    .filter((item) => item.state !== 'complete')
    .map((item) =>
      ctx.t(texts.notComplete, {
        id: item.snapshotId,
        source: item.source,
        state: ctx.t(snapshotStateTexts[item.state]),
      }),
    );
}

/** Paths matched in the snapshot (a glob brings its names): each as one line of code. */
function pathList(paths: readonly string[]): string {
  const shown = paths.slice(0, 20).map((p) => codeName(p));
  return paths.length > 20 ? `${shown.join(', ')}, … (${paths.length})` : shown.join(', ');
}

function describePlan(ctx: CommandContext, plan: RestorePlan): string {
  const [first] = plan.items;
  if (plan.target !== undefined && first !== undefined) {
    return [
      ...warnings(ctx, plan),
      ctx.t(texts.beside, {
        id: first.snapshotId,
        source: first.source,
        time: formatTime(first.time, { timeZone: ctx.catalog.timeZone }),
        volume: plan.target.volume,
        service: plan.service,
        paths:
          plan.paths === undefined ? '' : ctx.t(texts.besidePaths, { paths: pathList(plan.paths) }),
      }),
      ...(plan.target.exists ? [] : [ctx.t(texts.besideNew, { volume: plan.target.volume })]),
    ].join('\n');
  }
  return [
    ...warnings(ctx, plan),
    ctx.t(texts.intro, { service: plan.service, job: plan.job, ref: plan.ref }),
    ...(plan.paths === undefined || first === undefined
      ? plan.items.map((item) => itemLine(ctx, item))
      : [ctx.t(texts.paths, { volume: targetName(first.source), paths: pathList(plan.paths) })]),
    ...(plan.untouched.length > 0
      ? [ctx.t(texts.untouched, { names: codeList(plan.untouched) })]
      : []),
    ctx.t(texts.steps, { service: plan.service }),
  ].join('\n');
}

/**
 * Restoring a snapshot not known to be complete takes `--incomplete` on top of the
 * confirmation (which warns): `--yes` alone answers the question unseen, so it must not be
 * enough to restore part of a service's data.
 */
const incompleteOption = {
  name: 'incomplete',
  flags: '--incomplete',
  description: {
    ru: 'восстановить и из снимка, о котором неизвестно, что он полный',
    en: 'restore even from a snapshot not known to be complete',
  },
  schema: z
    .boolean()
    .optional()
    .transform((v) => v === true),
} as const;

const pathOption = {
  name: 'path',
  flags: '--path <path...>',
  description: {
    ru: 'только этот файл или папку тома (можно несколько; * ? [..] ** — шаблоны)',
    en: 'only this file or folder of the volume (repeatable; * ? [..] ** are globs)',
  },
  schema: z.array(z.string().min(1).max(4096)).max(100).optional(),
} as const;

const toOption = {
  name: 'to',
  flags: '--to <volume>',
  description: {
    ru: 'в другой том, рядом с живыми данными, без остановки сервиса',
    en: 'into another volume, beside the live data, without stopping the service',
  },
  schema: z.string().optional(),
} as const;

const forceOption = {
  name: 'force',
  flags: '--force',
  description: {
    ru: 'с --to: заменить данные в непустом томе (спросит дважды)',
    en: 'with --to: replace the data of a volume that is not empty (asks twice)',
  },
  schema: z
    .boolean()
    .optional()
    .transform((v) => v === true),
} as const;

function filesRequest(input: {
  readonly path: readonly string[] | undefined;
  readonly to: string | undefined;
  readonly force: boolean;
}): RestoreFilesRequest {
  // Only a side restore asks before replacing a volume's data; in place it would do nothing.
  if (input.force && input.to === undefined) throw new UserError('backup-force-needs-to');
  return {
    ...(input.path === undefined ? {} : { paths: input.path }),
    ...(input.to === undefined ? {} : { to: input.to }),
    force: input.force,
  };
}

function refuseNotComplete(plan: RestorePlan, allowed: boolean): void {
  const doubtful = plan.items.filter((item) => item.state !== 'complete');
  const [first] = doubtful;
  if (first === undefined || allowed) return;
  throw new UserError('backup-snapshot-not-complete', {
    service: plan.service,
    ids: doubtful.map((item) => item.snapshotId).join(', '),
    stateRu: snapshotStateTexts[first.state].ru,
    stateEn: snapshotStateTexts[first.state].en,
    ref: plan.ref,
  });
}

export default defineCommand({
  name: 'restore',
  aliases: ['восстановить'],
  summary: {
    ru: 'восстановить сервис из снимка; сначала страховочная копия',
    en: 'restore a service from a snapshot; a safety backup is taken first',
  },
  args: [
    serviceArg,
    {
      name: 'snapshot',
      description: { ru: 'id снимка или latest', en: 'a snapshot id or latest' },
      // Checked (pattern, owner) by planRestore, which says what is allowed when it refuses.
      schema: z.string(),
    },
  ],
  options: [onlyOption, incompleteOption, pathOption, toOption, forceOption, dryRunOption],
  mutating: { lock: 'service' },
  async describe(ctx, input) {
    const service = ctx.service(input.service);
    const plan = await ctx.backups.planRestore(
      service,
      input.snapshot,
      input.only,
      ctx.signal,
      filesRequest(input),
    );
    refuseNotComplete(plan, input.incomplete);
    const first = describePlan(ctx, plan);
    // Data in the target volume is deleted: a second, separate confirmation.
    return plan.target?.hasData === true
      ? [first, ctx.t(texts.replaceData, { volume: plan.target.volume })]
      : first;
  },
  async run(ctx, input) {
    const service = ctx.service(input.service);
    const plan = await ctx.backups.planRestore(
      service,
      input.snapshot,
      input.only,
      ctx.signal,
      filesRequest(input),
    );
    if (!input.dryRun) refuseNotComplete(plan, input.incomplete);
    if (input.dryRun) {
      return {
        message: { severity: 'info', title: ctx.t(texts.dryRun), text: describePlan(ctx, plan) },
        data: { dryRun: true, plan },
      };
    }
    let report;
    try {
      report = await ctx.backups.restore(
        service,
        plan,
        { job: jobTag(ctx), jobId: ctx.jobId },
        reportSteps(ctx),
        ctx.signal,
      );
    } catch (error) {
      // A cancelled job is reported as "cancelled" by the job runner, which would drop the
      // way back to the safety snapshot: that part is sent on its own first.
      if (ctx.signal.aborted && error instanceof UserError) {
        const hint = error.hint(ctx.locale);
        ctx.reply({
          severity: 'error',
          text: [error.text(ctx.locale), hint].filter(Boolean).join('\n'),
        });
      }
      throw error;
    }
    const [first] = plan.items;
    if (plan.target !== undefined && first !== undefined) {
      return {
        message: {
          severity: 'success',
          title: ctx.t(texts.besideDone, { volume: plan.target.volume }),
          text: [
            ctx.t(texts.besideDoneText, {
              id: first.snapshotId,
              duration: formatSeconds(ctx, report.durationMs),
              service: service.name,
            }),
            ...(plan.paths === undefined
              ? []
              : [ctx.t(texts.pathsDone, { paths: pathList(plan.paths) })]),
          ].join('\n'),
        },
        data: report,
      };
    }
    return {
      message: {
        severity: 'success',
        title: ctx.t(texts.done, { service: service.name }),
        text: [
          ctx.t(texts.doneText, { job: plan.job, duration: formatSeconds(ctx, report.durationMs) }),
          ...(plan.paths === undefined
            ? []
            : [ctx.t(texts.pathsDone, { paths: pathList(plan.paths) })]),
          ...(report.safetySnapshot === undefined
            ? []
            : [ctx.t(texts.back, { service: service.name, safety: report.safetySnapshot })]),
        ].join('\n'),
        fields: report.restored.map((r) => ({
          label: r.source,
          value: formatBytes(ctx, r.bytes),
          short: true,
        })),
      },
      data: report,
    };
  },
});
