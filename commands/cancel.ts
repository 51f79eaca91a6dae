import { jobIdArg } from '../src/core/args.ts';
import { defineCommand } from '../src/core/command.ts';
import { UserError } from '../src/core/errors.ts';
import { jobStateTexts } from '../src/core/job-texts.ts';
import { isActive } from '../src/core/jobs.ts';

const texts = {
  requested: {
    ru: 'Отмена задачи {id} ({command}) запрошена; задача остановится на ближайшем безопасном шаге.',
    en: 'Cancellation of job {id} ({command}) requested; it stops at its next safe step.',
  },
} as const;

export default defineCommand({
  name: 'cancel',
  aliases: ['отмена', 'отменить'],
  summary: { ru: 'отменить идущую задачу', en: 'cancel a job in progress' },
  args: [jobIdArg],
  options: [],
  run(ctx, input) {
    const job = ctx.jobs.get(input.id);
    if (job === undefined) throw new UserError('unknown-job', { id: input.id });
    if (!isActive(job.state))
      throw new UserError('job-not-active', { id: job.id, state: ctx.t(jobStateTexts[job.state]) });
    ctx.jobs.requestCancel(job.id);
    return Promise.resolve({
      message: {
        severity: 'info',
        text: ctx.t(texts.requested, { id: job.id, command: job.command }),
      },
      data: { job: job.id, cancelRequested: true },
    });
  },
});
