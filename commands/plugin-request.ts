import { z } from 'zod';
import { defineCommand } from '../src/core/command.ts';

export default defineCommand({
  name: 'plugin-request',
  aliases: ['попросить-плагин'],
  summary: {
    ru: 'попросить установить плагин Moodle (имя компонента, слова названия или ссылка на moodle.org/plugins), можно с причиной',
    en: 'ask for a Moodle plugin (component name, name words or a moodle.org/plugins link), optionally saying why',
  },
  args: [
    {
      name: 'plugin',
      description: {
        ru: 'плагин: mod_attendance, слова названия или ссылка; после имени или ссылки — зачем',
        en: 'the plugin: mod_attendance, name words or a link; after a name or link, why',
      },
      schema: z.array(z.string()).min(1),
      variadic: true,
    },
  ],
  options: [
    {
      name: 'why',
      flags: '--why <text>',
      description: { ru: 'зачем он нужен', en: 'why it is needed' },
      schema: z.string().optional(),
    },
  ],
  run: (ctx, input) => ctx.plugins.request(ctx, { words: input.plugin, why: input.why }),
});
