import { z } from 'zod';
import { formatMatcher, parseSilenceWords } from '../src/alerts/silence-spec.ts';
import { defineCommand } from '../src/core/command.ts';
import { formatTime } from '../src/core/format.ts';

const texts = {
  done: { ru: 'Тишина {id} до {until}', en: 'Silence {id} until {until}' },
  matchers: { ru: 'Условия', en: 'Matchers' },
  by: { ru: 'Кто', en: 'By' },
  posts: { ru: 'Отмечено на алерт-постах', en: 'Shown on alert posts' },
  expire: { ru: 'Снять тишину', en: 'Expire silence' },
} as const;

export default defineCommand({
  name: 'silence',
  aliases: ['заглушить'],
  summary: {
    ru: 'тишина в Alertmanager: silence <метка=значение …> <срок> [комментарий]',
    en: 'an Alertmanager silence: silence <label=value …> <duration> [comment]',
  },
  args: [
    {
      name: 'words',
      description: {
        ru: 'условия, срок (30m, 1h, 1d) и комментарий',
        en: 'matchers, duration (30m, 1h, 1d) and comment',
      },
      schema: z.array(z.string()),
      variadic: true,
    },
  ],
  options: [
    {
      name: 'thread',
      flags: '--thread <id>',
      description: {
        ru: 'алерт-пост, на котором показать тишину (кнопки ставят сами)',
        en: 'the alert post to show the silence on (the buttons set it)',
      },
      schema: z
        .string()
        .regex(/^\d{1,12}$/)
        .transform(Number)
        .optional(),
    },
  ],
  async run(ctx, input) {
    const request = parseSilenceWords(input.words);
    const startsAt = new Date();
    const endsAt = new Date(startsAt.getTime() + request.durationMs);
    const createdBy = `${ctx.actor.displayName} (${ctx.actor.id})`;
    const id = await ctx.alerts.alertmanager().createSilence({
      matchers: request.matchers,
      startsAt,
      endsAt,
      createdBy,
      comment: request.comment === '' ? `pes-bot: ${ctx.source}` : request.comment,
    });
    // A button names its post; a typed silence is shown on every firing group it covers.
    const shown =
      input.thread !== undefined
        ? Number(ctx.alerts.noteSilence(input.thread, endsAt, createdBy))
        : ctx.alerts.noteSilenceMatching(request.matchers, endsAt, createdBy);
    const matchers = request.matchers.map(formatMatcher).join(' ');
    return {
      message: {
        severity: 'success',
        title: ctx.t(texts.done, {
          id,
          until: formatTime(endsAt, { timeZone: ctx.catalog.timeZone }),
        }),
        fields: [
          { label: ctx.t(texts.matchers), value: matchers },
          { label: ctx.t(texts.by), value: createdBy, short: true },
          ...(shown > 0 ? [{ label: ctx.t(texts.posts), value: String(shown), short: true }] : []),
        ],
        // Offered only to someone who may use it: a button that answers "not allowed" to the
        // person it was shown to is a promise broken.
        actions: ctx.may('unsilence')
          ? [{ label: ctx.t(texts.expire), style: 'default', command: `unsilence ${id}` }]
          : [],
      },
      data: { id, endsAt: endsAt.toISOString(), matchers: request.matchers },
    };
  },
});
