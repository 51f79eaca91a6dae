/**
 * What an RBAC authorizer sees in a request: (API group, resource[/subresource], verb), by
 * the request-info rules of the API server
 * (https://kubernetes.io/docs/reference/access-authn-authz/authorization/#determine-the-request-verb
 * and k8s.io/apiserver/pkg/endpoints/request/requestinfo.go): GET of one object is get, of a
 * collection list, with watch=true|1 watch; POST create; PUT update; PATCH patch; DELETE of
 * one object delete, of a collection deletecollection; an apply (PATCH of
 * application/apply-patch+yaml) that creates the object (201) is authorized as create as well
 * (https://kubernetes.io/docs/reference/using-api/api-concepts/#patch-and-apply ), and so
 * is a WebSocket exec (below). Paths
 * outside /api and /apis
 * (discovery, /version, /openapi) are non-resource requests and are left out.
 */
import type { RequestRecord } from '../fakes/kubernetes/index.ts';

export interface Access {
  readonly group: string;
  /** `resource` or `resource/subresource`. */
  readonly resource: string;
  readonly verb: string;
  /** Empty for a cluster-scoped request. */
  readonly namespace: string;
}

/** Every authorization a request needed (none for a non-resource request). */
export function accessesOf(request: RequestRecord): Access[] {
  const access = accessOf(request);
  if (access === undefined) return [];
  const creates =
    request.method === 'PATCH' &&
    request.contentType.startsWith('application/apply-patch+yaml') &&
    request.status === 201;
  // A WebSocket exec (GET with an upgrade) is authorized as create as well on servers since
  // 1.31 (feature AuthorizePodWebsocketUpgradeCreatePermission, on by default): the fake
  // checks get only, a real 1.33 server both.
  const upgrade =
    request.method === 'GET' && /^pods\/(exec|attach|portforward)$/.test(access.resource);
  return creates || upgrade ? [access, { ...access, verb: 'create' }] : [access];
}

function accessOf(request: RequestRecord): Access | undefined {
  const parts = request.path.split('/').filter((p) => p !== '');
  let rest: string[];
  let group: string;
  if (parts[0] === 'api' && parts.length >= 3) {
    group = '';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1] ?? '';
    rest = parts.slice(3);
  } else {
    return undefined;
  }
  let namespace = '';
  // namespaces/<ns>/<resource>…; `namespaces/<name>` alone is the namespace object itself.
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1] ?? '';
    rest = rest.slice(2);
  }
  const [resource = '', name, subresource] = rest;
  const params = new URLSearchParams(request.query);
  const watch = params.get('watch') === 'true' || params.get('watch') === '1';
  const verbs: Record<string, string> = {
    GET: name === undefined ? (watch ? 'watch' : 'list') : 'get',
    POST: 'create',
    PUT: 'update',
    PATCH: 'patch',
    DELETE: name === undefined ? 'deletecollection' : 'delete',
  };
  const verb = verbs[request.method];
  if (verb === undefined) return undefined;
  return {
    group,
    resource: subresource === undefined ? resource : `${resource}/${subresource}`,
    verb,
    namespace,
  };
}
