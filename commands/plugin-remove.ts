import { z } from 'zod';
import { dryRunOption, serviceArg } from '../src/core/args.ts';
import { defineCommand } from '../src/core/command.ts';

const planTitle = { ru: 'План (ничего не изменено)', en: 'Plan (nothing was changed)' };

export default defineCommand({
  name: 'plugin-remove',
  aliases: ['удалить-плагин'],
  summary: {
    ru: 'удалить плагин Moodle (admin/cli/uninstall_plugins.php, затем его папку); сначала резервная копия',
    en: 'remove a Moodle plugin (admin/cli/uninstall_plugins.php, then its folder); a backup first',
  },
  args: [
    serviceArg,
    {
      name: 'component',
      description: {
        ru: 'компонент, например mod_attendance',
        en: 'the component, e.g. mod_attendance',
      },
      schema: z.string().max(100),
    },
  ],
  options: [dryRunOption],
  mutating: { lock: 'service' },
  describe: (ctx, input) =>
    ctx.plugins.describeRemove(ctx, { ...input, version: undefined, request: undefined }),
  async run(ctx, input) {
    const what = { ...input, version: undefined, request: undefined };
    if (input.dryRun) {
      const text = await ctx.plugins.describeRemove(ctx, what);
      return {
        message: { severity: 'info', title: ctx.t(planTitle), text },
        data: { dryRun: true },
      };
    }
    return ctx.plugins.remove(ctx, what);
  },
});
