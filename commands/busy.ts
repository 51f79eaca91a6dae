/**
 * The job runner refuses a second mutating job on a service, but only once the command is
 * about to run: its confirmation (describe) and a dry run come first and look at the engine.
 * While an update is half-way, what they would see (a `.pes-old` container) looks like an
 * interrupted update; the person must be told the service is busy instead.
 */
import type { CommandContext } from '../src/core/context.ts';
import { UserError } from '../src/core/errors.ts';

/** Active jobs are few; this bounds the read, it never cuts a real list short. */
const activeLimit = 1000;

export function refuseIfBusy(ctx: CommandContext, service: string): void {
  const holder = ctx.jobs
    .list({ limit: activeLimit, activeOnly: true })
    .find((job) => job.lockKey === service && job.id !== ctx.jobId);
  if (holder === undefined) return;
  throw new UserError('service-busy', {
    service,
    job: holder.id,
    command: holder.command,
    actor: holder.actor,
    percent: Math.round(holder.progress * 100),
  });
}
