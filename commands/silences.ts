import { formatMatcher } from '../src/alerts/silence-spec.ts';
import { defineCommand } from '../src/core/command.ts';
import type { CommandContext } from '../src/core/context.ts';
import type { Text } from '../src/core/i18n.ts';
import { formatTable, formatTime } from '../src/core/format.ts';

const texts = {
  title: { ru: 'Тишины в Alertmanager', en: 'Alertmanager silences' },
  none: { ru: 'Активных тишин нет.', en: 'No active silences.' },
  headers: {
    ru: ['id', 'состояние', 'условия', 'до', 'кто', 'комментарий'],
    en: ['id', 'state', 'matchers', 'until', 'by', 'comment'],
  },
} as const;

/** Alertmanager's silence states (API v2 silenceStatus.state), in the reader's language. */
const states: Readonly<Record<string, Text>> = {
  active: { ru: 'действует', en: 'active' },
  pending: { ru: 'ещё не началась', en: 'pending' },
  expired: { ru: 'истекла', en: 'expired' },
};

function stateOf(ctx: CommandContext, state: string): string {
  const text = states[state];
  return text === undefined ? state : ctx.t(text);
}

export default defineCommand({
  name: 'silences',
  aliases: ['тишины'],
  summary: { ru: 'активные тишины Alertmanager', en: 'active Alertmanager silences' },
  args: [],
  options: [],
  async run(ctx) {
    const silences = (await ctx.alerts.alertmanager().silences()).filter(
      (s) => s.status.state !== 'expired',
    );
    if (silences.length === 0) {
      return { message: { severity: 'info', text: ctx.t(texts.none) }, data: { silences } };
    }
    const table = formatTable(
      texts.headers[ctx.locale],
      silences.map((s) => [
        s.id,
        stateOf(ctx, s.status.state),
        s.matchers.map(formatMatcher).join(' ').slice(0, 120),
        formatTime(new Date(s.endsAt), { timeZone: ctx.catalog.timeZone }),
        s.createdBy.slice(0, 40),
        s.comment.slice(0, 60),
      ]),
    );
    return {
      message: { severity: 'info', title: ctx.t(texts.title), code: { content: table } },
      data: { silences },
    };
  },
});
