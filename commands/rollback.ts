import { dryRunOption, serviceArg } from '../src/core/args.ts';
import { defineCommand } from '../src/core/command.ts';
import { describeImagePlan, runImageChange } from './image-plan.ts';

export default defineCommand({
  name: 'rollback',
  aliases: ['откат'],
  summary: {
    ru: 'вернуть сервис к образу до последнего обновления (или доделать прерванное)',
    en: 'return a service to the image before the last update (or finish an interrupted one)',
  },
  args: [serviceArg],
  options: [dryRunOption],
  mutating: { lock: 'service' },
  async describe(ctx, input) {
    const service = ctx.service(input.service);
    const plan = await ctx.platform(service).planUpdate(service, { kind: 'previous' }, ctx.signal);
    return describeImagePlan(ctx, plan, 'rollback');
  },
  run(ctx, input) {
    const service = ctx.service(input.service);
    return runImageChange(ctx, service, { kind: 'previous' }, 'rollback', input.dryRun);
  },
});
