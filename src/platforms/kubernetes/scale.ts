/**
 * Scaling through the `scale` subresource, the way `kubectl scale` does with a
 * precondition: read the Scale, write it back with the replicas changed and the
 * resourceVersion it was read at; a 409 Conflict (someone changed it in between) is read
 * and tried again, a few times. With `dryRun` the server answers the same write and keeps
 * nothing (the plan of a scale: dry-run.ts).
 */
import type { KubernetesServiceDefinition } from '../../config/kubernetes.ts';
import { apiStatus, toUserError } from './api-errors.ts';
import type { KubeClients } from './client.ts';
import { nameOf } from './rollout.ts';
import type { Workload } from './status-map.ts';
import { actionFor, asModel, call, resourceOf, toWire } from './workload-api.ts';

const attempts = 5;

export async function applyScale(
  clients: KubeClients,
  service: KubernetesServiceDefinition,
  workload: Workload,
  replicas: number,
  options: { readonly dryRun?: boolean } = {},
): Promise<number> {
  const dryRun = options.dryRun === true ? { dryRun: 'All' } : {};
  const name = nameOf(workload);
  const namespace = service.namespace;
  const resource = resourceOf[workload.kind];
  for (let attempt = 1; ; attempt += 1) {
    const read = (await call(
      actionFor(service, 'get', resource, 'apps', 'scale'),
      (): Promise<unknown> =>
        workload.kind === 'Deployment'
          ? clients.apps.readNamespacedDeploymentScale({ name, namespace })
          : clients.apps.readNamespacedStatefulSetScale({ name, namespace }),
    )) as object;
    const { V1Scale } = await import('@kubernetes/client-node');
    // The Scale as read, resourceVersion included: a change in between is a 409.
    const wire = toWire(read) as { spec?: object };
    const body = asModel({ ...wire, spec: { ...wire.spec, replicas } }, V1Scale);
    try {
      const answer = await (workload.kind === 'Deployment'
        ? clients.apps.replaceNamespacedDeploymentScale({ name, namespace, body, ...dryRun })
        : clients.apps.replaceNamespacedStatefulSetScale({ name, namespace, body, ...dryRun }));
      return (toWire(answer) as { spec?: { replicas?: number } }).spec?.replicas ?? replicas;
    } catch (error) {
      if (apiStatus(error)?.code === 409 && attempt < attempts) continue;
      // Let call() turn it into the person's line.
      throw toUserError(error, actionFor(service, 'update', resource, 'apps', 'scale'));
    }
  }
}
