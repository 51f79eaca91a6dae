import { z } from 'zod';
import { defineCommand, type AnyCommand } from '../src/core/command.ts';
import type { CommandContext } from '../src/core/context.ts';
import { UserError } from '../src/core/errors.ts';
import { formatTable } from '../src/core/format.ts';
import { quoteValue } from '../src/core/parse.ts';

const texts = {
  title: { ru: 'Команды, доступные вам', en: 'Commands you may run' },
  more: { ru: 'Подробнее: help <команда>', en: 'More: help <command>' },
  aliases: { ru: 'Другие имена', en: 'Aliases' },
  args: { ru: 'Аргументы', en: 'Arguments' },
  options: { ru: 'Параметры', en: 'Options' },
  confirm: {
    ru: 'Перед выполнением покажет, что изменится, и попросит подтверждения.',
    en: 'Shows what will change and asks for a confirmation before it runs.',
  },
} as const;

export function usage(command: AnyCommand): string {
  const args = command.args.map((a) =>
    a.variadic === true
      ? `[${a.name}…]`
      : a.schema.safeParse(undefined).success
        ? `[${a.name}]`
        : `<${a.name}>`,
  );
  const options = command.options.map((o) => `[${o.flags}]`);
  return [command.name, ...args, ...options].join(' ');
}

function describeCommand(ctx: CommandContext, command: AnyCommand): string {
  const lines = [`\`${usage(command)}\``, ctx.t(command.summary)];
  if (command.aliases !== undefined && command.aliases.length > 0) {
    lines.push(`${ctx.t(texts.aliases)}: ${command.aliases.join(', ')}`);
  }
  if (command.args.length > 0) {
    lines.push(
      `${ctx.t(texts.args)}:`,
      ...command.args.map((a) => `  ${a.name} — ${ctx.t(a.description)}`),
    );
  }
  if (command.options.length > 0) {
    lines.push(
      `${ctx.t(texts.options)}:`,
      ...command.options.map((o) => `  ${o.flags} — ${ctx.t(o.description)}`),
    );
  }
  if (command.describe !== undefined) lines.push(ctx.t(texts.confirm));
  return lines.join('\n');
}

export default defineCommand({
  name: 'help',
  aliases: ['помощь', 'справка'],
  summary: { ru: 'список команд или справка по одной', en: 'list the commands, or explain one' },
  args: [
    {
      name: 'command',
      description: { ru: 'имя команды', en: 'command name' },
      schema: z.string().optional(),
    },
  ],
  options: [],
  run(ctx, input) {
    if (input.command !== undefined) {
      const command = ctx.registry.find(input.command);
      // A command the caller may not run is not shown: help reveals only what is theirs.
      if (command === undefined || !ctx.may(command.name)) {
        throw new UserError('unknown-command', { name: quoteValue(input.command) });
      }
      return Promise.resolve({
        message: { severity: 'info', text: describeCommand(ctx, command) },
        data: { command: command.name, usage: usage(command) },
      });
    }
    const allowed = ctx.registry.list().filter((c) => ctx.may(c.name));
    const table = formatTable(
      [],
      allowed.map((c) => [usage(c), ctx.t(c.summary)]),
    );
    return Promise.resolve({
      message: {
        severity: 'info',
        title: ctx.t(texts.title),
        code: { content: table.replace(/^\n/, '') },
        text: ctx.t(texts.more),
      },
      data: { commands: allowed.map((c) => c.name) },
    });
  },
});
