/**
 * `backup files <service> <id|latest> [path]` (also `backup-files`): what a file-level
 * snapshot of a volume holds, under a path or a glob, as a table. Reads only.
 */
import { z } from 'zod';
import type { SnapshotFiles } from '../src/core/backup.ts';
import { defineCommand, type CommandResult } from '../src/core/command.ts';
import type { CommandContext } from '../src/core/context.ts';
import { UserError } from '../src/core/errors.ts';
import { formatTable, formatTime } from '../src/core/format.ts';
import { rolesAllowing } from '../src/core/permissions.ts';
import { printableName } from '../src/backup/printable-name.ts';
import { formatBytes } from './backup-shared.ts';

const texts = {
  title: { ru: 'Файлы снимка {id}', en: 'Files of snapshot {id}' },
  text: {
    ru: '{source}, {time}. Показано {shown} из {total}.',
    en: '{source}, {time}. Showing {shown} of {total}.',
  },
  headers: { ru: ['путь', 'вид', 'размер'], en: ['path', 'type', 'size'] },
  dir: { ru: 'папка', en: 'folder' },
  file: { ru: 'файл', en: 'file' },
  symlink: { ru: 'ссылка', en: 'link' },
  other: { ru: 'другое', en: 'other' },
} as const;

/** The most entries one answer shows: a chat post is no place for a million lines. */
const limit = 200;

/** A path's longest: a name in the table is shown whole (a --path is typed from it). */
const maxPathChars = 4096;

function result(ctx: CommandContext, files: SnapshotFiles): CommandResult {
  return {
    message: {
      severity: 'info',
      title: ctx.t(texts.title, { id: files.snapshotId }),
      text: ctx.t(texts.text, {
        source: files.source,
        time: formatTime(files.time, { timeZone: ctx.catalog.timeZone }),
        shown: files.entries.length,
        total: files.total,
      }),
      code: {
        content: formatTable(
          texts.headers[ctx.locale],
          files.entries.map((e) => [
            // One line each, whatever the snapshot's names hold (printable-name.ts).
            `${printableName(e.path, maxPathChars)}${e.type === 'dir' ? '/' : ''}`,
            ctx.t(texts[e.type]),
            e.type === 'file' ? formatBytes(ctx, e.size) : '',
          ]),
        ),
      },
    },
    data: files,
  };
}

/** Lists the files; `words` are what follows `backup files`: service, snapshot, path. */
export async function runFiles(
  ctx: CommandContext,
  words: readonly string[],
): Promise<CommandResult> {
  if (!ctx.may('backup-files')) {
    const roles = rolesAllowing(ctx.catalog, 'backup-files');
    const params = {
      actor: ctx.actor.displayName,
      command: 'backup-files',
      roles: roles.join(', '),
    };
    throw new UserError(roles.length > 0 ? 'not-permitted' : 'not-permitted-no-role', params);
  }
  const [name, ref, path, ...extra] = words;
  if (name === undefined || ref === undefined) {
    throw new UserError('missing-argument', {
      argument: name === undefined ? 'service' : 'snapshot',
      command: 'backup files',
    });
  }
  if (extra.length > 0) {
    throw new UserError('extra-arguments', { command: 'backup files', extra: extra.join(' ') });
  }
  if (!ctx.catalog.services.has(name)) {
    throw new UserError('unknown-service', {
      name,
      known: [...ctx.catalog.services.keys()].join(', ') || '—',
    });
  }
  const service = ctx.service(name);
  return result(ctx, await ctx.backups.files(service, ref, path, limit, ctx.signal));
}

export default defineCommand({
  name: 'backup-files',
  aliases: ['бэкап-файлы'],
  summary: {
    ru: 'что лежит в снимке тома (также: backup files <сервис> <id> [путь])',
    en: 'what a volume’s snapshot holds (also: backup files <service> <id> [path])',
  },
  args: [
    {
      name: 'service',
      description: { ru: 'сервис из каталога', en: 'a service of the catalog' },
      schema: z.string(),
      service: true,
    },
    {
      name: 'snapshot',
      description: { ru: 'id снимка или latest', en: 'a snapshot id or latest' },
      schema: z.string(),
    },
    {
      name: 'path',
      description: {
        ru: 'папка, файл или шаблон внутри тома',
        en: 'a folder, file or glob inside the volume',
      },
      schema: z.string().max(4096).optional(),
    },
  ],
  options: [],
  needs: 'backups',
  run: (ctx, input) =>
    runFiles(ctx, [
      input.service,
      input.snapshot,
      ...(input.path === undefined ? [] : [input.path]),
    ]),
});
