import { z } from 'zod';
import { lastOption } from '../src/core/args.ts';
import { defineCommand } from '../src/core/command.ts';
import { formatTable, formatTime } from '../src/core/format.ts';
import { jobStateTexts } from '../src/core/job-texts.ts';

const texts = {
  title: { ru: 'Задачи', en: 'Jobs' },
  none: { ru: 'Задач пока не было.', en: 'No jobs yet.' },
  noneActive: { ru: 'Сейчас ни одна задача не идёт.', en: 'No job is running now.' },
  headers: {
    ru: ['№', 'состояние', 'команда', 'сервис', 'кто', 'ход', 'создана'],
    en: ['#', 'state', 'command', 'service', 'by', 'progress', 'created'],
  },
} as const;

export default defineCommand({
  name: 'jobs',
  aliases: ['задачи'],
  summary: { ru: 'последние задачи и их состояние', en: 'recent jobs and their state' },
  args: [],
  options: [
    lastOption(10, 200),
    {
      name: 'active',
      flags: '--active',
      description: { ru: 'только идущие', en: 'only the ones in progress' },
      schema: z
        .boolean()
        .optional()
        .transform((v) => v === true),
    },
  ],
  async run(ctx, input) {
    const jobs = ctx.jobs.list({ limit: input.last, activeOnly: input.active });
    if (jobs.length === 0)
      return {
        message: { severity: 'info', text: ctx.t(input.active ? texts.noneActive : texts.none) },
        data: { jobs },
      };
    // People by name; the data keeps the ids.
    const names = await ctx.people.names(jobs.map((j) => j.actor));
    const table = formatTable(
      texts.headers[ctx.locale],
      jobs.map((j) => [
        String(j.id),
        ctx.t(jobStateTexts[j.state]),
        j.command,
        j.service ?? '—',
        names.get(j.actor) ?? j.actor,
        `${Math.round(j.progress * 100)} %`,
        formatTime(j.createdAt, { timeZone: ctx.catalog.timeZone }),
      ]),
    );
    return {
      message: { severity: 'info', title: ctx.t(texts.title), code: { content: table } },
      data: { jobs },
    };
  },
});
