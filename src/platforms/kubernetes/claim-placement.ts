/**
 * Where a pod that mounts a claim may run. A ReadWriteOnce (or ReadWriteOncePod) volume is
 * attached to one node at a time (Persistent Volumes, "Access Modes"): while a pod of the
 * workload mounts the claim, a second pod mounting it must be on that pod's node, read from
 * its `spec.nodeName`. A pod that mounts it but is on no node yet leaves the node unknown:
 * the claim pod is refused rather than started where the workload's pod may not come up.
 * No pod mounting it (the workload scaled to 0 for a restore): the scheduler chooses.
 * ReadWriteMany and ReadOnlyMany claims may be mounted anywhere.
 */
import { UserError } from '../../core/errors.ts';
import { apiStatus, toUserError, type ApiAction } from './api-errors.ts';
import type { KubeClients } from './client.ts';
import type { RunAs } from './claim-pod-spec.ts';
import { toWire } from './workload-api.ts';

export interface ClaimObject {
  readonly metadata: {
    readonly name?: string;
    readonly uid?: string;
    readonly labels?: Readonly<Record<string, string>>;
  };
  readonly spec?: {
    readonly accessModes?: readonly string[];
    readonly storageClassName?: string;
    readonly resources?: { readonly requests?: Readonly<Record<string, string>> };
  };
}

interface PodWithVolumes {
  readonly metadata: { readonly name?: string; readonly deletionTimestamp?: string };
  readonly spec?: {
    readonly nodeName?: string;
    readonly volumes?: readonly {
      readonly persistentVolumeClaim?: { readonly claimName?: string };
    }[];
    readonly securityContext?: RunAs;
    readonly containers?: readonly { readonly securityContext?: RunAs }[];
  };
  readonly status?: { readonly phase?: string };
}

export interface Placement {
  readonly claim: ClaimObject;
  /** The node to pin the pod to; undefined: any. */
  readonly nodeName: string | undefined;
  /** The pod whose node that is, for messages. */
  readonly user: string | undefined;
  /** What the pods of the claim run as, when one does (RunAs of the workload's pods). */
  readonly runAs: RunAs | undefined;
}

function action(
  clients: KubeClients,
  namespace: string,
  verb: string,
  resource: string,
): ApiAction {
  return { cluster: clients.cluster, verb, resource, group: '', namespace };
}

/** The claim, or the one line that says it is not there. */
export async function readClaim(
  clients: KubeClients,
  namespace: string,
  name: string,
): Promise<ClaimObject> {
  try {
    return toWire(
      await clients.core.readNamespacedPersistentVolumeClaim({ name, namespace }),
    ) as ClaimObject;
  } catch (error) {
    if (apiStatus(error)?.code === 404) {
      throw new UserError('kubernetes-claim-missing', {
        cluster: clients.cluster,
        namespace,
        volume: name,
      });
    }
    throw toUserError(error, action(clients, namespace, 'get', 'persistentvolumeclaims'));
  }
}

function mounts(pod: PodWithVolumes, claim: string): boolean {
  return (pod.spec?.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === claim);
}

/** The user and groups a pod's first container runs as (the container's own settings win). */
export function runAsOf(pod: PodWithVolumes): RunAs {
  const podLevel = pod.spec?.securityContext ?? {};
  const first = pod.spec?.containers?.[0]?.securityContext ?? {};
  const pick = (key: 'runAsUser' | 'runAsGroup'): number | undefined => first[key] ?? podLevel[key];
  const user = pick('runAsUser');
  const group = pick('runAsGroup');
  return {
    ...(user === undefined ? {} : { runAsUser: user }),
    ...(group === undefined ? {} : { runAsGroup: group }),
    ...(podLevel.fsGroup === undefined ? {} : { fsGroup: podLevel.fsGroup }),
    ...(podLevel.supplementalGroups === undefined
      ? {}
      : { supplementalGroups: podLevel.supplementalGroups }),
  };
}

/**
 * `own` field by field, `fallback` (the configured `clusters.<name>.backups.runAs*`) filling
 * what it does not name: a workload that names no user would otherwise leave the claim pod
 * to the image's user, who may not read the claim. Undefined when neither names anything.
 */
export function runAsWithFallback(
  own: RunAs | undefined,
  fallback: RunAs | undefined,
): RunAs | undefined {
  const merged: RunAs = { ...fallback, ...own };
  return Object.keys(merged).length === 0 ? undefined : merged;
}

/** Pure: the node from the pods of the namespace that mount the claim. */
export function placeOn(
  cluster: string,
  namespace: string,
  claim: ClaimObject,
  pods: readonly PodWithVolumes[],
): Placement {
  const name = claim.metadata.name ?? '';
  const users = pods.filter(
    (p) => mounts(p, name) && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed',
  );
  const first = users[0];
  const runAs = first === undefined ? undefined : runAsOf(first);
  const modes = claim.spec?.accessModes ?? [];
  const shared = modes.includes('ReadWriteMany') || modes.includes('ReadOnlyMany');
  if (shared || first === undefined) {
    return { claim, nodeName: undefined, user: undefined, runAs };
  }
  const unplaced = users.find((p) => (p.spec?.nodeName ?? '') === '');
  if (unplaced !== undefined) {
    throw new UserError('kubernetes-claim-unplaced', {
      cluster,
      namespace,
      volume: name,
      pod: unplaced.metadata.name ?? '?',
    });
  }
  const nodes = [...new Set(users.map((p) => p.spec?.nodeName ?? ''))];
  if (nodes.length > 1) {
    throw new UserError('kubernetes-claim-unplaced', {
      cluster,
      namespace,
      volume: name,
      pod: users.map((p) => `${p.metadata.name ?? '?'}@${p.spec?.nodeName ?? '?'}`).join(', '),
    });
  }
  return { claim, nodeName: nodes[0], user: first.metadata.name, runAs };
}

export async function placeClaimPod(
  clients: KubeClients,
  namespace: string,
  claimName: string,
): Promise<Placement> {
  const claim = await readClaim(clients, namespace, claimName);
  let list: unknown;
  try {
    list = await clients.core.listNamespacedPod({ namespace });
  } catch (error) {
    throw toUserError(error, action(clients, namespace, 'list', 'pods'));
  }
  const pods = (toWire(list) as { items?: PodWithVolumes[] }).items ?? [];
  return placeOn(clients.cluster, namespace, claim, pods);
}
