import { lastOption, serviceArg } from '../src/core/args.ts';
import {
  safetyTag,
  snapshotStateTexts,
  sourceKind,
  type SnapshotEntry,
} from '../src/core/backup.ts';
import { defineCommand } from '../src/core/command.ts';
import type { CommandContext } from '../src/core/context.ts';
import { formatDay, formatTable, formatTime } from '../src/core/format.ts';
import { formatBytes } from './backup-shared.ts';

const texts = {
  title: { ru: 'Снимки {service}', en: 'Snapshots of {service}' },
  count: {
    ru: 'Показано {shown} из {total}; проверены пробным восстановлением: {verified}.',
    en: 'Showing {shown} of {total}; checked by a restore drill: {verified}.',
  },
  none: { ru: 'У {service} ещё нет снимков.', en: '{service} has no snapshots yet.' },
  notComplete: {
    ru: 'Не известно, что полные: {count} — они не выбираются как latest и не учитываются политикой хранения.',
    en: 'Not known to be complete: {count}; never chosen as latest nor counted by the retention policy.',
  },
  headers: {
    ru: ['id', 'время', 'источник', 'вид', 'состояние', 'размер', 'файлов', 'проверен', 'метки'],
    en: ['id', 'time', 'source', 'kind', 'state', 'size', 'files', 'verified', 'tags'],
  },
  // A volume as its files (single paths restorable), as one tar (the older way), or a dump.
  kindFiles: { ru: 'файлы', en: 'files' },
  kindTar: { ru: 'tar', en: 'tar' },
  kindStream: { ru: 'поток', en: 'stream' },
  ok: { ru: 'да', en: 'yes' },
  failed: { ru: 'ОШИБКА', en: 'FAILED' },
  no: { ru: 'нет', en: 'no' },
} as const;

function verifiedText(ctx: CommandContext, entry: SnapshotEntry): string {
  if (entry.verified === undefined) return ctx.t(texts.no);
  const when = formatDay(entry.verified.at, ctx.catalog.timeZone);
  return `${ctx.t(entry.verified.ok ? texts.ok : texts.failed)} ${when}`;
}

function kindText(ctx: CommandContext, entry: SnapshotEntry): string {
  if (entry.kind === 'files') return ctx.t(texts.kindFiles);
  return ctx.t(sourceKind(entry.source) === 'volume' ? texts.kindTar : texts.kindStream);
}

function row(ctx: CommandContext, entry: SnapshotEntry): string[] {
  const tags = [`job ${entry.job}`, ...entry.extra.filter((t) => t !== safetyTag)];
  if (entry.extra.includes(safetyTag)) tags.unshift(safetyTag);
  return [
    entry.id,
    formatTime(entry.time, { timeZone: ctx.catalog.timeZone }),
    entry.source,
    kindText(ctx, entry),
    ctx.t(snapshotStateTexts[entry.state]),
    formatBytes(ctx, entry.manifest?.bytes),
    entry.manifest?.files === undefined ? '—' : String(entry.manifest.files),
    verifiedText(ctx, entry),
    tags.join(', '),
  ];
}

export default defineCommand({
  name: 'backups',
  aliases: ['бэкапы', 'снимки'],
  summary: {
    ru: 'снимки сервиса: время, источник, размер, проверен ли',
    en: 'the snapshots of a service: time, source, size, whether verified',
  },
  args: [serviceArg],
  options: [lastOption(20, 1000)],
  async run(ctx, input) {
    const service = ctx.service(input.service);
    const all = await ctx.backups.snapshots(service, ctx.signal);
    const shown = all.slice(0, input.last);
    const notComplete = all.filter((s) => s.state !== 'complete').length;
    if (shown.length === 0) {
      return {
        message: { severity: 'info', text: ctx.t(texts.none, { service: service.name }) },
        data: { service: service.name, snapshots: [] },
      };
    }
    return {
      message: {
        severity: 'info',
        title: ctx.t(texts.title, { service: service.name }),
        text: [
          ctx.t(texts.count, {
            shown: shown.length,
            total: all.length,
            verified: all.filter((s) => s.verified?.ok === true).length,
          }),
          ...(notComplete === 0 ? [] : [ctx.t(texts.notComplete, { count: notComplete })]),
        ].join('\n'),
        code: {
          content: formatTable(
            texts.headers[ctx.locale],
            shown.map((s) => row(ctx, s)),
          ),
        },
      },
      data: { service: service.name, snapshots: shown },
    };
  },
});
