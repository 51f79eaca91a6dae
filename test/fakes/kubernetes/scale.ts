/**
 * The scale subresource (https://kubernetes.io/docs/reference/kubernetes-api/autoscaling-resources/scale-v1/ ,
 * and https://kubernetes.io/docs/tasks/run-application/scale-stateful-set/): an
 * autoscaling/v1 Scale whose metadata is the workload's (same resourceVersion, so a Scale
 * with a stale one is a 409), spec.replicas, status.replicas and the selector as text.
 */
import { at, child, isObject, num, str, type JsonObject } from './json.ts';
import { selectorText } from './selectors.ts';
import { ApiError } from './status.ts';

export function scaleOf(workload: JsonObject): JsonObject {
  const meta = isObject(workload.metadata) ? workload.metadata : {};
  const out: JsonObject = {};
  for (const k of ['name', 'namespace', 'uid', 'resourceVersion', 'creationTimestamp'] as const) {
    if (meta[k] !== undefined) out[k] = meta[k];
  }
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: out,
    spec: { replicas: num(at(workload, 'spec', 'replicas')) ?? 0 },
    status: {
      replicas: num(at(workload, 'status', 'replicas')) ?? 0,
      selector: selectorText(at(workload, 'spec', 'selector')),
    },
  };
}

/** The workload with the Scale's replicas, keeping the Scale's resourceVersion precondition. */
export function withScale(workload: JsonObject, scale: JsonObject): JsonObject {
  const replicas = at(scale, 'spec', 'replicas');
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw new ApiError(
      422,
      'Invalid',
      `Scale.autoscaling "${str(at(workload, 'metadata', 'name')) ?? ''}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas ?? null)}: must be greater than or equal to 0`,
    );
  }
  child(workload, 'spec').replicas = replicas;
  const rv = at(scale, 'metadata', 'resourceVersion');
  child(workload, 'metadata').resourceVersion = typeof rv === 'string' ? rv : '';
  return workload;
}
