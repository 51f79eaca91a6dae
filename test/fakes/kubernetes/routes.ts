/**
 * Request paths of the REST API (https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-uris):
 * /api/v1/<resource>, /api/v1/namespaces/<ns>/<resource>/<name>/<subresource>,
 * /apis/<group>/<version>/…, and the verb each method means
 * (https://kubernetes.io/docs/reference/access-authn-authz/authorization/#determine-the-request-verb).
 */
import { findResource, type ResourceType } from './resources.ts';
import { pageNotFound } from './status.ts';

export interface Target {
  readonly resource: ResourceType;
  readonly namespace: string;
  /** True when the path names a namespace (/namespaces/<ns>/…). */
  readonly namespaced: boolean;
  readonly name: string;
  readonly subresource: string;
}

export function parseResourcePath(path: string): Target | undefined {
  const parts = path
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
  let group: string;
  let rest: string[];
  if (parts[0] === 'api' && parts[1] === 'v1') {
    group = '';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1] ?? '';
    rest = parts.slice(3);
  } else return undefined;
  const version = parts[0] === 'api' ? 'v1' : (parts[2] ?? '');
  let namespace = '';
  let namespaced = false;
  if (
    rest[0] === 'namespaces' &&
    rest.length >= 3 &&
    rest[2] !== 'status' &&
    rest[2] !== 'finalize'
  ) {
    namespace = rest[1] ?? '';
    namespaced = true;
    rest = rest.slice(2);
  }
  const [resourceName = '', name = '', subresource = '', ...extra] = rest;
  if (extra.length > 0) throw pageNotFound();
  const resource = findResource(group, version, resourceName);
  if (resource === undefined) throw pageNotFound();
  if (namespaced && !resource.namespaced) throw pageNotFound();
  if (subresource !== '' && !resource.subresources.some((s) => s.name === subresource))
    throw pageNotFound();
  return { resource, namespace, namespaced, name, subresource };
}

export function verbOf(method: string, target: Target, watch: boolean): string {
  switch (method) {
    case 'GET':
      if (target.name === '') return watch ? 'watch' : 'list';
      return watch ? 'watch' : 'get';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return target.name === '' ? 'deletecollection' : 'delete';
    default:
      return method.toLowerCase();
  }
}
