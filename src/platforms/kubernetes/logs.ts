/**
 * `logs` on a cluster: pods/log of each pod of the workload (its first container, the
 * service's own), with `tailLines`, `sinceSeconds` and `limitBytes` (API reference, Pod v1,
 * "read log of the specified Pod"). A pod whose container has not started answers 400 with
 * the reason; that reason is shown for that pod instead of its log.
 */
import type { KubernetesServiceDefinition } from '../../config/kubernetes.ts';
import { UserError } from '../../core/errors.ts';
import type { ContainerLogs, LogsRequest } from '../../core/platform.ts';
import { apiStatus, toUserError } from './api-errors.ts';
import type { KubeClients } from './client.ts';
import type { Pod } from './objects.ts';
import { actionFor, listPods, requireWorkload } from './workload-api.ts';

/** Per pod, as for Docker: enough for thousands of lines, small enough for many replicas. */
export const maxLogBytes = 1024 * 1024;

/** `--container`: a pod's name, or its number (1-based, in name order). */
export function pickPod(
  service: KubernetesServiceDefinition,
  pods: readonly Pod[],
  wanted: string,
): Pod {
  const byName = pods.find((p) => p.metadata.name === wanted);
  if (byName !== undefined) return byName;
  if (/^\d{1,6}$/.test(wanted)) {
    const byNumber = pods[Number(wanted) - 1];
    if (byNumber !== undefined) return byNumber;
  }
  throw new UserError('unknown-container', {
    service: service.name,
    container: wanted,
    known: pods.map((p, i) => `${i + 1} (${p.metadata.name ?? ''})`).join(', '),
  });
}

export function sinceSeconds(since: Date | undefined, now: Date): number | undefined {
  if (since === undefined) return undefined;
  return Math.max(1, Math.ceil((now.getTime() - since.getTime()) / 1000));
}

export async function readLogs(
  clients: KubeClients,
  service: KubernetesServiceDefinition,
  request: LogsRequest,
  now: Date,
): Promise<ContainerLogs[]> {
  const workload = await requireWorkload(clients, service);
  const pods = (await listPods(clients, service, workload.object.spec.selector))
    .filter((p) => p.metadata.name !== undefined)
    .sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  const chosen =
    request.container === undefined ? pods : [pickPod(service, pods, request.container)];
  const since = sinceSeconds(request.since, now);
  const action = actionFor(service, 'get', 'pods', '', 'log');
  return Promise.all(
    chosen.map(async (pod) => {
      const name = pod.metadata.name ?? '';
      const container = pod.spec?.containers?.[0]?.name;
      try {
        const text = await clients.core.readNamespacedPodLog({
          name,
          namespace: service.namespace,
          ...(container === undefined ? {} : { container }),
          tailLines: request.lines,
          limitBytes: maxLogBytes,
          ...(since === undefined ? {} : { sinceSeconds: since }),
        });
        return { container: name, text };
      } catch (error) {
        const status = apiStatus(error);
        // "container … is waiting to start: …": no log yet, and the reason says why.
        if (status?.code === 400 && status.message !== '') {
          return { container: name, text: `(${status.message})\n` };
        }
        throw toUserError(error, action);
      }
    }),
  );
}
