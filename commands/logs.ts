import { z } from 'zod';
import { serviceArg } from '../src/core/args.ts';
import { defineCommand, type OptionSpec } from '../src/core/command.ts';
import { UserError } from '../src/core/errors.ts';
import { formatDuration } from '../src/core/format.ts';
import { makeRedactor } from '../src/core/logger.ts';
import type { Message } from '../src/core/message.ts';
import { quoteValue } from '../src/core/parse.ts';
import { countText } from '../src/core/plural.ts';
import type { ContainerLogs } from '../src/core/platform.ts';

export const defaultLines = 100;
export const maxLines = 5000;
export const maxSinceMs = 30 * 86_400_000;
/**
 * Longer output goes into an attachment. A Mattermost post holds 16383 characters; this
 * leaves room for the title, the text and the markup, and keeps a chat readable.
 */
export const maxInlineChars = 3500;

const unitMs = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * `30s`, `10m`, `2h`, `1d`: a positive whole number and one unit, at most 30 days. Throws
 * invalid-duration, whose text (unlike a schema's message) exists in both languages.
 */
export function parseSince(text: string): number {
  const match = /^([1-9]\d{0,6})([smhd])$/.exec(text);
  const unit = match?.[2] as keyof typeof unitMs | undefined;
  const ms = match === null || unit === undefined ? Number.NaN : Number(match[1]) * unitMs[unit];
  if (!(ms <= maxSinceMs)) {
    throw new UserError('invalid-duration', { option: '--since', value: quoteValue(text) });
  }
  return ms;
}

export const linesOption = {
  name: 'lines',
  flags: '--lines <n>',
  description: {
    ru: `сколько последних строк каждого контейнера (1–${maxLines}, по умолчанию ${defaultLines})`,
    en: `how many last lines of each container (1–${maxLines}, default ${defaultLines})`,
  },
  schema: z
    .string()
    .regex(/^\d{1,4}$/)
    .transform(Number)
    .pipe(z.number().int().min(1).max(maxLines))
    .optional()
    .transform((n) => n ?? defaultLines),
} as const satisfies OptionSpec;

export const sinceOption = {
  name: 'since',
  flags: '--since <duration>',
  description: {
    ru: 'только строки за последние 30s, 10m, 2h, 1d… (не больше 30d)',
    en: 'only lines from the last 30s, 10m, 2h, 1d… (at most 30d)',
  },
  // The transform throws a UserError, which zod passes through: parsing stops there.
  schema: z.string().transform(parseSince).optional(),
} as const satisfies OptionSpec;

export const containerOption = {
  name: 'container',
  flags: '--container <n>',
  description: {
    ru: 'только один контейнер: номер реплики или имя',
    en: 'one container only: its replica number or name',
  },
  // Docker's own rule for container names.
  schema: z
    .string()
    .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/)
    .optional(),
} as const satisfies OptionSpec;

const texts = {
  title: { ru: 'Журнал {service}', en: 'Logs of {service}' },
  scope: {
    ru: 'Последние строки каждого контейнера (до {lines})',
    en: 'The last lines of each container (up to {lines})',
  },
  since: { ru: ' за последние {since}', en: ' from the last {since}' },
  attached: {
    ru: {
      one: 'Вывод длинный ({count} символ) — он во вложении {file}.',
      few: 'Вывод длинный ({count} символа) — он во вложении {file}.',
      other: 'Вывод длинный ({count} символов) — он во вложении {file}.',
    },
    en: { other: 'The output is long ({count} characters): it is attached as {file}.' },
  },
  empty: { ru: '(пусто)', en: '(empty)' },
  noContainers: { ru: 'У сервиса нет контейнеров.', en: 'The service has no containers.' },
} as const;

function render(logs: readonly ContainerLogs[], empty: string): string {
  return logs.map((l) => `── ${l.container} ──\n${l.text === '' ? empty : l.text}`).join('\n');
}

export default defineCommand({
  name: 'logs',
  aliases: ['логи'],
  summary: {
    ru: 'последние строки журнала контейнеров сервиса',
    en: 'the last log lines of the containers of a service',
  },
  args: [serviceArg],
  options: [linesOption, sinceOption, containerOption],
  async run(ctx, input) {
    const service = ctx.service(input.service);
    const since = input.since === undefined ? undefined : new Date(Date.now() - input.since);
    const logs = await ctx
      .platform(service)
      .logs(service, { lines: input.lines, since, container: input.container }, ctx.signal);
    const body = logs.length === 0 ? ctx.t(texts.noContainers) : render(logs, ctx.t(texts.empty));
    const scope =
      ctx.t(texts.scope, { lines: input.lines }) +
      (input.since === undefined
        ? ''
        : ctx.t(texts.since, { since: formatDuration(input.since, ctx.locale) }));
    const file = `${service.name}-logs.txt`;
    const message: Message =
      body.length <= maxInlineChars
        ? {
            severity: 'info',
            title: ctx.t(texts.title, { service: service.name }),
            text: `${scope}.`,
            code: { content: body },
          }
        : {
            severity: 'info',
            title: ctx.t(texts.title, { service: service.name }),
            text: `${scope}. ${countText(texts.attached, ctx.locale, body.length, { file })}`,
            files: [{ name: file, content: `${body}\n` }],
          };
    // The Bot redacts messages but passes `data` (printed by --json) through as is, and a
    // log is the likeliest place for a secret to turn up: redact it here too.
    const redact = makeRedactor(ctx.catalog.secrets);
    const containers = logs.map((l) => ({ container: l.container, text: redact(l.text) }));
    return { message, data: { service: service.name, containers } };
  },
});
