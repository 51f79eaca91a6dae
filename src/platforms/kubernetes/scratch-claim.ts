/**
 * A scratch PersistentVolumeClaim for a restore drill: the same storage class, access modes
 * and size as the claim the snapshot came from (a drill must fit what it restores), labelled
 * as the bot's scratch so that one left behind is found, and deleted with its uid as
 * precondition (PersistentVolumeClaim v1, API reference).
 */
import { randomBytes } from 'node:crypto';
import { UserError } from '../../core/errors.ts';
import { apiStatus, toUserError, type ApiAction } from './api-errors.ts';
import type { KubeClients } from './client.ts';
import { labelFrom, managedBy, managedByLabel } from './claim-pod-spec.ts';
import { readClaim } from './claim-placement.ts';
import { leftByGoneOwner, ownerLabel, ownerValue } from './owner.ts';
import { asModel, checkAccess, toWire } from './workload-api.ts';

export const scratchLabel = 'pes-bot.io/scratch';

export interface ScratchClaim {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

function claimAction(clients: KubeClients, namespace: string, verb: string): ApiAction {
  return {
    cluster: clients.cluster,
    verb,
    resource: 'persistentvolumeclaims',
    group: '',
    namespace,
  };
}

/** Label values allow `[A-Za-z0-9._-]`, 63 characters (`volume:data` is not one). */
function labelValue(text: string): string {
  return text
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}

export async function createScratchClaim(
  clients: KubeClients,
  namespace: string,
  like: string,
  labels: Readonly<Record<string, string>>,
  signal?: AbortSignal,
  /** A claim of this name (a restore `--to`); a new scratch name when absent. */
  wanted?: string,
): Promise<ScratchClaim> {
  for (const verb of ['create', 'delete']) {
    await checkAccess(clients, {
      cluster: clients.cluster,
      namespace,
      verb,
      group: '',
      resource: 'persistentvolumeclaims',
    });
  }
  const source = await readClaim(clients, namespace, like);
  signal?.throwIfAborted();
  const name = wanted ?? `pes-scratch-${labelFrom(like, 40)}-${randomBytes(3).toString('hex')}`;
  const extra = Object.fromEntries(
    Object.entries(labels).map(([k, v]) => [`pes-bot.io/${labelFrom(k, 40)}`, labelValue(v)]),
  );
  const body = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name,
      namespace,
      labels: {
        ...extra,
        [managedByLabel]: managedBy,
        // Which process made a scratch claim: a start-up sweep leaves a live one's alone.
        ...(wanted === undefined ? { [scratchLabel]: 'drill', [ownerLabel]: ownerValue() } : {}),
      },
    },
    spec: {
      accessModes: source.spec?.accessModes ?? ['ReadWriteOnce'],
      ...(source.spec?.storageClassName === undefined
        ? {}
        : { storageClassName: source.spec.storageClassName }),
      resources: { requests: { storage: source.spec?.resources?.requests?.['storage'] ?? '1Gi' } },
    },
  };
  const { V1PersistentVolumeClaim } = await import('@kubernetes/client-node');
  try {
    const made = toWire(
      await clients.core.createNamespacedPersistentVolumeClaim({
        namespace,
        body: asModel(body, V1PersistentVolumeClaim),
      }),
    ) as { metadata?: { uid?: string } };
    return { namespace, name, uid: made.metadata?.uid ?? '' };
  } catch (error) {
    throw toUserError(error, claimAction(clients, namespace, 'create'));
  }
}

/** Deletes that very claim; one already gone is fine. */
export async function deleteScratchClaim(clients: KubeClients, claim: ScratchClaim): Promise<void> {
  try {
    const request = {
      name: claim.name,
      namespace: claim.namespace,
      body: { preconditions: { uid: claim.uid } },
    };
    await clients.core.deleteNamespacedPersistentVolumeClaim(request);
  } catch (error) {
    const code = apiStatus(error)?.code;
    if (code === 404 || code === 409) return;
    throw toUserError(error, claimAction(clients, claim.namespace, 'delete'));
  }
}

/**
 * Deletes a scratch claim by name (one this process did not make, e.g. a drill's that an
 * earlier one left): read first, refused unless it carries the scratch label, deleted with
 * the uid read as precondition (a claim made under that name meanwhile is never deleted).
 * One already gone is fine.
 */
export async function deleteScratchClaimNamed(
  clients: KubeClients,
  namespace: string,
  name: string,
): Promise<void> {
  let claim;
  try {
    claim = await readClaim(clients, namespace, name);
  } catch (error) {
    if (error instanceof UserError && error.code === 'kubernetes-claim-missing') return;
    throw error;
  }
  const { labels } = claim.metadata as { readonly labels?: Readonly<Record<string, string>> };
  if (labels?.[scratchLabel] === undefined) {
    throw new UserError('kubernetes-claim-not-scratch', {
      cluster: clients.cluster,
      namespace,
      volume: name,
    });
  }
  await deleteScratchClaim(clients, { namespace, name, uid: claim.metadata.uid ?? '' });
}

/**
 * Deletes the scratch claims of a namespace that a process on this host that is gone left
 * (owner.ts); those of this process, of a live one, of another host or unnamed are left
 * alone (a claim has no deadline: whose it is decides). Returns their names.
 */
export async function sweepScratchClaims(
  clients: KubeClients,
  namespace: string,
  isAlive: (pid: number) => boolean,
): Promise<string[]> {
  let list: unknown;
  try {
    list = await clients.core.listNamespacedPersistentVolumeClaim({
      namespace,
      labelSelector: `${managedByLabel}=${managedBy},${scratchLabel}`,
    });
  } catch (error) {
    throw toUserError(error, claimAction(clients, namespace, 'list'));
  }
  type Meta = { name?: string; uid?: string; labels?: Record<string, string> };
  const items =
    (toWire(list) as { items?: { metadata?: Meta & { creationTimestamp?: string } }[] }).items ??
    [];
  const removed: string[] = [];
  for (const { metadata = {} } of items) {
    const made = {
      ...(metadata.labels === undefined ? {} : { labels: metadata.labels }),
      ...(metadata.creationTimestamp === undefined
        ? {}
        : { creationTimestamp: metadata.creationTimestamp }),
    };
    if (leftByGoneOwner(made, isAlive) !== true) continue;
    const name = metadata.name ?? '';
    await deleteScratchClaim(clients, { namespace, name, uid: metadata.uid ?? '' });
    removed.push(name);
  }
  return removed;
}
