/**
 * What `kubectl rollout restart` sends (kubernetes/kubectl pkg/polymorphichelpers/
 * objectrestarter.go, pkg/cmd/rollout/rollout_restart.go): a strategic-merge patch that sets
 * the `kubectl.kubernetes.io/restartedAt` annotation of the pod template to the time, in
 * RFC 3339 (Go's time.RFC3339: whole seconds). A changed template makes the controller
 * replace every pod, one step at a time, by the workload's own update strategy.
 */
import type { Deployment, StatefulSet } from './objects.ts';

export const restartedAtAnnotation = 'kubectl.kubernetes.io/restartedAt';

export const strategicMergePatch = 'application/strategic-merge-patch+json';

/** RFC 3339 in UTC without fractions, as Go formats time.RFC3339 for a UTC time. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export type RestartPlan =
  | {
      readonly kind: 'patch';
      readonly contentType: typeof strategicMergePatch;
      readonly patch: unknown;
    }
  /** kubectl: "can't restart paused deployment (run rollout resume first)". */
  | { readonly kind: 'paused' };

export function planRestart(workload: Deployment | StatefulSet, now: Date): RestartPlan {
  if ('paused' in workload.spec && workload.spec.paused === true) return { kind: 'paused' };
  return {
    kind: 'patch',
    contentType: strategicMergePatch,
    patch: {
      spec: { template: { metadata: { annotations: { [restartedAtAnnotation]: rfc3339(now) } } } },
    },
  };
}
