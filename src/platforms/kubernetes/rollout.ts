/**
 * Changing a workload's template and following the rollout: patch, then wait with list +
 * watch until kubectl's rollout status says done or failed, bounded by the service's health
 * timeout; and, when it did not become healthy, the reason read from the new pods and events.
 */
import type { KubernetesServiceDefinition } from '../../config/kubernetes.ts';
import { localize } from '../../core/i18n.ts';
import type { KubeClients } from './client.ts';
import { failureReason, failureTexts, type RolloutFailure } from './failure-reason.ts';
import { isControlledBy, type Pod, type ReplicaSet } from './objects.ts';
import {
  deploymentRolloutStatus,
  statefulSetRolloutStatus,
  type RolloutStatus,
} from './rollout-status.ts';
import type { Workload } from './status-map.ts';
import { podTemplateHashLabel, revisionOf } from './undo.ts';
import { waitFor } from './watch.ts';
import { workloadSource } from './watch-source.ts';
import {
  actionFor,
  call,
  listEvents,
  listPods,
  listReplicaSets,
  resourceOf,
} from './workload-api.ts';

export interface Patch {
  readonly contentType: string;
  readonly patch: unknown;
}

export function statusOf(workload: Workload): RolloutStatus {
  return workload.kind === 'Deployment'
    ? deploymentRolloutStatus(workload.object)
    : statefulSetRolloutStatus(workload.object);
}

export function nameOf(workload: Workload): string {
  return workload.object.metadata.name ?? '';
}

export async function patchWorkload(
  clients: KubeClients,
  service: KubernetesServiceDefinition,
  workload: Workload,
  patch: Patch,
): Promise<void> {
  const { setHeaderOptions } = await import('@kubernetes/client-node');
  const options = setHeaderOptions('Content-Type', patch.contentType);
  const name = nameOf(workload);
  const namespace = service.namespace;
  const body = patch.patch as object;
  await call(actionFor(service, 'patch', resourceOf[workload.kind]), (): Promise<unknown> =>
    workload.kind === 'Deployment'
      ? clients.apps.patchNamespacedDeployment({ name, namespace, body }, options)
      : clients.apps.patchNamespacedStatefulSet({ name, namespace, body }, options),
  );
}

export type RolloutOutcome =
  | { readonly done: true; readonly workload: Workload }
  /** Failed (progress deadline) or not done within the timeout. */
  | {
      readonly done: false;
      readonly workload: Workload | undefined;
      readonly status: RolloutStatus | undefined;
    };

/** Waits until the rollout is done or failed, at most the service's health timeout. */
export async function waitForRollout(
  clients: KubeClients,
  service: KubernetesServiceDefinition,
  workload: Workload,
  signal?: AbortSignal,
): Promise<RolloutOutcome> {
  const source = workloadSource(clients, service, workload.kind, nameOf(workload));
  let last: Workload | undefined;
  const result = await waitFor(
    source,
    (objects) => {
      const object = objects[0];
      if (object === undefined) return undefined;
      last = (
        workload.kind === 'Deployment'
          ? { kind: 'Deployment', object: object }
          : { kind: 'StatefulSet', object: object }
      ) satisfies Workload;
      const status = statusOf(last);
      return status.state === 'waiting' ? undefined : { status, workload: last };
    },
    {
      timeoutMs: service.health.timeoutSeconds * 1000,
      ...(signal === undefined ? {} : { signal }),
    },
  );
  if (result.done && result.value.status.state === 'done') {
    return { done: true, workload: result.value.workload };
  }
  return {
    done: false,
    workload: result.done ? result.value.workload : last,
    status: result.done ? result.value.status : last === undefined ? undefined : statusOf(last),
  };
}

/** The ReplicaSet a Deployment controls with the highest revision: its newest. */
export function newestReplicaSet(
  workload: Workload,
  sets: readonly ReplicaSet[],
): ReplicaSet | undefined {
  return sets
    .filter((rs) => isControlledBy(rs, workload.object.metadata))
    .sort((a, b) => (revisionOf(b) ?? -1) - (revisionOf(a) ?? -1))[0];
}

/** The pods of the revision being rolled out (the newest ReplicaSet, the update revision). */
export async function newRevisionPods(
  clients: KubeClients,
  service: KubernetesServiceDefinition,
  workload: Workload,
): Promise<Pod[]> {
  const selector = workload.object.spec.selector;
  const pods = await listPods(clients, service, selector);
  if (workload.kind === 'Deployment') {
    const newest = newestReplicaSet(workload, await listReplicaSets(clients, service, selector));
    const hash = newest?.metadata.labels?.[podTemplateHashLabel];
    return hash === undefined
      ? pods
      : pods.filter((p) => p.metadata.labels?.[podTemplateHashLabel] === hash);
  }
  const revision = workload.object.status?.updateRevision;
  return revision === undefined
    ? pods
    : pods.filter((p) => p.metadata.labels?.['controller-revision-hash'] === revision);
}

export async function diagnose(
  clients: KubeClients,
  service: KubernetesServiceDefinition,
  workload: Workload,
): Promise<RolloutFailure> {
  const pods = await newRevisionPods(clients, service, workload);
  const events = await listEvents(clients, service);
  return failureReason(pods, events);
}

/** `{reasonRu}`/`{reasonEn}`: the kind of failure, then where and the kubelet's words. */
export function failureParams(failure: Pick<RolloutFailure, 'kind'> & Partial<RolloutFailure>): {
  reasonRu: string;
  reasonEn: string;
} {
  const where = [failure.pod, failure.container].filter((x) => x !== undefined).join('/');
  const tail = [where, failure.detail].filter((x) => x !== undefined && x !== '').join(': ');
  const suffix = tail === '' ? '' : ` (${tail})`;
  return {
    reasonRu: `${localize(failureTexts[failure.kind], 'ru', {})}${suffix}`,
    reasonEn: `${localize(failureTexts[failure.kind], 'en', {})}${suffix}`,
  };
}
