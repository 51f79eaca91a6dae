/**
 * A WatchSource (watch.ts) of the pods of one namespace that match a label or field
 * selector, over client-node, the same way watch-source.ts follows one workload.
 */
import type { KubeClients } from './client.ts';
import type { Pod } from './objects.ts';
import type { Listed, WatchEvent, WatchSource } from './watch.ts';
import { abortOptions, asError, untilAborted, watchError } from './watch-source.ts';
import { call, toWire } from './workload-api.ts';

export interface PodSelection {
  readonly namespace: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

export function podSource(clients: KubeClients, selection: PodSelection): WatchSource<Pod> {
  const { namespace } = selection;
  const selectors = {
    ...(selection.labelSelector === undefined ? {} : { labelSelector: selection.labelSelector }),
    ...(selection.fieldSelector === undefined ? {} : { fieldSelector: selection.fieldSelector }),
  };
  const action = { cluster: clients.cluster, verb: 'list', resource: 'pods', group: '', namespace };
  return {
    async list(signal): Promise<Listed<Pod>> {
      const options = await abortOptions(signal);
      const list = (await call(action, () =>
        untilAborted(signal, clients.core.listNamespacedPod({ namespace, ...selectors }, options)),
      )) as { items: unknown[]; metadata?: { resourceVersion?: string } };
      return {
        items: toWire(list.items) as Pod[],
        resourceVersion: list.metadata?.resourceVersion ?? '',
      };
    },
    async watch(resourceVersion, onEvent, signal): Promise<void> {
      const { Watch } = await import('@kubernetes/client-node');
      const watcher = new Watch(clients.config);
      signal.throwIfAborted();
      await new Promise<void>((resolve, reject) => {
        const abandon = (): void => reject(asError(signal.reason));
        signal.addEventListener('abort', abandon, { once: true });
        watcher
          .watch(
            `/api/v1/namespaces/${namespace}/pods`,
            { resourceVersion, allowWatchBookmarks: true, ...selectors },
            (type: string, object: unknown) => {
              onEvent({ type, object } as WatchEvent<Pod>);
            },
            (error: unknown) => {
              if (error === null || error === undefined) resolve();
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
