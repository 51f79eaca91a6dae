/**
 * What `kubectl rollout undo` does, computed without the network
 * (kubernetes/kubectl pkg/polymorphichelpers/rollback.go): the caller lists the objects, this
 * picks the revision to go back to and the patch that restores it, or says there is nothing
 * to do. Kubernetes itself never rolls back; the history is in the ReplicaSets a Deployment
 * controls and in the ControllerRevisions of a StatefulSet.
 */
import {
  isControlledBy,
  type ControllerRevision,
  type Deployment,
  type PodTemplate,
  type ReplicaSet,
  type StatefulSet,
} from './objects.ts';
import { semanticEqual } from './semantic-equal.ts';

/** The annotation the Deployment controller numbers ReplicaSets with. */
export const revisionAnnotation = 'deployment.kubernetes.io/revision';
/** The label the Deployment controller adds to each ReplicaSet's template. */
export const podTemplateHashLabel = 'pod-template-hash';

/** Deployment annotations kept from the Deployment, never copied from the ReplicaSet. */
const annotationsToSkip = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  revisionAnnotation,
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
]);

export type JsonPatchOp = {
  readonly op: 'replace';
  readonly path: string;
  readonly value: unknown;
};

export type UndoPlan =
  /** "skipped rollback (current template already matches revision N)" */
  | { readonly kind: 'skip'; readonly revision: number }
  | {
      readonly kind: 'patch';
      readonly revision: number;
      /** The ReplicaSet or ControllerRevision gone back to, by name. */
      readonly from: string;
      readonly contentType:
        'application/json-patch+json' | 'application/strategic-merge-patch+json';
      readonly patch: unknown;
    }
  /** No earlier revision: the workload never changed, or its history was pruned. */
  | { readonly kind: 'no-history' }
  /** kubectl refuses to roll back a paused Deployment. */
  | { readonly kind: 'paused' };

/** deploymentutil.Revision: the annotation as an integer; not a number means no revision. */
export function revisionOf(rs: ReplicaSet): number | undefined {
  const raw = rs.metadata.annotations?.[revisionAnnotation];
  if (raw === undefined || !/^\d{1,18}$/.test(raw)) return undefined;
  return Number(raw);
}

function withoutHash(template: PodTemplate): PodTemplate {
  if (template.metadata?.labels?.[podTemplateHashLabel] === undefined) return template;
  const labels = Object.fromEntries(
    Object.entries(template.metadata.labels).filter(([key]) => key !== podTemplateHashLabel),
  );
  return { ...template, metadata: { ...template.metadata, labels } };
}

/**
 * The previous revision among the ReplicaSets the Deployment controls: the second highest
 * revision number, as deploymentRevision does for toRevision 0.
 */
export function previousReplicaSet(
  deployment: Deployment,
  replicaSets: readonly ReplicaSet[],
): { readonly replicaSet: ReplicaSet; readonly revision: number } | undefined {
  const numbered = replicaSets
    .filter((rs) => isControlledBy(rs, deployment.metadata))
    .flatMap((rs) => {
      const revision = revisionOf(rs);
      return revision === undefined ? [] : [{ replicaSet: rs, revision }];
    })
    .sort((a, b) => b.revision - a.revision);
  return numbered[1];
}

export function planDeploymentUndo(
  deployment: Deployment,
  replicaSets: readonly ReplicaSet[],
): UndoPlan {
  const previous = previousReplicaSet(deployment, replicaSets);
  if (previous === undefined) return { kind: 'no-history' };
  if (deployment.spec.paused === true) return { kind: 'paused' };
  const template = previous.replicaSet.spec?.template ?? {};
  if (semanticEqual(withoutHash(template), withoutHash(deployment.spec.template))) {
    return { kind: 'skip', revision: previous.revision };
  }
  const annotations: Record<string, string> = {};
  const current = deployment.metadata.annotations ?? {};
  for (const key of annotationsToSkip) {
    const value = current[key];
    if (value !== undefined) annotations[key] = value;
  }
  for (const [key, value] of Object.entries(previous.replicaSet.metadata.annotations ?? {})) {
    if (!annotationsToSkip.has(key)) annotations[key] = value;
  }
  const ops: JsonPatchOp[] = [
    { op: 'replace', path: '/spec/template', value: withoutHash(template) },
    { op: 'replace', path: '/metadata/annotations', value: annotations },
  ];
  return {
    kind: 'patch',
    revision: previous.revision,
    from: previous.replicaSet.metadata.name ?? '',
    contentType: 'application/json-patch+json',
    patch: ops,
  };
}

/** The template a StatefulSet revision holds (`data.spec.template`), without `$patch`. */
function revisionTemplate(revision: ControllerRevision): unknown {
  const data = revision.data;
  if (typeof data !== 'object' || data === null) return undefined;
  const spec = (data as { spec?: unknown }).spec;
  if (typeof spec !== 'object' || spec === null) return undefined;
  const template = (spec as { template?: unknown }).template;
  if (typeof template !== 'object' || template === null) return undefined;
  const copy: Record<string, unknown> = { ...(template as Record<string, unknown>) };
  delete copy['$patch'];
  return copy;
}

/**
 * For a StatefulSet: the second newest ControllerRevision it controls; its data is the
 * strategic-merge patch that restores the template (`"$patch": "replace"` inside).
 */
export function planStatefulSetUndo(
  set: StatefulSet,
  revisions: readonly ControllerRevision[],
): UndoPlan {
  const history = revisions
    .filter((r) => isControlledBy(r, set.metadata))
    .sort((a, b) => a.revision - b.revision);
  if (history.length <= 1) return { kind: 'no-history' };
  const previous = history[history.length - 2];
  if (previous === undefined) return { kind: 'no-history' };
  const template = revisionTemplate(previous);
  if (template === undefined) return { kind: 'no-history' };
  // kubectl compares the encoded patch byte for byte; here the same content compares equal
  // whatever the key order of the JSON it came in.
  if (semanticEqual(template, set.spec.template)) {
    return { kind: 'skip', revision: previous.revision };
  }
  return {
    kind: 'patch',
    revision: previous.revision,
    from: previous.metadata.name ?? '',
    contentType: 'application/strategic-merge-patch+json',
    patch: previous.data,
  };
}
