import { z } from 'zod';
import { dryRunOption } from '../src/core/args.ts';
import type { BackupReport, BackupScope } from '../src/core/backup.ts';
import { defineCommand, type CommandResult } from '../src/core/command.ts';
import type { CommandContext } from '../src/core/context.ts';
import { UserError } from '../src/core/errors.ts';
import { quoteValue } from '../src/core/parse.ts';
import { countText } from '../src/core/plural.ts';
import { codeList } from './provision-shared.ts';
import { formatBytes, formatSeconds, jobTag, onlyOption, reportSteps } from './backup-shared.ts';
import { runFiles } from './backup-files.ts';
import { runPrune, runUnlock } from './backup-repository.ts';

const texts = {
  done: { ru: '{service}: копия сделана', en: '{service}: backup done' },
  // Russian "Снимков: N" reads right for any N; English needs the noun to agree.
  doneText: {
    ru: { other: 'Снимков: {count}, за {duration}. Метка задачи: `{job}`.' },
    en: {
      one: '{count} snapshot in {duration}. Job tag: `{job}`.',
      other: '{count} snapshots in {duration}. Job tag: `{job}`.',
    },
  },
  removed: {
    ru: { other: 'Политика хранения удалила старых снимков: {count}.' },
    en: {
      one: 'The retention policy removed {count} old snapshot.',
      other: 'The retention policy removed {count} old snapshots.',
    },
  },
  earlierRemoved: {
    ru: 'Удалены неполные снимки прерванной копии {job}: {ids}.',
    en: 'The partial snapshots of the backup {job} that was cut short were removed: {ids}.',
  },
  earlierLeft: {
    ru: 'Неполные снимки прерванной копии {job} ({ids}) удалить не удалось: {reason}. Они не восстанавливаются; попытка повторится.',
    en: 'The partial snapshots of the backup {job} that was cut short ({ids}) could not be removed: {reason}. They are never restored; this is tried again.',
  },
  retentionFailed: {
    ru: 'Копия сохранена, но политику хранения применить не удалось: {reason}.',
    en: 'The backup is kept, but the retention policy could not be applied: {reason}.',
  },
  field: {
    ru: 'снимок `{id}` · {bytes} · добавлено {added} · {duration}',
    en: 'snapshot `{id}` · {bytes} · {added} added · {duration}',
  },
  files: { ru: { other: 'файлов: {count}' }, en: { one: '{count} file', other: '{count} files' } },
  planTitle: { ru: 'План: копия {service}', en: 'Plan: backup of {service}' },
  planText: {
    ru: 'Будут скопированы: {sources}. Ничего не изменено.',
    en: 'Would back up: {sources}. Nothing was changed.',
  },
} as const;

/** Checked by the parser (not in run), so that a refused tag opens no job. */
const tagOption = {
  name: 'tag',
  flags: '--tag <tag>',
  description: {
    ru: 'своя метка снимков: латиница, цифры, _ . - (до 40), не safety',
    en: 'a tag of your own for the snapshots: letters, digits, _ . - (up to 40), not safety',
  },
  schema: z
    .string()
    .regex(/^(?!safety$)[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$/)
    .optional(),
} as const;

/** Free tags end up in the engine's command line: a strict pattern, and `safety` is ours. */
/** A reason quoted inside a sentence of ours: without its own full stop. */
function clause(reason: string): string {
  return reason.replace(/\.$/, '');
}

function checkTag(tag: string | undefined): string[] {
  if (tag === undefined) return [];
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$/.test(tag) || tag === 'safety') {
    throw new UserError('backup-tag-invalid', { tag: quoteValue(tag) });
  }
  return [tag];
}

function result(ctx: CommandContext, report: BackupReport): CommandResult {
  const lines = [
    countText(texts.doneText, ctx.locale, report.sources.length, {
      duration: formatSeconds(ctx, report.durationMs),
      job: report.job,
    }),
  ];
  if (report.removed.length > 0)
    lines.push(countText(texts.removed, ctx.locale, report.removed.length));
  if (report.retentionError !== undefined) {
    lines.push(ctx.t(texts.retentionFailed, { reason: clause(report.retentionError[ctx.locale]) }));
  }
  const list = (ids: readonly string[]): string =>
    ids.length === 0 ? '?' : ids.map((id) => `\`${id}\``).join(', ');
  for (const run of report.earlier) {
    if (run.error !== undefined) {
      lines.push(
        ctx.t(texts.earlierLeft, {
          job: run.job,
          ids: list(run.left),
          reason: clause(run.error[ctx.locale]),
        }),
      );
    } else if (run.removed.length > 0) {
      lines.push(ctx.t(texts.earlierRemoved, { job: run.job, ids: list(run.removed) }));
    }
  }
  const warn =
    report.retentionError !== undefined || report.earlier.some((r) => r.error !== undefined);
  return {
    message: {
      severity: warn ? 'warning' : 'success',
      title: ctx.t(texts.done, { service: report.service }),
      text: lines.join('\n'),
      fields: report.sources.map((s) => ({
        label: s.source,
        value: [
          ctx.t(texts.field, {
            id: s.snapshotId,
            bytes: formatBytes(ctx, s.bytes),
            added: formatBytes(ctx, s.bytesAdded),
            duration: formatSeconds(ctx, s.durationMs),
          }),
          ...(s.files === undefined ? [] : [countText(texts.files, ctx.locale, s.files)]),
        ].join(' · '),
      })),
    },
    data: report,
  };
}

export default defineCommand({
  name: 'backup',
  aliases: ['бэкап'],
  summary: {
    ru: 'резервная копия томов и баз сервиса; backup unlock — снять зависшую блокировку хранилища',
    en: 'back up the volumes and databases of a service; backup unlock clears a stale repository lock',
  },
  args: [
    {
      name: 'service',
      description: {
        ru: 'сервис из каталога, или unlock / prune (для администраторов)',
        en: 'a service of the catalog, or unlock / prune (for admins)',
      },
      // Checked by the parser, so that a name that is neither opens no job.
      schema: z.string(),
      service: true,
      serviceOr: ['unlock', 'prune', 'files'],
    },
    {
      name: 'more',
      description: {
        ru: 'после files: сервис, id снимка и путь',
        en: 'after files: the service, a snapshot id and a path',
      },
      variadic: true,
      schema: z.array(z.string()),
    },
  ],
  options: [onlyOption, tagOption, dryRunOption],
  mutating: { lock: 'service' },
  needs: 'backups',
  async run(ctx, input) {
    // `backup unlock` as people type it; the permission is that of backup-unlock.
    if (input.service === 'unlock') return runUnlock(ctx, input.dryRun);
    if (input.service === 'prune') return runPrune(ctx, input.dryRun);
    // `backup files` alone backs up a service named `files`, where there is one.
    const filesService = input.more.length === 0 && ctx.catalog.services.has('files');
    if (input.service === 'files' && !filesService) return runFiles(ctx, input.more);
    if (input.more.length > 0) {
      throw new UserError('extra-arguments', { command: 'backup', extra: input.more.join(' ') });
    }
    const service = ctx.service(input.service);
    const tags = checkTag(input.tag);
    const only: BackupScope | undefined = input.only;
    if (input.dryRun) {
      const sources = ctx.backups.sources(service, only).map((s) => s.id);
      return {
        message: {
          severity: 'info',
          title: ctx.t(texts.planTitle, { service: service.name }),
          text: ctx.t(texts.planText, { sources: codeList(sources) }),
        },
        data: { service: service.name, dryRun: true, sources, tags },
      };
    }
    // Cancelled with more failures on the way (the hook after, removing what was stored),
    // the error names them all and carries the cancel as its cause: the job runner reports
    // it rather than a bare "cancelled" (src/core/job-runner.ts).
    const report = await ctx.backups.backup(
      service,
      { only, tags, job: jobTag(ctx), jobId: ctx.jobId },
      reportSteps(ctx),
      ctx.signal,
    );
    return result(ctx, report);
  },
});
