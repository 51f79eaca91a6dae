import { z } from 'zod';
import { formatMatcher, parseMatcher } from '../src/alerts/silence-spec.ts';
import { defineCommand } from '../src/core/command.ts';
import type { CommandContext } from '../src/core/context.ts';
import { UserError } from '../src/core/errors.ts';
import type { Text } from '../src/core/i18n.ts';
import { quoteValue } from '../src/core/parse.ts';
import { formatTable, formatTime } from '../src/core/format.ts';

const texts = {
  title: { ru: 'Активные алерты ({count})', en: 'Active alerts ({count})' },
  none: { ru: 'Активных алертов нет.', en: 'No active alerts.' },
  // The group key holds label values: it stays out of the text (no markup from labels).
  acked: { ru: '{who} взял(а) группу алертов №{id}.', en: '{who} acknowledged alert group #{id}.' },
  noThread: { ru: 'такой ветки алертов нет', en: 'no such alert thread' },
  headers: {
    ru: ['алерт', 'важность', 'где', 'состояние', 'с'],
    en: ['alert', 'severity', 'where', 'state', 'since'],
  },
} as const;

/** Alertmanager's alert states (API v2 alertStatus.state), in the reader's language. */
const states: Readonly<Record<string, Text>> = {
  active: { ru: 'активен', en: 'active' },
  suppressed: { ru: 'подавлен', en: 'suppressed' },
  unprocessed: { ru: 'не обработан', en: 'unprocessed' },
};

function stateOf(ctx: CommandContext, state: string): string {
  const text = states[state];
  return text === undefined ? state : ctx.t(text);
}

/** Rows shown; the rest are counted in the title and kept in --json. */
const maxRows = 50;

export default defineCommand({
  name: 'alerts',
  aliases: ['алерты'],
  summary: {
    ru: 'активные алерты из Alertmanager [метка=значение …]; alerts ack <id> — взять группу',
    en: 'active alerts from Alertmanager [label=value …]; alerts ack <id> acknowledges a group',
  },
  args: [
    {
      name: 'filter',
      description: {
        ru: 'условия, напр. severity=critical',
        en: 'matchers, e.g. severity=critical',
      },
      schema: z.array(z.string()),
      variadic: true,
    },
  ],
  options: [],
  async run(ctx, input) {
    // `alerts ack <id>`: what the Acknowledge button of an alert post runs.
    if (input.filter[0] === 'ack') {
      const raw = input.filter[1] ?? '';
      const id = /^\d{1,12}$/.test(raw) ? Number(raw) : NaN;
      const group = Number.isNaN(id)
        ? undefined
        : ctx.alerts.acknowledge(id, ctx.actor.displayName);
      if (group === undefined) {
        throw new UserError('invalid-argument', {
          argument: 'id',
          value: quoteValue(raw),
          reason: ctx.t(texts.noThread),
        });
      }
      return {
        message: {
          severity: 'success',
          text: ctx.t(texts.acked, { who: ctx.actor.displayName, id }),
        },
        data: { id, group },
      };
    }
    const filters = input.filter.map((word) => {
      const matcher = parseMatcher(word);
      if (matcher === undefined) throw new UserError('silence-invalid', { word: quoteValue(word) });
      return formatMatcher(matcher);
    });
    const alerts = await ctx.alerts.alertmanager().alerts(filters);
    if (alerts.length === 0) {
      return { message: { severity: 'info', text: ctx.t(texts.none) }, data: { alerts } };
    }
    const table = formatTable(
      texts.headers[ctx.locale],
      alerts
        .slice(0, maxRows)
        .map((a) => [
          (a.labels['alertname'] ?? '').slice(0, 40),
          a.labels['severity'] ?? '—',
          (a.labels['instance'] ?? a.labels['service'] ?? a.labels['job'] ?? '—').slice(0, 40),
          stateOf(ctx, a.status.state),
          formatTime(new Date(a.startsAt), { timeZone: ctx.catalog.timeZone }),
        ]),
    );
    return {
      message: {
        severity: 'warning',
        title: ctx.t(texts.title, { count: alerts.length }),
        code: { content: table },
      },
      data: { alerts },
    };
  },
});
