/**
 * Stopping and starting a service on a cluster around a restore: stop is a scale to 0
 * through the scale subresource (scale.ts) with the replicas it had kept in an annotation
 * of the workload, then a wait until no pod of the workload is left (the claim is then free
 * for the restore's pod, on any node); start scales back to the replicas kept and follows
 * the rollout as `scale` does. The annotation, not memory, holds the number: a restore cut
 * short by a restart of the bot still knows what to start again (`kubectl scale` by hand
 * would otherwise have to guess).
 */
import type { KubernetesServiceDefinition } from '../../config/kubernetes.ts';
import { UserError } from '../../core/errors.ts';
import type { ContainerReport, StepReporter } from '../../core/platform.ts';
import type { KubeClients } from './client.ts';
import { follow } from './change.ts';
import { podSource } from './pod-source.ts';
import { nameOf, patchWorkload } from './rollout.ts';
import { applyScale } from './scale.ts';
import type { Workload } from './status-map.ts';
import { replicasAnnotation } from './stop-annotation.ts';
import { waitFor } from './watch.ts';
import { checkAccess, requireWorkload, resourceOf, selectorString } from './workload-api.ts';

export { replicasAnnotation } from './stop-annotation.ts';

async function mayScale(
  clients: KubeClients,
  service: KubernetesServiceDefinition,
  workload: Workload,
): Promise<void> {
  for (const [verb, subresource] of [
    ['patch', undefined],
    ['update', 'scale'],
  ] as const) {
    await checkAccess(clients, {
      cluster: service.cluster,
      namespace: service.namespace,
      verb,
      group: 'apps',
      resource: resourceOf[workload.kind],
      ...(subresource === undefined ? {} : { subresource }),
      name: nameOf(workload),
    });
  }
}

async function annotate(
  clients: KubeClients,
  service: KubernetesServiceDefinition,
  workload: Workload,
  value: string | null,
): Promise<void> {
  await patchWorkload(clients, service, workload, {
    contentType: 'application/merge-patch+json',
    patch: { metadata: { annotations: { [replicasAnnotation]: value } } },
  });
}

/** Scales to 0, keeping the replicas; resolves once no pod of the workload is left. */
export async function stopWorkload(
  clients: KubeClients,
  service: KubernetesServiceDefinition,
  signal?: AbortSignal,
): Promise<string[]> {
  const workload = await requireWorkload(clients, service);
  await mayScale(clients, service, workload);
  const replicas = workload.object.spec.replicas ?? 1;
  const kept = workload.object.metadata.annotations?.[replicasAnnotation];
  // Already stopped by a restore that did not start it again: keep its number.
  if (kept === undefined || replicas > 0)
    await annotate(clients, service, workload, String(replicas));
  signal?.throwIfAborted();
  await applyScale(clients, service, workload, 0);
  const selector = selectorString(workload.object.spec.selector);
  let left: string[] = [];
  const result = await waitFor(
    podSource(clients, { namespace: service.namespace, labelSelector: selector }),
    (pods) => {
      left = pods.map((p) => p.metadata.name ?? '');
      return pods.length === 0 ? true : undefined;
    },
    {
      timeoutMs: service.health.timeoutSeconds * 1000,
      ...(signal === undefined ? {} : { signal }),
    },
  );
  if (!result.done) {
    signal?.throwIfAborted();
    throw new UserError('backup-service-unhealthy', {
      service: service.name,
      seconds: service.health.timeoutSeconds,
      state: `0/${replicas}: ${left.join(', ')}`,
    });
  }
  return [nameOf(workload)];
}

/** Scales back to the replicas kept at the stop and waits until they are ready. */
export async function startWorkload(
  clients: KubeClients,
  service: KubernetesServiceDefinition,
  signal?: AbortSignal,
): Promise<string[]> {
  const workload = await requireWorkload(clients, service);
  await resumeWorkload(clients, service, workload, 'created', () => undefined, signal);
  return [nameOf(workload)];
}

/**
 * The start of a stopped workload: back to the replicas kept (else its own, at least the
 * service's minimum and 1), the rollout followed, then the annotation removed. `restart` of
 * a workload a restore left at 0 comes here too (kubernetes-platform.ts): a rollout restart
 * of 0 replicas would start nothing.
 */
export async function resumeWorkload(
  clients: KubeClients,
  service: KubernetesServiceDefinition,
  workload: Workload,
  action: ContainerReport['action'],
  onStep: StepReporter,
  signal?: AbortSignal,
): Promise<ContainerReport[]> {
  await mayScale(clients, service, workload);
  const kept = Number(workload.object.metadata.annotations?.[replicasAnnotation]);
  const current = workload.object.spec.replicas ?? 1;
  const replicas =
    Number.isInteger(kept) && kept > 0 ? kept : Math.max(current, service.scale.min, 1);
  if (current !== replicas) await applyScale(clients, service, workload, replicas);
  const reports = await follow(clients, service, workload, action, Date.now(), onStep, signal);
  if (workload.object.metadata.annotations?.[replicasAnnotation] !== undefined) {
    await annotate(clients, service, await requireWorkload(clients, service), null);
  }
  return reports;
}
