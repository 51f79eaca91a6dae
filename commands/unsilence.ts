import { z } from 'zod';
import { defineCommand } from '../src/core/command.ts';

const texts = {
  done: { ru: 'Тишина {id} снята.', en: 'Silence {id} expired.' },
} as const;

export default defineCommand({
  name: 'unsilence',
  aliases: ['снять-тишину'],
  summary: { ru: 'снять тишину Alertmanager', en: 'expire an Alertmanager silence' },
  args: [
    {
      name: 'id',
      description: { ru: 'id тишины (см. silences)', en: 'the silence id (see silences)' },
      schema: z.string().regex(/^[A-Za-z0-9-]{1,64}$/),
    },
  ],
  options: [],
  async run(ctx, input) {
    await ctx.alerts.alertmanager().expireSilence(input.id);
    return {
      message: { severity: 'success', text: ctx.t(texts.done, { id: input.id }) },
      data: { id: input.id },
    };
  },
});
