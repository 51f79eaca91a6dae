import { dryRunOption, serviceArg } from '../src/core/args.ts';
import type { DrillResult } from '../src/core/backup.ts';
import { defineCommand } from '../src/core/command.ts';
import type { CommandContext } from '../src/core/context.ts';
import { UserError } from '../src/core/errors.ts';
import { formatTime } from '../src/core/format.ts';
import { codeList } from './provision-shared.ts';
import { formatBytes, formatSeconds, jobTag, reportSteps } from './backup-shared.ts';

const texts = {
  done: { ru: 'Копии {service} в порядке', en: 'The backups of {service} are sound' },
  doneText: {
    ru: 'Хранилище проверено (прочитано {subset} данных); пробное восстановление последних снимков совпало с записанным при копировании. {duration}.',
    en: 'Repository checked (read {subset} of the data); a restore drill of the latest snapshots matched what was recorded at backup. {duration}.',
  },
  drill: {
    ru: 'снимок `{id}` от {time} · {bytes} · sha256 {sha}…',
    en: 'snapshot `{id}` of {time} · {bytes} · sha256 {sha}…',
  },
  check: { ru: 'проверка хранилища: {reason}', en: 'repository check: {reason}' },
  cleanup: {
    ru: 'временный том пробного восстановления не удалён ({what})',
    en: 'the scratch volume of a drill was not removed ({what})',
  },
  planTitle: { ru: 'План: проверка копий {service}', en: 'Plan: verify the backups of {service}' },
  planText: {
    ru: 'Проверка хранилища и пробное восстановление последних снимков: {sources}. Ничего не изменено.',
    en: 'A repository check and a restore drill of the latest snapshots of: {sources}. Nothing was changed.',
  },
} as const;

function problem(drill: DrillResult): string {
  return `${drill.source} (${drill.snapshotId}): ${drill.reason ?? drill.problem ?? '?'}`;
}

function drillField(ctx: CommandContext, drill: DrillResult): { label: string; value: string } {
  return {
    label: drill.source,
    value: ctx.t(texts.drill, {
      id: drill.snapshotId,
      time: formatTime(drill.time, { timeZone: ctx.catalog.timeZone }),
      bytes: formatBytes(ctx, drill.actual?.bytes),
      sha: drill.actual?.sha256.slice(0, 12) ?? '—',
    }),
  };
}

export default defineCommand({
  name: 'verify',
  aliases: ['проверить'],
  summary: {
    ru: 'проверить хранилище копий и пробно восстановить последние снимки сервиса',
    en: 'check the backup repository and run a restore drill of the latest snapshots',
  },
  args: [serviceArg],
  options: [dryRunOption],
  // A job (progress, cancel) that holds the service: retention must not forget the snapshot
  // a drill is reading.
  mutating: { lock: 'service' },
  needs: 'backups',
  async run(ctx, input) {
    const service = ctx.service(input.service);
    if (input.dryRun) {
      const sources = ctx.backups.sources(service, undefined).map((s) => s.id);
      return {
        message: {
          severity: 'info',
          title: ctx.t(texts.planTitle, { service: service.name }),
          text: ctx.t(texts.planText, { sources: codeList(sources) }),
        },
        data: { service: service.name, dryRun: true, sources },
      };
    }
    const report = await ctx.backups.verify(
      service,
      { job: jobTag(ctx) },
      reportSteps(ctx),
      ctx.signal,
    );
    if (!report.ok) {
      const problems = [
        ...(report.checkError === undefined
          ? []
          : [ctx.t(texts.check, { reason: report.checkError[ctx.locale] })]),
        ...report.drills.filter((d) => !d.ok).map(problem),
        ...report.cleanup.map((what) => ctx.t(texts.cleanup, { what })),
      ];
      throw new UserError('backup-verify-failed', {
        service: service.name,
        problems: problems.join('; '),
      });
    }
    return {
      message: {
        severity: 'success',
        title: ctx.t(texts.done, { service: service.name }),
        text: ctx.t(texts.doneText, {
          subset: report.subset,
          duration: formatSeconds(ctx, report.durationMs),
        }),
        fields: report.drills.map((d) => drillField(ctx, d)),
      },
      data: report,
    };
  },
});
