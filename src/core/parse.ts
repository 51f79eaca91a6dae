/**
 * Turns tokens into a command and a validated input. The same code serves the terminal and
 * every messenger: commander does the option grammar (with exitOverride, so it never exits
 * or prints), each argument's schema does the validation, in the caller's language.
 */
import { Command, CommanderError } from 'commander';
import { z } from 'zod';
import type { Catalog } from './catalog.ts';
import type { AnyCommand } from './command.ts';
import { UserError } from './errors.ts';
import { localize, type Locale, type Text } from './i18n.ts';
import type { RegistryView } from './context.ts';

export interface ParsedCommand {
  readonly command: AnyCommand;
  readonly input: Readonly<Record<string, unknown>>;
}

/** Shows a value typed by someone inside an error message without letting it run wild. */
export function quoteValue(value: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = value.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > 60 ? `${clean.slice(0, 57)}…` : clean;
}

const zodLocales = { ru: z.locales.ru(), en: z.locales.en() } as const;

function commanderFor(command: AnyCommand): Command {
  const parser = new Command(command.name)
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined })
    .helpOption(false)
    .action(() => undefined);
  for (const arg of command.args) {
    const optional = arg.variadic === true || arg.schema.safeParse(undefined).success;
    const name = arg.variadic === true ? `${arg.name}...` : arg.name;
    parser.argument(optional ? `[${name}]` : `<${name}>`);
  }
  for (const option of command.options) parser.option(option.flags);
  return parser;
}

function translateCommanderError(
  error: CommanderError,
  command: AnyCommand,
  tokens: readonly string[],
): UserError {
  const quoted = /'([^']*)'/.exec(error.message)?.[1] ?? '';
  switch (error.code) {
    case 'commander.unknownOption':
      return new UserError('unknown-option', { option: quoteValue(quoted), command: command.name });
    case 'commander.missingArgument':
      return new UserError('missing-argument', { argument: quoted, command: command.name });
    case 'commander.optionMissingArgument':
      return new UserError('missing-option-value', { option: quoteValue(quoted) });
    case 'commander.excessArguments': {
      const extra = tokens.filter((t) => !t.startsWith('-')).slice(command.args.length);
      return new UserError('extra-arguments', {
        command: command.name,
        extra: quoteValue(extra.join(' ')),
      });
    }
    default:
      return new UserError('invalid-argument', {
        argument: command.name,
        value: quoteValue(tokens.join(' ')),
        reason: error.message,
      });
  }
}

const expectedText: Text = { ru: 'ожидается {what}', en: 'expected: {what}' };

/**
 * A pattern mismatch is explained by the argument's own description: zod's default would
 * show the regular expression, which tells a person at 3 a.m. nothing.
 */
function validate(
  schema: z.ZodType,
  value: unknown,
  name: string,
  description: Text,
  locale: Locale,
): unknown {
  const result = schema.safeParse(value, { error: zodLocales[locale].localeError });
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const reason =
    issue?.code === 'invalid_format'
      ? localize(expectedText, locale, { what: description[locale] })
      : (issue?.message ?? '');
  throw new UserError('invalid-argument', {
    argument: name,
    value: quoteValue(
      Array.isArray(value) ? value.join(' ') : typeof value === 'string' ? value : String(value),
    ),
    reason,
  });
}

/**
 * `—last` and `–last` as `--last`: the "smart dashes" of macOS and iOS text fields (the
 * Mattermost and Element apps use them) turn a typed `--` into an em or en dash, and the
 * option would otherwise be taken for an argument, with its value after it. Only a dash
 * directly followed by one of the command's own option names is read so; any other word
 * (a silence's comment, say) is left as typed.
 */
function optionDash(command: AnyCommand): (word: string) => string {
  const flags = new Set(command.options.map((o) => o.flags.split(/[ ,=]/)[0] ?? ''));
  return (word) => {
    const m = /^[\u2013\u2014]([a-z][a-z-]*)(=.*)?$/su.exec(word);
    return m !== null && flags.has(`--${m[1] ?? ''}`) ? `--${word.slice(1)}` : word;
  };
}

export function parseCommand(
  registry: RegistryView,
  catalog: Catalog,
  tokens: readonly string[],
  locale: Locale,
): ParsedCommand {
  const [name, ...rest] = tokens;
  if (name === undefined) throw new UserError('empty-command');
  const command = registry.find(name);
  if (command === undefined) throw new UserError('unknown-command', { name: quoteValue(name) });

  const words = rest.map(optionDash(command));
  const parser = commanderFor(command);
  try {
    parser.parse(words, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) throw translateCommanderError(error, command, words);
    throw error;
  }

  const input: Record<string, unknown> = {};
  command.args.forEach((arg, index) => {
    const raw: unknown = parser.processedArgs[index];
    if (arg.variadic === true) {
      const values = Array.isArray(raw)
        ? raw.filter((v): v is string => typeof v === 'string')
        : [];
      input[arg.name] = validate(arg.schema, values, arg.name, arg.description, locale);
      return;
    }
    const value = typeof raw === 'string' ? raw : undefined;
    if (
      arg.service === true &&
      value !== undefined &&
      !catalog.services.has(value) &&
      arg.serviceOr?.includes(value) !== true
    ) {
      throw new UserError('unknown-service', {
        name: quoteValue(value),
        known: [...catalog.services.keys()].join(', ') || '—',
      });
    }
    input[arg.name] = validate(arg.schema, value, arg.name, arg.description, locale);
  });
  const values = parser.opts<Record<string, unknown>>();
  command.options.forEach((option, index) => {
    // commander keys options by its own camel-cased attribute name (`--dry-run` → dryRun).
    const key = parser.options[index]?.attributeName() ?? option.name;
    const flag = option.flags.split(/[ ,]/)[0] ?? option.name;
    input[option.name] = validate(option.schema, values[key], flag, option.description, locale);
  });
  return { command, input };
}
