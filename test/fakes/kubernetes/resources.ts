/**
 * The resources the fake serves, as the API reference lists them
 * (https://kubernetes.io/docs/reference/kubernetes-api/): group, version, kind, scope, short
 * names and verbs as `kubectl api-resources` shows them on a real cluster, and the
 * subresources each has (scale, status, log, exec).
 */
import type { NameRule } from './names.ts';

export interface ResourceType {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly singular: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly verbs: readonly string[];
  readonly subresources: readonly Subresource[];
  readonly nameRule: NameRule;
  /** Objects whose metadata.generation moves with their spec. */
  readonly generation: boolean;
  readonly categories: readonly string[];
}

export interface Subresource {
  readonly name: string;
  readonly kind: string;
  readonly group: string;
  readonly version: string;
  readonly verbs: readonly string[];
}

const ALL_VERBS = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
];
const STATUS_VERBS = ['get', 'patch', 'update'];

function status(kind: string, group: string): Subresource {
  return { name: 'status', kind, group, version: 'v1', verbs: STATUS_VERBS };
}
function scale(): Subresource {
  return { name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: STATUS_VERBS };
}

function core(resource: string, kind: string, rest: Partial<ResourceType> = {}): ResourceType {
  return {
    group: '',
    version: 'v1',
    resource,
    singular: kind.toLowerCase(),
    kind,
    namespaced: true,
    shortNames: [],
    verbs: ALL_VERBS,
    subresources: [],
    nameRule: 'subdomain',
    generation: false,
    categories: [],
    ...rest,
  };
}

function apps(resource: string, kind: string, rest: Partial<ResourceType> = {}): ResourceType {
  return core(resource, kind, { group: 'apps', generation: true, ...rest });
}

export const RESOURCES: readonly ResourceType[] = [
  core('namespaces', 'Namespace', {
    namespaced: false,
    shortNames: ['ns'],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: [status('Namespace', '')],
    nameRule: 'label',
  }),
  core('pods', 'Pod', {
    shortNames: ['po'],
    categories: ['all'],
    subresources: [
      status('Pod', ''),
      { name: 'log', kind: 'Pod', group: '', version: 'v1', verbs: ['get'] },
      { name: 'exec', kind: 'PodExecOptions', group: '', version: 'v1', verbs: ['create', 'get'] },
    ],
  }),
  core('services', 'Service', {
    shortNames: ['svc'],
    categories: ['all'],
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: [status('Service', '')],
    nameRule: 'dns1035',
  }),
  core('secrets', 'Secret'),
  core('persistentvolumeclaims', 'PersistentVolumeClaim', {
    shortNames: ['pvc'],
    subresources: [status('PersistentVolumeClaim', '')],
  }),
  core('events', 'Event', { shortNames: ['ev'] }),
  apps('deployments', 'Deployment', {
    shortNames: ['deploy'],
    categories: ['all'],
    subresources: [scale(), status('Deployment', 'apps')],
  }),
  apps('replicasets', 'ReplicaSet', {
    shortNames: ['rs'],
    categories: ['all'],
    subresources: [scale(), status('ReplicaSet', 'apps')],
  }),
  apps('statefulsets', 'StatefulSet', {
    shortNames: ['sts'],
    categories: ['all'],
    subresources: [scale(), status('StatefulSet', 'apps')],
  }),
  apps('controllerrevisions', 'ControllerRevision', { generation: false }),
  core('selfsubjectaccessreviews', 'SelfSubjectAccessReview', {
    group: 'authorization.k8s.io',
    namespaced: false,
    verbs: ['create'],
  }),
  // What a chart installs beside its workload (helm/pes-bot): a ServiceAccount, a ConfigMap,
  // RBAC Roles and RoleBindings, an Ingress (API reference: service-account-v1, config-map-v1,
  // role-v1, role-binding-v1, ingress-v1). Stored as written; nothing acts on them.
  core('serviceaccounts', 'ServiceAccount', { shortNames: ['sa'] }),
  core('configmaps', 'ConfigMap', { shortNames: ['cm'] }),
  core('roles', 'Role', { group: 'rbac.authorization.k8s.io' }),
  core('rolebindings', 'RoleBinding', { group: 'rbac.authorization.k8s.io' }),
  core('ingresses', 'Ingress', {
    group: 'networking.k8s.io',
    shortNames: ['ing'],
    subresources: [status('Ingress', 'networking.k8s.io')],
  }),
];

export function findResource(
  group: string,
  version: string,
  resource: string,
): ResourceType | undefined {
  return RESOURCES.find(
    (r) => r.group === group && r.version === version && r.resource === resource,
  );
}

export function resourceOfKind(apiVersion: string, kind: string): ResourceType | undefined {
  return RESOURCES.find((r) => apiVersionOf(r) === apiVersion && r.kind === kind);
}

export function apiVersionOf(r: { group: string; version: string }): string {
  return r.group === '' ? r.version : `${r.group}/${r.version}`;
}

export function resourceByName(resource: string): ResourceType {
  const found = RESOURCES.find((r) => r.resource === resource);
  if (found === undefined) throw new Error(`no resource ${resource}`);
  return found;
}
