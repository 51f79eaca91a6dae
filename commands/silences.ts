import { formatMatcher } from '../src/alerts/silence-spec.ts';
import { defineCommand } from '../src/core/command.ts';
import { formatTable, formatTime } from '../src/core/format.ts';

const texts = {
  title: { ru: 'Тишины в Alertmanager', en: 'Alertmanager silences' },
  none: { ru: 'Активных тишин нет.', en: 'No active silences.' },
  headers: {
    ru: ['id', 'состояние', 'условия', 'до', 'кто', 'комментарий'],
    en: ['id', 'state', 'matchers', 'until', 'by', 'comment'],
  },
} as const;

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
        s.status.state,
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
