/**
 * A WatchSource (watch.ts) for one workload over client-node: list with a fieldSelector on
 * its name, watch through client-node's Watch (which hands over the events' raw JSON).
 */
import type { KubernetesServiceDefinition, WorkloadKind } from '../../config/kubernetes.ts';
import type { KubeClients } from './client.ts';
import type { Deployment, StatefulSet } from './objects.ts';
import type { Listed, WatchEvent, WatchSource } from './watch.ts';
import { call, actionFor, resourceOf, toWire } from './workload-api.ts';

type WorkloadObject = Deployment | StatefulSet;

/** client-node's Watch reports a refused request as an Error with `statusCode`. */
function watchError(error: unknown): unknown {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status !== 'number') return error;
  return Object.assign(new Error(`watch answered ${status}`, { cause: error }), {
    code: status,
    body: '',
  });
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

export function workloadSource(
  clients: KubeClients,
  service: KubernetesServiceDefinition,
  kind: WorkloadKind,
  name: string,
): WatchSource<WorkloadObject> {
  const namespace = service.namespace;
  const fieldSelector = `metadata.name=${name}`;
  const resource = resourceOf[kind];
  return {
    async list(): Promise<Listed<WorkloadObject>> {
      const list = (await call(actionFor(service, 'list', resource), (): Promise<unknown> =>
        kind === 'Deployment'
          ? clients.apps.listNamespacedDeployment({ namespace, fieldSelector })
          : clients.apps.listNamespacedStatefulSet({ namespace, fieldSelector }),
      )) as { items: unknown[]; metadata?: { resourceVersion?: string } };
      return {
        items: toWire(list.items) as WorkloadObject[],
        resourceVersion: list.metadata?.resourceVersion ?? '',
      };
    },
    async watch(resourceVersion, onEvent, signal): Promise<void> {
      const { Watch } = await import('@kubernetes/client-node');
      const watcher = new Watch(clients.config);
      await new Promise<void>((resolve, reject) => {
        watcher
          .watch(
            `/apis/apps/v1/namespaces/${namespace}/${resource}`,
            { resourceVersion, allowWatchBookmarks: true, fieldSelector },
            (type: string, object: unknown) => {
              onEvent({ type, object } as WatchEvent<WorkloadObject>);
            },
            (error: unknown) => {
              if (error === null || error === undefined) resolve();
              // client-node ends a quiet watch after 30 s: the server simply had nothing to say.
              else if (!signal.aborted && (error as Error).name === 'TimeoutError') resolve();
              else reject(asError(watchError(signal.aborted ? signal.reason : error)));
            },
          )
          .then((controller) => {
            if (signal.aborted) controller.abort();
            else signal.addEventListener('abort', () => controller.abort(), { once: true });
          }, reject);
      });
    },
  };
}
