import { defineCommand } from '../src/core/command.ts';
import { approvalIdArg, reasonArg } from './approve.ts';

export default defineCommand({
  name: 'reject',
  aliases: ['отказать'],
  summary: {
    ru: 'отклонить команду, которой нужно одобрение других',
    en: 'reject a command that needs the approval of others',
  },
  args: [approvalIdArg, reasonArg],
  options: [],
  run: (ctx, input) => ctx.approve(input.id, 'reject', input.reason),
});
