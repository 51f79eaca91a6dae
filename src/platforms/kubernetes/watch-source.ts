/**
 * A WatchSource (watch.ts) for one workload over client-node: list with a fieldSelector on
 * its name, watch through client-node's Watch (which hands over the events' raw JSON).
 */
import type { KubernetesServiceDefinition, WorkloadKind } from '../../config/kubernetes.ts';
import type { RequestContext, ResponseContext } from '@kubernetes/client-node';
import type { KubeClients } from './client.ts';
import type { Deployment, StatefulSet } from './objects.ts';
import type { Listed, WatchEvent, WatchSource } from './watch.ts';
import { call, actionFor, resourceOf, toWire } from './workload-api.ts';

type WorkloadObject = Deployment | StatefulSet;

/** client-node's Watch reports a refused request as an Error with `statusCode`. */
export function watchError(error: unknown): unknown {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status !== 'number') return error;
  return Object.assign(new Error(`watch answered ${status}`, { cause: error }), {
    code: status,
    body: '',
  });
}

/**
 * Per-call options that give the request the signal (client-node 2.x sends through undici's
 * fetch with the RequestContext's signal; a middleware is the per-call way to set it).
 */
export async function abortOptions(signal: AbortSignal) {
  const { Observable } = await import('@kubernetes/client-node');
  return {
    middleware: [
      {
        pre: (context: RequestContext) => {
          context.setSignal(signal);
          return new Observable(Promise.resolve(context));
        },
        post: (context: ResponseContext) => new Observable(Promise.resolve(context)),
      },
    ],
    middlewareMergeStrategy: 'append' as const,
  };
}

/** The call, or the signal's reason as soon as it aborts, whichever comes first. */
export function untilAborted(signal: AbortSignal, call: Promise<unknown>): Promise<unknown> {
  return new Promise<unknown>((resolve, reject) => {
    const abort = (): void => reject(asError(signal.reason));
    if (signal.aborted) abort();
    signal.addEventListener('abort', abort, { once: true });
    call.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

export function asError(value: unknown): Error {
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
    async list(signal): Promise<Listed<WorkloadObject>> {
      const options = await abortOptions(signal);
      const list = (await call(actionFor(service, 'list', resource), (): Promise<unknown> =>
        untilAborted(
          signal,
          kind === 'Deployment'
            ? clients.apps.listNamespacedDeployment({ namespace, fieldSelector }, options)
            : clients.apps.listNamespacedStatefulSet({ namespace, fieldSelector }, options),
        ),
      )) as { items: unknown[]; metadata?: { resourceVersion?: string } };
      return {
        items: toWire(list.items) as WorkloadObject[],
        resourceVersion: list.metadata?.resourceVersion ?? '',
      };
    },
    async watch(resourceVersion, onEvent, signal): Promise<void> {
      const { Watch } = await import('@kubernetes/client-node');
      const watcher = new Watch(clients.config);
      signal.throwIfAborted();
      await new Promise<void>((resolve, reject) => {
        // The watch request is made before its controller is handed over: a server that
        // never answers it would hold the wait past its deadline without this.
        const abandon = (): void => reject(asError(signal.reason));
        signal.addEventListener('abort', abandon, { once: true });
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
