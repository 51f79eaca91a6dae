import { z } from 'zod';
import { dryRunOption, serviceArg } from '../src/core/args.ts';
import { defineCommand } from '../src/core/command.ts';
import { describeImagePlan, runImageChange } from './image-plan.ts';
import { parseImageTarget } from './image-target.ts';

export default defineCommand({
  name: 'update',
  aliases: ['обновить'],
  summary: {
    ru: 'перевести сервис на другой образ; при сбое всё возвращается как было',
    en: 'move a service to another image; on any failure everything is put back',
  },
  args: [
    serviceArg,
    {
      name: 'target',
      description: {
        ru: 'тег (4.5.1) или образ@sha256:…; без него — тот же тег заново, если образ под ним сменился',
        en: 'a tag (4.5.1) or image@sha256:…; none: the same tag again, if it now names another image',
      },
      // Checked by parseImageTarget, which names the allowed forms when it refuses.
      schema: z.string().optional(),
    },
  ],
  options: [dryRunOption],
  mutating: { lock: 'service' },
  async describe(ctx, input) {
    const target = parseImageTarget(input.target);
    const service = ctx.service(input.service);
    const plan = await ctx.platform(service).planUpdate(service, target, ctx.signal);
    return describeImagePlan(ctx, plan, 'update');
  },
  run(ctx, input) {
    const target = parseImageTarget(input.target);
    return runImageChange(ctx, ctx.service(input.service), target, 'update', input.dryRun);
  },
});
