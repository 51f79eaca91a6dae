import { z } from 'zod';
import { defineCommand } from '../src/core/command.ts';

export const approvalIdArg = {
  name: 'id',
  description: { ru: 'номер одобрения, например 3', en: 'approval number, e.g. 3' },
  schema: z
    .string()
    .regex(/^#?[0-9]{1,9}$/)
    .transform((s) => Number(s.replace('#', ''))),
} as const;

export const reasonArg = {
  name: 'reason',
  description: { ru: 'причина (необязательно)', en: 'reason (optional)' },
  schema: z.array(z.string()).transform((words) => words.join(' ').slice(0, 500)),
  variadic: true,
} as const;

export default defineCommand({
  name: 'approve',
  aliases: ['одобрить'],
  summary: {
    ru: 'одобрить команду, которой нужно одобрение других',
    en: 'approve a command that needs the approval of others',
  },
  args: [approvalIdArg, reasonArg],
  options: [],
  run: (ctx, input) => ctx.approve(input.id, 'approve', input.reason),
});
