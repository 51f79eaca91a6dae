/**
 * The calls the platform makes, over client-node's typed APIs, returning the objects as
 * they are on the wire (objects.ts): the typed models carry Date objects and class
 * instances, the pure modules compare and patch plain JSON.
 */
import type { KubernetesServiceDefinition, WorkloadKind } from '../../config/kubernetes.ts';
import { UserError } from '../../core/errors.ts';
import { accessDenial, accessReview, type AccessRequest } from './access-review.ts';
import { apiStatus, toUserError, type ApiAction } from './api-errors.ts';
import type { KubeClients } from './client.ts';
import type {
  ControllerRevision,
  Deployment,
  Event,
  LabelSelector,
  Pod,
  ReplicaSet,
  StatefulSet,
} from './objects.ts';
import type { Workload } from './status-map.ts';

/** The model as JSON: Date → RFC 3339 text, undefined fields gone (field names are the wire's). */
export function toWire(model: unknown): unknown {
  return JSON.parse(JSON.stringify(model));
}

/**
 * A request body for client-node from wire JSON. Its serializer reads fields by name
 * (ObjectSerializer.serialize walks the attribute map), never the prototype, so the JSON is
 * sent as it is.
 */
export function asModel<M extends object>(wire: object, model: abstract new () => M): M {
  if (wire instanceof model) return wire;
  return wire as M;
}

/** `app=moodle,tier in (web,api)`: the labelSelector query form (Labels and Selectors). */
export function selectorString(selector: LabelSelector | undefined): string {
  const parts = Object.entries(selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of selector?.matchExpressions ?? []) {
    const values = (e.values ?? []).join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

export const resourceOf: Readonly<Record<WorkloadKind, string>> = {
  Deployment: 'deployments',
  StatefulSet: 'statefulsets',
};

export function actionFor(
  service: KubernetesServiceDefinition,
  verb: string,
  resource: string,
  group = 'apps',
  subresource?: string,
): ApiAction {
  return {
    cluster: service.cluster,
    verb,
    resource,
    group,
    namespace: service.namespace,
    ...(subresource === undefined ? {} : { subresource }),
  };
}

/** Runs one call; what it throws becomes the person's one line (api-errors.ts). */
export async function call<T>(action: ApiAction, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw toUserError(error, action);
  }
}

/** The service's workload; undefined when there is none by that name or selector. */
export async function findWorkload(
  clients: KubeClients,
  service: KubernetesServiceDefinition,
): Promise<Workload | undefined> {
  const { kind } = service.workload;
  const namespace = service.namespace;
  const action = actionFor(service, 'get', resourceOf[kind]);
  if ('name' in service.workload) {
    const name = service.workload.name;
    try {
      const model =
        kind === 'Deployment'
          ? await clients.apps.readNamespacedDeployment({ name, namespace })
          : await clients.apps.readNamespacedStatefulSet({ name, namespace });
      return toWorkload(kind, model);
    } catch (error) {
      if (apiStatus(error)?.code === 404) return undefined;
      throw toUserError(error, action);
    }
  }
  const labelSelector = selectorString({ matchLabels: service.workload.selector });
  const list = (await call({ ...action, verb: 'list' }, (): Promise<unknown> =>
    kind === 'Deployment'
      ? clients.apps.listNamespacedDeployment({ namespace, labelSelector })
      : clients.apps.listNamespacedStatefulSet({ namespace, labelSelector }),
  )) as { items: unknown[] };
  const items = list.items;
  if (items.length === 0) return undefined;
  if (items.length > 1) {
    const names = items.map((i) => (toWire(i) as Deployment).metadata.name ?? '').join(', ');
    throw new UserError('kubernetes-selector-ambiguous', {
      service: service.name,
      kind,
      namespace,
      selector: labelSelector,
      names,
    });
  }
  return toWorkload(kind, items[0]);
}

function toWorkload(kind: WorkloadKind, model: unknown): Workload {
  return kind === 'Deployment'
    ? { kind, object: toWire(model) as Deployment }
    : { kind, object: toWire(model) as StatefulSet };
}

/** The workload, or the one line that says it is not there. */
export async function requireWorkload(
  clients: KubeClients,
  service: KubernetesServiceDefinition,
): Promise<Workload> {
  const found = await findWorkload(clients, service);
  if (found !== undefined) return found;
  const { workload } = service;
  if ('name' in workload) {
    throw new UserError('kubernetes-workload-missing', {
      cluster: service.cluster,
      namespace: service.namespace,
      kind: workload.kind,
      name: workload.name,
    });
  }
  throw new UserError('kubernetes-selector-no-match', {
    cluster: service.cluster,
    namespace: service.namespace,
    kind: workload.kind,
    selector: selectorString({ matchLabels: workload.selector }),
  });
}

export async function listPods(
  clients: KubeClients,
  service: KubernetesServiceDefinition,
  selector: LabelSelector | undefined,
): Promise<Pod[]> {
  const list = await call(actionFor(service, 'list', 'pods', ''), () =>
    clients.core.listNamespacedPod({
      namespace: service.namespace,
      labelSelector: selectorString(selector),
    }),
  );
  return toWire(list.items) as Pod[];
}

export async function listReplicaSets(
  clients: KubeClients,
  service: KubernetesServiceDefinition,
  selector: LabelSelector | undefined,
): Promise<ReplicaSet[]> {
  const list = await call(actionFor(service, 'list', 'replicasets'), () =>
    clients.apps.listNamespacedReplicaSet({
      namespace: service.namespace,
      labelSelector: selectorString(selector),
    }),
  );
  return toWire(list.items) as ReplicaSet[];
}

export async function listControllerRevisions(
  clients: KubeClients,
  service: KubernetesServiceDefinition,
  selector: LabelSelector | undefined,
): Promise<ControllerRevision[]> {
  const list = await call(actionFor(service, 'list', 'controllerrevisions'), () =>
    clients.apps.listNamespacedControllerRevision({
      namespace: service.namespace,
      labelSelector: selectorString(selector),
    }),
  );
  return toWire(list.items) as ControllerRevision[];
}

export async function listEvents(
  clients: KubeClients,
  service: KubernetesServiceDefinition,
): Promise<Event[]> {
  const list = await call(actionFor(service, 'list', 'events', ''), () =>
    clients.core.listNamespacedEvent({ namespace: service.namespace }),
  );
  return toWire(list.items) as Event[];
}

/** Asks first whether the bot may do it; a refusal names what to grant. */
export async function checkAccess(clients: KubeClients, request: AccessRequest): Promise<void> {
  const answer = await call(
    {
      cluster: request.cluster,
      verb: 'create',
      resource: 'selfsubjectaccessreviews',
      group: 'authorization.k8s.io',
      namespace: request.namespace,
    },
    async () => {
      const { V1SelfSubjectAccessReview } = await import('@kubernetes/client-node');
      const body = asModel(accessReview(request), V1SelfSubjectAccessReview);
      return clients.authorization.createSelfSubjectAccessReview({ body });
    },
  );
  const denial = accessDenial(
    request,
    (toWire(answer) as { status?: { allowed?: boolean } }).status,
  );
  if (denial !== undefined) throw denial;
}
