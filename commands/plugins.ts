import { z } from 'zod';
import { defineCommand } from '../src/core/command.ts';

const flag = z
  .boolean()
  .optional()
  .transform((v) => v === true);

export default defineCommand({
  name: 'plugins',
  aliases: ['плагины'],
  summary: {
    ru: 'заявки на плагины Moodle (учитель видит свои, администраторы — все)',
    en: 'Moodle plugin requests (a teacher sees their own, admins all)',
  },
  args: [],
  options: [
    {
      name: 'pending',
      flags: '--pending',
      description: { ru: 'только ждущие решения', en: 'only those waiting for a decision' },
      schema: flag,
    },
    {
      name: 'mine',
      flags: '--mine',
      description: { ru: 'только мои', en: 'only mine' },
      schema: flag,
    },
  ],
  run: (ctx, input) => ctx.plugins.list(ctx, { pending: input.pending, mine: input.mine }),
});
