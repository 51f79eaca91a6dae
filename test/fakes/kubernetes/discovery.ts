/**
 * Discovery documents: /version, /api (APIVersions), /apis (APIGroupList), /api/v1 and
 * /apis/<group>/<version> (APIResourceList with subresources as "deployments/scale"), as the
 * API concepts page describes them
 * (https://kubernetes.io/docs/reference/using-api/api-concepts/#discovery-api and
 * https://kubernetes.io/docs/concepts/overview/kubernetes-api/#discovery-api). Only the
 * unaggregated (v1) form is served: a client asking for the aggregated
 * `apidiscovery.k8s.io/v2` form falls back to it when the answer's content type is plain JSON,
 * as client-go's discovery client does. /openapi/v2 and /openapi/v3 are not served (404), which
 * a server may do; kubectl then validates nothing on the client side.
 */
import type { JsonObject } from './json.ts';
import { RESOURCES, apiVersionOf, type ResourceType } from './resources.ts';

export const SERVER_VERSION: JsonObject = {
  major: '1',
  minor: '33',
  gitVersion: 'v1.33.0-fake',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2025-04-23T00:00:00Z',
  goVersion: 'go1.24.2',
  compiler: 'gc',
  platform: 'linux/amd64',
};

function groups(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of RESOURCES) {
    if (r.group === '') continue;
    const versions = out.get(r.group) ?? [];
    if (!versions.includes(r.version)) versions.push(r.version);
    out.set(r.group, versions);
  }
  return out;
}

export function apiVersions(): JsonObject {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:6443' }],
  };
}

export function apiGroupList(): JsonObject {
  const list: JsonObject[] = [];
  for (const [name, versions] of groups()) {
    const gv = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
    list.push({ name, versions: gv, preferredVersion: gv[0] ?? null });
  }
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: list };
}

export function apiGroup(group: string): JsonObject | undefined {
  const versions = groups().get(group);
  if (versions === undefined) return undefined;
  const gv = versions.map((v) => ({ groupVersion: `${group}/${v}`, version: v }));
  return {
    kind: 'APIGroup',
    apiVersion: 'v1',
    name: group,
    versions: gv,
    preferredVersion: gv[0] ?? null,
  };
}

function entry(r: ResourceType): JsonObject {
  const e: JsonObject = {
    name: r.resource,
    singularName: r.singular,
    namespaced: r.namespaced,
    kind: r.kind,
    verbs: [...r.verbs],
  };
  if (r.shortNames.length > 0) e.shortNames = [...r.shortNames];
  if (r.categories.length > 0) e.categories = [...r.categories];
  return e;
}

export function resourceList(group: string, version: string): JsonObject | undefined {
  const mine = RESOURCES.filter((r) => r.group === group && r.version === version);
  if (mine.length === 0) return undefined;
  const resources: JsonObject[] = [];
  for (const r of mine) {
    resources.push(entry(r));
    for (const s of r.subresources) {
      const sub: JsonObject = {
        name: `${r.resource}/${s.name}`,
        singularName: '',
        namespaced: r.namespaced,
        kind: s.kind,
        verbs: [...s.verbs],
      };
      if (s.group !== r.group) {
        sub.group = s.group;
        sub.version = s.version;
      }
      resources.push(sub);
    }
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: apiVersionOf({ group, version }),
    resources,
  };
}
