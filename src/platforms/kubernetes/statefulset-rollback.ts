/**
 * A StatefulSet stops its rolling update at a pod that never becomes Running and Ready, and
 * stays stopped after the template is reverted: the documented way out is to delete the pods
 * it already started with the bad template, so that it recreates them from the reverted one
 * (Kubernetes docs, StatefulSets, "Forced rollback").
 */
import type { KubernetesServiceDefinition } from '../../config/kubernetes.ts';
import type { KubeClients } from './client.ts';
import type { Pod } from './objects.ts';
import { actionFor, call, checkAccess } from './workload-api.ts';

function isReady(pod: Pod): boolean {
  return pod.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
}

/** Deletes the pods of the failed revision that are not ready (the ready ones are kept). */
export async function forceRollback(
  clients: KubeClients,
  service: KubernetesServiceDefinition,
  badPods: readonly Pod[],
): Promise<void> {
  const stuck = badPods.filter((p) => !isReady(p) && p.metadata.name !== undefined);
  if (stuck.length === 0) return;
  await checkAccess(clients, {
    cluster: service.cluster,
    namespace: service.namespace,
    verb: 'delete',
    group: '',
    resource: 'pods',
  });
  for (const pod of stuck) {
    const name = pod.metadata.name ?? '';
    await call(actionFor(service, 'delete', 'pods', ''), () =>
      clients.core.deleteNamespacedPod({ name, namespace: service.namespace }),
    );
  }
}
