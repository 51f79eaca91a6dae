/**
 * Deprovisioning on a cluster: only what carries the instance's labels AND was applied by the
 * bot (a managedFields entry of field manager `pes-bot`, operation Apply): an object that
 * merely has the labels was not made by the bot and is never touched. The Deployment goes
 * first (in the foreground, waited for until its pods are gone), then the Service and the
 * Secret; the claims only with `--delete-data`, after its second confirmation.
 *
 * The delete requests are never aborted; a cancel is checked between them.
 */
import { UserError } from '../../core/errors.ts';
import type { ContainerReport, DeprovisionPlan, StepReporter } from '../../core/platform.ts';
import type { KubeClients } from './client.ts';
import type { Deployment } from './objects.ts';
import {
  appliedByBot,
  deleteObject,
  listObjects,
  type LiveObject,
  type Placement,
} from './provision-api.ts';
import { instanceSelector, objectRef, type ProvisionKind } from './provision-objects.ts';
import { checkKinds } from './provision.ts';
import { waitFor } from './watch.ts';
import { workloadSource } from './watch-source.ts';

/** The order of removal: what uses the others first. */
const order: readonly ProvisionKind[] = ['Deployment', 'Service', 'Secret'];

/** How long the pods of a deleted Deployment may take to go (their grace period and more). */
const goneSeconds = 660;

interface Owned {
  readonly objects: readonly LiveObject[];
  readonly claims: readonly LiveObject[];
}

async function ownedBy(clients: KubeClients, place: Placement, instance: string): Promise<Owned> {
  const selector = instanceSelector(instance);
  const found = await Promise.all(
    [...order, 'PersistentVolumeClaim' as const].map((kind) =>
      listObjects(clients, place, kind, selector),
    ),
  );
  const mine = found.flat().filter(appliedByBot);
  return {
    objects: order.flatMap((kind) => mine.filter((o) => o.kind === kind)),
    claims: mine.filter((o) => o.kind === 'PersistentVolumeClaim'),
  };
}

const refOf = (o: LiveObject): string => objectRef(o.kind, o.metadata.name ?? '');

export async function planDeprovision(
  clients: KubeClients,
  place: Placement,
  instance: string,
  deleteData: boolean,
): Promise<DeprovisionPlan> {
  const owned = await ownedBy(clients, place, instance);
  const claims = owned.claims.map((c) => c.metadata.name ?? '').sort();
  if (owned.objects.length === 0 && claims.length === 0) {
    throw new UserError('unknown-instance', { name: instance });
  }
  if (owned.objects.length === 0 && !deleteData) {
    throw new UserError('deprovision-only-data', { name: instance, volumes: claims.join(', ') });
  }
  await checkKinds(
    clients,
    place,
    [...owned.objects, ...(deleteData ? owned.claims : [])].map((o) => o.kind),
    ['delete'],
  );
  return {
    instance,
    containers: owned.objects.map(refOf),
    volumes: claims,
    deleteData,
    units: 'cluster',
  };
}

export async function applyDeprovision(
  clients: KubeClients,
  place: Placement,
  plan: DeprovisionPlan,
  onStep: StepReporter,
  signal?: AbortSignal,
): Promise<ContainerReport[]> {
  // Only what was in the confirmed plan and is still the bot's now.
  const now = await ownedBy(clients, place, plan.instance);
  const objects = now.objects.filter((o) => plan.containers.includes(refOf(o)));
  const claims = plan.deleteData
    ? now.claims.filter((c) => plan.volumes.includes(c.metadata.name ?? ''))
    : [];
  await checkKinds(
    clients,
    place,
    [...objects, ...claims].map((o) => o.kind),
    ['delete'],
  );
  const steps = objects.length + claims.length;
  const reports: ContainerReport[] = [];
  for (const [i, object] of [...objects, ...claims].entries()) {
    signal?.throwIfAborted();
    const started = Date.now();
    const name = object.metadata.name ?? '';
    // Claims are reported by their own name, as the plan lists them among the volumes.
    const ref = object.kind === 'PersistentVolumeClaim' ? name : refOf(object);
    onStep({ fraction: i / Math.max(1, steps), container: ref, phase: 'removing' });
    // Only the very object found to be the bot's: one made since under its name is not.
    const outcome = await deleteObject(clients, place, object.kind, name, object.metadata.uid);
    if (outcome === 'replaced') continue;
    if (object.kind === 'Deployment') {
      await untilGone(clients, place, plan.instance, name, signal);
    }
    reports.push({
      container: ref,
      action: 'removed',
      health: 'stopped',
      durationMs: Date.now() - started,
    });
  }
  return reports;
}

/**
 * Waits until the Deployment is gone: deleted in the foreground, it stays until its pods
 * are, and a claim still mounted by a pod would stay (Terminating) when deleted.
 */
async function untilGone(
  clients: KubeClients,
  place: Placement,
  instance: string,
  name: string,
  signal: AbortSignal | undefined,
): Promise<void> {
  const service = {
    name: instance,
    platform: 'kubernetes' as const,
    cluster: place.cluster,
    namespace: place.namespace,
    workload: { kind: 'Deployment' as const, name },
    scale: { min: 0, max: 1 },
    health: { minRunning: 0, timeoutSeconds: goneSeconds },
  };
  const result = await waitFor(
    workloadSource(clients, service, 'Deployment', name),
    (objects: readonly Deployment[]) => (objects.length === 0 ? true : undefined),
    { timeoutMs: goneSeconds * 1000, ...(signal === undefined ? {} : { signal }) },
  );
  if (!result.done) {
    throw new UserError('kubernetes-deprovision-stuck', {
      name,
      namespace: place.namespace,
      seconds: goneSeconds,
    });
  }
}
