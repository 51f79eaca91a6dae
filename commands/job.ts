import { jobIdArg } from '../src/core/args.ts';
import { defineCommand } from '../src/core/command.ts';
import { UserError } from '../src/core/errors.ts';
import { formatDuration, formatTime } from '../src/core/format.ts';
import { jobStateTexts } from '../src/core/job-texts.ts';
import type { JobState } from '../src/core/jobs.ts';
import type { Severity } from '../src/core/message.ts';

const texts = {
  title: { ru: 'Задача {id}: {command}', en: 'Job {id}: {command}' },
  state: { ru: 'Состояние', en: 'State' },
  command: { ru: 'Команда', en: 'Command' },
  by: { ru: 'Кто', en: 'By' },
  room: { ru: 'Где', en: 'Where' },
  progress: { ru: 'Ход', en: 'Progress' },
  created: { ru: 'Создана', en: 'Created' },
  duration: { ru: 'Длительность', en: 'Duration' },
  result: { ru: 'Итог', en: 'Result' },
} as const;

const severityOf: Readonly<Record<JobState, Severity>> = {
  queued: 'info',
  running: 'info',
  succeeded: 'success',
  failed: 'error',
  cancelled: 'warning',
  interrupted: 'warning',
};

export default defineCommand({
  name: 'job',
  aliases: ['задача'],
  summary: { ru: 'подробности одной задачи', en: 'details of one job' },
  args: [jobIdArg],
  options: [],
  async run(ctx, input) {
    const job = ctx.jobs.get(input.id);
    if (job === undefined) throw new UserError('unknown-job', { id: input.id });
    // Shown by name; the data keeps the ids.
    const [people, rooms] = await Promise.all([
      ctx.people.names([job.actor]),
      ctx.people.roomNames([job.room]),
    ]);
    const end = job.finishedAt ?? new Date();
    const fields = [
      { label: ctx.t(texts.state), value: ctx.t(jobStateTexts[job.state]), short: true },
      {
        label: ctx.t(texts.progress),
        value: `${Math.round(job.progress * 100)} %${job.progressText === undefined ? '' : ` — ${job.progressText}`}`,
        short: true,
      },
      { label: ctx.t(texts.command), value: job.text },
      { label: ctx.t(texts.by), value: people.get(job.actor) ?? job.actor, short: true },
      { label: ctx.t(texts.room), value: rooms.get(job.room) ?? job.room, short: true },
      {
        label: ctx.t(texts.created),
        value: formatTime(job.createdAt, { timeZone: ctx.catalog.timeZone }),
        short: true,
      },
      ...(job.startedAt === undefined
        ? []
        : [
            {
              label: ctx.t(texts.duration),
              value: formatDuration(end.getTime() - job.startedAt.getTime(), ctx.locale),
              short: true,
            },
          ]),
      ...(job.result === undefined ? [] : [{ label: ctx.t(texts.result), value: job.result }]),
    ];
    return {
      message: {
        severity: severityOf[job.state],
        title: ctx.t(texts.title, { id: job.id, command: job.command }),
        fields,
      },
      data: { job },
    };
  },
});
