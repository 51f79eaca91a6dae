import { defineCommand } from '../src/core/command.ts';
import { codeArg } from './confirm.ts';

export default defineCommand({
  name: 'decline',
  aliases: ['нет', 'отклонить'],
  summary: { ru: 'отклонить ожидающее действие', en: 'decline a pending action' },
  args: [codeArg],
  options: [],
  run: (ctx, input) => ctx.decide(input.code, 'declined'),
});
