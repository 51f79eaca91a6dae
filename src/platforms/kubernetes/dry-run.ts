/**
 * Plans that ask the API server: the same request the change will make, with `dryRun=All`
 * (https://kubernetes.io/docs/reference/using-api/api-concepts/#dry-run): authorized,
 * defaulted, validated and admitted as for real, and then not stored. What the plan shows is
 * taken from the server's answer, so a 422 or an admission refusal comes before any
 * confirmation, as one line.
 */
import type { KubernetesServiceDefinition } from '../../config/kubernetes.ts';
import type { KubeClients } from './client.ts';
import type { Container } from './objects.ts';
import { nameOf, type Patch } from './rollout.ts';
import type { Workload } from './status-map.ts';
import { applyScale } from './scale.ts';
import { actionFor, call, resourceOf, toWire } from './workload-api.ts';

/** The containers of the workload's pod template as the server would store them. */
export async function dryRunPatch(
  clients: KubeClients,
  service: KubernetesServiceDefinition,
  workload: Workload,
  patch: Patch,
): Promise<readonly Container[]> {
  const { setHeaderOptions } = await import('@kubernetes/client-node');
  const options = setHeaderOptions('Content-Type', patch.contentType);
  const request = {
    name: nameOf(workload),
    namespace: service.namespace,
    body: patch.patch as object,
    dryRun: 'All',
  };
  const answer = await call(
    actionFor(service, 'patch', resourceOf[workload.kind]),
    (): Promise<unknown> =>
      workload.kind === 'Deployment'
        ? clients.apps.patchNamespacedDeployment(request, options)
        : clients.apps.patchNamespacedStatefulSet(request, options),
  );
  const wire = toWire(answer) as { spec?: { template?: { spec?: { containers?: Container[] } } } };
  return wire.spec?.template?.spec?.containers ?? [];
}

/**
 * The replicas the server would set through the scale subresource: the same read and write
 * as the scale itself (scale.ts, a conflict read again and retried), so the same verbs are
 * needed.
 */
export function dryRunScale(
  clients: KubeClients,
  service: KubernetesServiceDefinition,
  workload: Workload,
  replicas: number,
): Promise<number> {
  return applyScale(clients, service, workload, replicas, { dryRun: true });
}
