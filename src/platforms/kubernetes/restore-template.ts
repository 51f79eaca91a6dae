/**
 * The automatic undo of an update: the pod template read before the update is written back
 * as it was, with the resourceVersion read just before as the precondition (the API server
 * answers 409 Conflict when the object changed in between). `kubectl rollout undo`'s
 * "previous revision" is not used here: when the controller has not yet made the new
 * ReplicaSet, the previous one is the revision before the pre-update one, two versions back.
 */
import type { KubernetesServiceDefinition } from '../../config/kubernetes.ts';
import { UserError } from '../../core/errors.ts';
import { apiStatus } from './api-errors.ts';
import type { KubeClients } from './client.ts';
import { isControlledBy, type ObjectMeta } from './objects.ts';
import { nameOf, patchWorkload } from './rollout.ts';
import { semanticEqual } from './semantic-equal.ts';
import type { Workload } from './status-map.ts';
import { podTemplateHashLabel, revisionAnnotation } from './undo.ts';
import { listControllerRevisions, listReplicaSets, requireWorkload } from './workload-api.ts';

/**
 * Set on the workload (not its template, so no rollout) by the automatic undo: the name of
 * the ReplicaSet or ControllerRevision it went back from. `rollback` refuses to go back to
 * it, since kubectl's undo toggles between the two newest revisions and would bring the
 * failed update back.
 */
export const undoneRevisionAnnotation = 'pes-bot.io/undone-revision';

/** A 409 answer means someone else wrote in between: re-read and decide, a few times. */
const attempts = 5;

function statusCodeOf(error: unknown): number | undefined {
  return apiStatus(error)?.code ?? apiStatus((error as { cause?: unknown } | null)?.cause)?.code;
}

function withoutHash(template: unknown): unknown {
  const t = template as { metadata?: { labels?: Record<string, string> } } | undefined;
  const labels = t?.metadata?.labels;
  if (labels?.[podTemplateHashLabel] === undefined) return template;
  const rest = Object.fromEntries(
    Object.entries(labels).filter(([key]) => key !== podTemplateHashLabel),
  );
  return { ...t, metadata: { ...t?.metadata, labels: rest } };
}

/** The name of the ReplicaSet or ControllerRevision that holds `workload`'s template now. */
async function revisionHolding(
  clients: KubeClients,
  service: KubernetesServiceDefinition,
  workload: Workload,
): Promise<string | undefined> {
  const selector = workload.object.spec.selector;
  const owner: ObjectMeta = workload.object.metadata;
  if (workload.kind === 'StatefulSet') {
    const name = workload.object.status?.updateRevision;
    if (name === undefined) return undefined;
    const revisions = await listControllerRevisions(clients, service, selector);
    return revisions.some((r) => isControlledBy(r, owner) && r.metadata.name === name)
      ? name
      : undefined;
  }
  const sets = await listReplicaSets(clients, service, selector);
  return sets.find(
    (rs) =>
      isControlledBy(rs, owner) &&
      semanticEqual(withoutHash(rs.spec?.template), withoutHash(workload.object.spec.template)),
  )?.metadata.name;
}

/** The revision number `before` ran: what the person reads as "rolled back to revision N". */
async function revisionOfBefore(
  clients: KubeClients,
  service: KubernetesServiceDefinition,
  before: Workload,
): Promise<number | undefined> {
  if (before.kind === 'Deployment') {
    const raw = before.object.metadata.annotations?.[revisionAnnotation];
    return raw !== undefined && /^\d{1,18}$/.test(raw) ? Number(raw) : undefined;
  }
  const name = before.object.status?.updateRevision;
  const revisions = await listControllerRevisions(clients, service, before.object.spec.selector);
  return revisions.find((r) => r.metadata.name === name)?.revision;
}

/**
 * Writes `before`'s template back. On a 409 the workload is read again: if its template is
 * already `before`'s, nothing is left to do; if it is still the one the update wrote, only
 * its status moved and the write is tried again; anything else means someone else changed
 * the template meanwhile, and it is left as it is. Resolves with the revision gone back to
 * (undefined when it is not known) and the workload as it was written over.
 */
export async function restoreTemplate(
  clients: KubeClients,
  service: KubernetesServiceDefinition,
  before: Workload,
): Promise<{ readonly revision: number | undefined; readonly current: Workload }> {
  const revision = await revisionOfBefore(clients, service, before);
  let current = await requireWorkload(clients, service);
  const updated = current.object.spec.template;
  const undone = await revisionHolding(clients, service, current);
  for (let attempt = 1; ; attempt += 1) {
    if (semanticEqual(current.object.spec.template, before.object.spec.template)) {
      return { revision, current };
    }
    if (!semanticEqual(current.object.spec.template, updated)) {
      throw new UserError('kubernetes-changed-meanwhile', { service: service.name });
    }
    const ops: unknown[] = [
      // The resourceVersion in the patched object is the precondition: stale → 409.
      {
        op: 'replace',
        path: '/metadata/resourceVersion',
        value: current.object.metadata.resourceVersion,
      },
      { op: 'replace', path: '/spec/template', value: before.object.spec.template },
    ];
    if (undone !== undefined) {
      ops.push(
        current.object.metadata.annotations === undefined
          ? {
              op: 'add',
              path: '/metadata/annotations',
              value: { [undoneRevisionAnnotation]: undone },
            }
          : {
              op: 'add',
              // RFC 6901: "/" in a key is written "~1".
              path: `/metadata/annotations/${undoneRevisionAnnotation.replace('/', '~1')}`,
              value: undone,
            },
      );
    }
    try {
      await patchWorkload(clients, service, current, {
        contentType: 'application/json-patch+json',
        patch: ops,
      });
      return { revision, current };
    } catch (error) {
      if (statusCodeOf(error) !== 409 || attempt >= attempts) throw error;
      current = await requireWorkload(clients, service);
      if (nameOf(current) !== nameOf(before)) throw error;
    }
  }
}
