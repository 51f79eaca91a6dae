/**
 * The replicas a stop around a restore kept on its workload (service-power.ts), read where
 * the workload is shown or started again: a workload at 0 that carries them was stopped by
 * a restore that never started it again (the bot died under it), not scaled to 0 by a person.
 */
import type { Workload } from './status-map.ts';

export const replicasAnnotation = 'pes-bot.io/replicas-before-stop';

/** The replicas kept, when the workload is still at 0 with a usable number; else undefined. */
export function stoppedReplicas(workload: Workload): number | undefined {
  if ((workload.object.spec.replicas ?? 1) !== 0) return undefined;
  const kept = Number(workload.object.metadata.annotations?.[replicasAnnotation]);
  return Number.isInteger(kept) && kept > 0 ? kept : undefined;
}
