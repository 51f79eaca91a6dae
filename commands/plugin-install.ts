import { z } from 'zod';
import { dryRunOption, serviceArg } from '../src/core/args.ts';
import { defineCommand } from '../src/core/command.ts';

const planTitle = { ru: 'План (ничего не изменено)', en: 'Plan (nothing was changed)' };

export default defineCommand({
  name: 'plugin-install',
  aliases: ['установить-плагин'],
  summary: {
    ru: 'установить или обновить плагин Moodle из каталога: резервная копия, режим обслуживания, проверки, upgrade.php; при сбое всё возвращается',
    en: 'install or upgrade a Moodle plugin from the directory: backup, maintenance mode, checks, upgrade.php; everything is put back on a failure',
  },
  args: [
    serviceArg,
    {
      name: 'component',
      description: {
        ru: 'компонент, например mod_attendance',
        en: 'the component, e.g. mod_attendance',
      },
      // Checked against Moodle's naming rules by the installer, which says what is expected.
      schema: z.string().max(100),
    },
    {
      name: 'version',
      description: {
        ru: 'версия из каталога (номер или выпуск); по умолчанию — новейшая для нашего Moodle',
        en: 'a version of the directory (number or release); default: the newest for our Moodle',
      },
      schema: z.string().max(40).optional(),
    },
  ],
  options: [
    {
      name: 'request',
      flags: '--request <n>',
      description: {
        ru: 'одобренная заявка, которую закрывает установка',
        en: 'the approved request this install answers',
      },
      schema: z
        .string()
        .regex(/^#?\d{1,9}$/)
        .transform((v) => Number(v.replace('#', '')))
        .optional(),
    },
    dryRunOption,
  ],
  mutating: { lock: 'service' },
  describe: (ctx, input) => ctx.plugins.describeInstall(ctx, input),
  async run(ctx, input) {
    if (input.dryRun) {
      const text = await ctx.plugins.describeInstall(ctx, input);
      return {
        message: { severity: 'info', title: ctx.t(planTitle), text },
        data: { dryRun: true },
      };
    }
    return ctx.plugins.install(ctx, input);
  },
});
