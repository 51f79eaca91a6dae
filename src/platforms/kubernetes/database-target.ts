/**
 * The pod a cluster database is dumped in (and restored into), looked up at every run: pod
 * names change with each rollout, so none is kept in the configuration. Only pods the
 * workload controls count (ownerReferences, as kubectl's own lookups do: a StatefulSet's pods
 * directly, a Deployment's through its ReplicaSets), since a selector alone may also match
 * another workload's pods or a pod made by hand. Of those, a pod that is Running, not being
 * deleted, whose database container runs; Ready ones first, then by name, so the choice is
 * the same from run to run.
 */
import type { KubernetesServiceDefinition } from '../../config/kubernetes.ts';
import type { ClusterDatabasePlace } from '../../core/catalog.ts';
import { UserError } from '../../core/errors.ts';
import type { KubeClients } from './client.ts';
import { formatExecTarget } from './exec-target.ts';
import { conditionOf, isControlledBy, type ObjectMeta, type Pod } from './objects.ts';
import { nameOf } from './rollout.ts';
import { listPods, listReplicaSets, requireWorkload } from './workload-api.ts';

/** What a cluster database needs to be found: its name (for messages) and its place. */
export interface ClusterDatabase {
  readonly name: string;
  readonly place: ClusterDatabasePlace;
}

/** `<namespace>/<pod>/<container>` of the pod to run the database's programs in. */
export async function databaseExecTarget(
  clients: KubeClients,
  service: KubernetesServiceDefinition,
  db: ClusterDatabase,
  signal?: AbortSignal,
): Promise<string> {
  // The other workload is read with the service's cluster and namespace, under its own name.
  const scoped: KubernetesServiceDefinition =
    db.place.workload === undefined ? service : { ...service, workload: db.place.workload };
  const workload = await requireWorkload(clients, scoped);
  signal?.throwIfAborted();
  const selector = workload.object.spec.selector;
  const owners: ObjectMeta[] =
    workload.kind === 'StatefulSet'
      ? [workload.object.metadata]
      : (await listReplicaSets(clients, scoped, selector))
          .filter((rs) => isControlledBy(rs, workload.object.metadata))
          .map((rs) => rs.metadata);
  signal?.throwIfAborted();
  const pods = await listPods(clients, scoped, selector);
  signal?.throwIfAborted();
  const usable = pods
    .filter((pod) => owners.some((owner) => isControlledBy(pod, owner)))
    .flatMap((pod) => {
      const container = db.place.container ?? pod.spec?.containers?.[0]?.name;
      return container !== undefined && isUsable(pod, container) ? [{ pod, container }] : [];
    })
    .sort(
      (a, b) =>
        Number(isReady(b.pod)) - Number(isReady(a.pod)) ||
        (a.pod.metadata.name ?? '').localeCompare(b.pod.metadata.name ?? ''),
    );
  const chosen = usable[0];
  if (chosen === undefined) {
    throw new UserError('kubernetes-database-no-pod', {
      service: service.name,
      database: db.name,
      workload: `${workload.kind}/${nameOf(workload)}`,
      namespace: service.namespace,
    });
  }
  return formatExecTarget({
    namespace: service.namespace,
    pod: chosen.pod.metadata.name ?? '',
    container: chosen.container,
  });
}

function isUsable(pod: Pod, container: string): boolean {
  if (pod.metadata.name === undefined || pod.metadata.deletionTimestamp !== undefined) return false;
  if (pod.status?.phase !== 'Running') return false;
  const status = pod.status.containerStatuses?.find((c) => c.name === container);
  return status?.state?.running !== undefined;
}

function isReady(pod: Pod): boolean {
  return conditionOf(pod.status?.conditions, 'Ready')?.status === 'True';
}
