/**
 * Where `exec` runs on a cluster. The Platform port names a container by one string; on
 * Docker that is the container's name (`moodle-db-1`), on a cluster it is
 * `<namespace>/<pod>` or `<namespace>/<pod>/<container>` (the pod's first container when
 * left out), since one cluster's port serves every namespace. `serviceExecTarget` makes it
 * from a service the way `logs --container` picks: a pod by name or by its number (1-based,
 * in name order), the first pod when none is named.
 */
import { isDns1123Label, isDns1123Subdomain } from '../../config/kubernetes-schema.ts';
import type { KubernetesServiceDefinition } from '../../config/kubernetes.ts';
import { UserError } from '../../core/errors.ts';
import type { KubeClients } from './client.ts';
import { pickPod } from './logs.ts';
import { listPods, requireWorkload } from './workload-api.ts';

export interface ExecTarget {
  readonly namespace: string;
  readonly pod: string;
  /** Absent: the pod's first container, the service's own (as `logs` reads). */
  readonly container?: string;
}

/** Names checked here go into the request path: nothing else may reach it. */
export function parseExecTarget(cluster: string, text: string): ExecTarget {
  const parts = text.split('/');
  const [namespace = '', pod = '', container] = parts;
  const valid =
    (parts.length === 2 || parts.length === 3) &&
    isDns1123Label(namespace) &&
    isDns1123Subdomain(pod) &&
    (container === undefined || isDns1123Label(container));
  if (!valid) throw new UserError('kubernetes-exec-target', { cluster, target: text });
  return container === undefined ? { namespace, pod } : { namespace, pod, container };
}

export function formatExecTarget(target: ExecTarget): string {
  const base = `${target.namespace}/${target.pod}`;
  return target.container === undefined ? base : `${base}/${target.container}`;
}

/** The exec target of one of a service's pods: by pod name or number, else the first. */
export async function serviceExecTarget(
  clients: KubeClients,
  service: KubernetesServiceDefinition,
  replica?: string,
  container?: string,
): Promise<string> {
  const workload = await requireWorkload(clients, service);
  const pods = (await listPods(clients, service, workload.object.spec.selector))
    .filter((p) => p.metadata.name !== undefined && p.metadata.deletionTimestamp === undefined)
    .sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  const pod = pickPod(service, pods, replica ?? '1');
  return formatExecTarget({
    namespace: service.namespace,
    pod: pod.metadata.name ?? '',
    ...(container === undefined ? {} : { container }),
  });
}
