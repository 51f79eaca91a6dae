import { z } from 'zod';
import { defineCommand } from '../src/core/command.ts';

export const codeArg = {
  name: 'code',
  description: { ru: 'код подтверждения, например 7F3K', en: 'confirmation code, e.g. 7F3K' },
  schema: z
    .string()
    .regex(/^[2-9A-HJ-NP-Za-hj-np-z]{4}$/)
    .transform((c) => c.toUpperCase()),
} as const;

export default defineCommand({
  name: 'confirm',
  aliases: ['да', 'подтвердить'],
  summary: { ru: 'подтвердить ожидающее действие', en: 'confirm a pending action' },
  args: [codeArg],
  options: [],
  run: (ctx, input) => ctx.decide(input.code, 'confirmed'),
});
