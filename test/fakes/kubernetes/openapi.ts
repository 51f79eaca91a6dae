/**
 * Just enough of the OpenAPI v3 discovery (https://kubernetes.io/docs/concepts/overview/kubernetes-api/#openapi-v3)
 * for kubectl: /openapi/v3 lists a document per group-version, and each document names, per
 * resource, its PATCH operation with x-kubernetes-group-version-kind and the fieldValidation
 * query parameter. kubectl apply reads exactly that to learn that the server validates fields
 * itself (k8s.io/cli-runtime/pkg/resource/query_param_verifier_v3.go); without it kubectl
 * falls back to /openapi/v2 and refuses to apply when that is missing too. Schemas are empty:
 * `kubectl explain` is not served. /openapi/v2 answers 404.
 */
import type { JsonObject } from './json.ts';
import { RESOURCES, apiVersionOf } from './resources.ts';

function prefix(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

export function openApiIndex(): JsonObject {
  const paths: JsonObject = {};
  for (const r of RESOURCES) {
    const p = prefix(r.group, r.version);
    paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=fake` };
  }
  return { paths };
}

const QUERY = ['dryRun', 'fieldManager', 'fieldValidation', 'force', 'pretty'].map((name) => ({
  name,
  in: 'query',
  schema: { type: 'string', uniqueItems: true },
}));

export function openApiDocument(path: string): JsonObject | undefined {
  const mine = RESOURCES.filter((r) => `/openapi/v3/${prefix(r.group, r.version)}` === path);
  if (mine.length === 0) return undefined;
  const paths: JsonObject = {};
  for (const r of mine) {
    const base = r.namespaced
      ? `/${prefix(r.group, r.version)}/namespaces/{namespace}/${r.resource}`
      : `/${prefix(r.group, r.version)}/${r.resource}`;
    const gvk = { group: r.group, version: r.version, kind: r.kind };
    paths[`${base}/{name}`] = {
      patch: {
        operationId: `patch${r.kind}`,
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': gvk,
        parameters: QUERY,
        responses: { '200': { description: 'OK' } },
      },
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: apiVersionOf(mine[0] ?? { group: '', version: 'v1' }) },
    paths,
    components: { schemas: {} },
  };
}
