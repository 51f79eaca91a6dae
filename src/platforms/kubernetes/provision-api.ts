/**
 * The calls provisioning makes, per kind, over client-node's typed APIs: server-side apply
 * (PATCH with `application/apply-patch+yaml` and `fieldManager`; API reference, "PATCH" and
 * https://kubernetes.io/docs/reference/using-api/server-side-apply/ ; JSON is YAML, so the
 * body goes as client-node serializes it), optionally with `dryRun=All`
 * (https://kubernetes.io/docs/reference/using-api/api-concepts/#dry-run), reads, lists by
 * label and deletes. Never `force`: the names were free when the plan was made, so another
 * manager's field is a conflict to report, not to take over.
 */
import { apiStatus } from './api-errors.ts';
import type { KubeClients } from './client.ts';
import type { ObjectMeta } from './objects.ts';
import { fieldManager, type ProvisionKind, type ProvisionObject } from './provision-objects.ts';
import { call, toWire } from './workload-api.ts';

export interface Placement {
  readonly cluster: string;
  readonly namespace: string;
}

/** The RBAC resource and group of each kind. */
export const resourceOfKind: Readonly<Record<ProvisionKind, { resource: string; group: string }>> =
  {
    Secret: { resource: 'secrets', group: '' },
    PersistentVolumeClaim: { resource: 'persistentvolumeclaims', group: '' },
    Service: { resource: 'services', group: '' },
    Deployment: { resource: 'deployments', group: 'apps' },
  };

export interface LiveObject {
  readonly kind: ProvisionKind;
  readonly metadata: ObjectMeta & {
    readonly managedFields?: readonly { readonly manager?: string; readonly operation?: string }[];
  };
  readonly [field: string]: unknown;
}

function action(place: Placement, kind: ProvisionKind, verb: string) {
  return { cluster: place.cluster, namespace: place.namespace, verb, ...resourceOfKind[kind] };
}

/** What an apply answered: the object, and whether the apply made it (201) or changed it (200). */
export interface Applied {
  readonly object: LiveObject;
  readonly created: boolean;
}

/**
 * Applies one object; with `dryRun` the server answers as it would, and keeps nothing. An
 * apply that makes the object is answered 201 Created, one that changes an existing object
 * 200 OK (apiserver endpoints/handlers/patch.go: `wasCreated`), so the answer says whether
 * this request made it, whoever else raced for the name.
 */
export async function applyObject(
  clients: KubeClients,
  place: Placement,
  object: ProvisionObject,
  options: { readonly dryRun: boolean },
): Promise<Applied> {
  const { setHeaderOptions, PatchStrategy } = await import('@kubernetes/client-node');
  const headers = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
  const request = {
    name: object.name,
    namespace: place.namespace,
    body: object.body,
    fieldManager,
    ...(options.dryRun ? { dryRun: 'All' } : {}),
  };
  const answer = await call(
    action(place, object.kind, 'patch'),
    (): Promise<{ httpStatusCode: number; data: unknown }> => {
      switch (object.kind) {
        case 'Secret':
          return clients.core.patchNamespacedSecretWithHttpInfo(request, headers);
        case 'PersistentVolumeClaim':
          return clients.core.patchNamespacedPersistentVolumeClaimWithHttpInfo(request, headers);
        case 'Service':
          return clients.core.patchNamespacedServiceWithHttpInfo(request, headers);
        case 'Deployment':
          return clients.apps.patchNamespacedDeploymentWithHttpInfo(request, headers);
      }
    },
  );
  return {
    object: { ...(toWire(answer.data) as object), kind: object.kind } as LiveObject,
    created: answer.httpStatusCode === 201,
  };
}

/**
 * Reads and lists ask for metadata only (API reference, meta/v1 PartialObjectMetadata and
 * PartialObjectMetadataList, chosen by the Accept header): names, labels and managedFields are
 * all that provisioning looks at, and a Secret's values are then never sent to the bot.
 */
const metadataOnly = {
  object: 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1',
  list: 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1',
} as const;

/** The metadata of the object of that kind and name, undefined when there is none (404). */
export async function readObject(
  clients: KubeClients,
  place: Placement,
  kind: ProvisionKind,
  name: string,
): Promise<LiveObject | undefined> {
  const { setHeaderOptions } = await import('@kubernetes/client-node');
  const headers = setHeaderOptions('Accept', metadataOnly.object);
  const request = { name, namespace: place.namespace };
  try {
    const answer = await call(action(place, kind, 'get'), (): Promise<unknown> => {
      switch (kind) {
        case 'Secret':
          return clients.core.readNamespacedSecret(request, headers);
        case 'PersistentVolumeClaim':
          return clients.core.readNamespacedPersistentVolumeClaim(request, headers);
        case 'Service':
          return clients.core.readNamespacedService(request, headers);
        case 'Deployment':
          return clients.apps.readNamespacedDeployment(request, headers);
      }
    });
    return { ...(toWire(answer) as object), kind } as LiveObject;
  } catch (error) {
    if (apiStatus((error as { cause?: unknown }).cause)?.code === 404) return undefined;
    throw error;
  }
}

/** The metadata of the objects of a kind whose labels match the selector. */
export async function listObjects(
  clients: KubeClients,
  place: Placement,
  kind: ProvisionKind,
  labelSelector: string,
): Promise<LiveObject[]> {
  const { setHeaderOptions } = await import('@kubernetes/client-node');
  const headers = setHeaderOptions('Accept', metadataOnly.list);
  const request = { namespace: place.namespace, labelSelector };
  const list = (await call(action(place, kind, 'list'), (): Promise<unknown> => {
    switch (kind) {
      case 'Secret':
        return clients.core.listNamespacedSecret(request, headers);
      case 'PersistentVolumeClaim':
        return clients.core.listNamespacedPersistentVolumeClaim(request, headers);
      case 'Service':
        return clients.core.listNamespacedService(request, headers);
      case 'Deployment':
        return clients.apps.listNamespacedDeployment(request, headers);
    }
  })) as { items: unknown[] };
  return (toWire(list.items) as object[]).map((o) => ({ ...o, kind }) as LiveObject);
}

/**
 * Deletes one object; one already gone is fine ('gone'). A Deployment goes in the foreground,
 * so that it is gone only once its pods are (API reference, DeleteOptions.propagationPolicy;
 * https://kubernetes.io/docs/concepts/architecture/garbage-collection/#foreground-deletion ).
 * With `uid`, only that very object is deleted (DeleteOptions.preconditions.uid): one of the
 * same name made since by someone else is answered 409 and left alone ('replaced').
 */
export async function deleteObject(
  clients: KubeClients,
  place: Placement,
  kind: ProvisionKind,
  name: string,
  uid?: string,
): Promise<'deleted' | 'gone' | 'replaced'> {
  const request = {
    name,
    namespace: place.namespace,
    ...(kind === 'Deployment' ? { propagationPolicy: 'Foreground' } : {}),
    ...(uid === undefined ? {} : { body: { preconditions: { uid } } }),
  };
  try {
    await call(action(place, kind, 'delete'), (): Promise<unknown> => {
      switch (kind) {
        case 'Secret':
          return clients.core.deleteNamespacedSecret(request);
        case 'PersistentVolumeClaim':
          return clients.core.deleteNamespacedPersistentVolumeClaim(request);
        case 'Service':
          return clients.core.deleteNamespacedService(request);
        case 'Deployment':
          return clients.apps.deleteNamespacedDeployment(request);
      }
    });
  } catch (error) {
    const status = apiStatus((error as { cause?: unknown }).cause);
    if (status?.code === 404) return 'gone';
    if (uid !== undefined && status?.code === 409) return 'replaced';
    throw error;
  }
  return 'deleted';
}

/** Whether the request reached the server and was answered with an HTTP status. */
export function answered(error: unknown): boolean {
  return apiStatus((error as { cause?: unknown }).cause) !== undefined;
}

/** Whether the bot applied it: a managedFields entry of its field manager, operation Apply. */
export function appliedByBot(object: LiveObject): boolean {
  return (object.metadata.managedFields ?? []).some(
    (e) => e.manager === fieldManager && e.operation === 'Apply',
  );
}
