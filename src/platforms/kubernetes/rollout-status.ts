/**
 * Whether a rollout is finished, the way `kubectl rollout status` decides it
 * (kubernetes/kubectl pkg/polymorphichelpers/rollout_status.go), so that the bot and
 * kubectl never disagree about the same object. The messages follow kubectl's.
 */
import { conditionOf, type Deployment, type StatefulSet } from './objects.ts';

export type RolloutState =
  /** Not there yet: the controller has not seen the change, or replicas are still moving. */
  | 'waiting'
  | 'done'
  /** It will not get there by itself: the progress deadline passed. */
  | 'failed';

export interface RolloutStatus {
  readonly state: RolloutState;
  readonly message: string;
}

/** The Progressing condition's reason once progressDeadlineSeconds passed (deploymentutil.TimedOutReason). */
export const timedOutReason = 'ProgressDeadlineExceeded';

export function deploymentRolloutStatus(d: Deployment): RolloutStatus {
  const name = d.metadata.name ?? '';
  const status = d.status ?? {};
  if ((d.metadata.generation ?? 0) > (status.observedGeneration ?? 0)) {
    return { state: 'waiting', message: 'Waiting for deployment spec update to be observed...' };
  }
  if (conditionOf(status.conditions, 'Progressing')?.reason === timedOutReason) {
    return { state: 'failed', message: `deployment "${name}" exceeded its progress deadline` };
  }
  const updated = status.updatedReplicas ?? 0;
  const wanted = d.spec.replicas;
  if (wanted !== undefined && updated < wanted) {
    return {
      state: 'waiting',
      message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${wanted} new replicas have been updated...`,
    };
  }
  const replicas = status.replicas ?? 0;
  if (replicas > updated) {
    return {
      state: 'waiting',
      message: `Waiting for deployment "${name}" rollout to finish: ${replicas - updated} old replicas are pending termination...`,
    };
  }
  const available = status.availableReplicas ?? 0;
  if (available < updated) {
    return {
      state: 'waiting',
      message: `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...`,
    };
  }
  return { state: 'done', message: `deployment "${name}" successfully rolled out` };
}

export function statefulSetRolloutStatus(s: StatefulSet): RolloutStatus {
  const strategy = s.spec.updateStrategy;
  // The API server defaults the type to RollingUpdate; OnDelete waits for people to delete
  // pods, so kubectl refuses to watch it, and so does the bot.
  if ((strategy?.type ?? 'RollingUpdate') !== 'RollingUpdate') {
    return {
      state: 'failed',
      message: 'rollout status is only available for RollingUpdate strategy type',
    };
  }
  const status = s.status ?? {};
  const observed = status.observedGeneration ?? 0;
  if (observed === 0 || (s.metadata.generation ?? 0) > observed) {
    return { state: 'waiting', message: 'Waiting for statefulset spec update to be observed...' };
  }
  const wanted = s.spec.replicas;
  const ready = status.readyReplicas ?? 0;
  if (wanted !== undefined && ready < wanted) {
    return { state: 'waiting', message: `Waiting for ${wanted - ready} pods to be ready...` };
  }
  const updated = status.updatedReplicas ?? 0;
  const rolling = strategy?.rollingUpdate;
  if (rolling !== undefined) {
    const partition = rolling.partition;
    if (wanted !== undefined && partition !== undefined && updated < wanted - partition) {
      return {
        state: 'waiting',
        message: `Waiting for partitioned roll out to finish: ${updated} out of ${wanted - partition} new pods have been updated...`,
      };
    }
    return {
      state: 'done',
      message: `partitioned roll out complete: ${updated} new pods have been updated...`,
    };
  }
  if (status.updateRevision !== status.currentRevision) {
    return {
      state: 'waiting',
      message: `waiting for statefulset rolling update to complete ${updated} pods at revision ${status.updateRevision ?? ''}...`,
    };
  }
  return {
    state: 'done',
    message: `statefulset rolling update complete ${status.currentReplicas ?? 0} pods at revision ${status.currentRevision ?? ''}...`,
  };
}
