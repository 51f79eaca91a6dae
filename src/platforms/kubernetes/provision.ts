/**
 * Provisioning on a cluster: the template's objects (provision-objects.ts) applied with
 * server-side apply in the configured namespace, then the Deployment's rollout followed as
 * `kubectl rollout status` follows it, each pod reported as Docker reports its container.
 *
 * The plan only reads and asks: whether each name is free (as on Docker, an existing name is
 * refused, whoever made it), whether the bot's account may create and patch each kind
 * (SelfSubjectAccessReview), and the API server itself with `dryRun=All`, so that validation
 * and admission answer (a 422 as one line) before anything is stored. A confirmation, a
 * `--dry-run` and the apply each make it afresh, as on Docker.
 *
 * Whatever fails after the first apply, what this run applied is deleted again (the names
 * were free, so it is this run's), and the error says what was deleted or what is left.
 */
import type { KubernetesServiceDefinition } from '../../config/kubernetes.ts';
import { passPointOfNoReturn } from '../../core/context-commit.ts';
import { UserError } from '../../core/errors.ts';
import type {
  ContainerReport,
  ProvisionPlan,
  StepReporter,
  WorkloadSpec,
} from '../../core/platform.ts';
import { follow } from './change.ts';
import type { KubeClients } from './client.ts';
import type { Deployment } from './objects.ts';
import {
  applyObject,
  deleteObject,
  listObjects,
  readObject,
  resourceOfKind,
  type Placement,
} from './provision-api.ts';
import {
  instanceSelector,
  objectRef,
  provisionObjects,
  type ProvisionKind,
  type ProvisionObject,
} from './provision-objects.ts';
import { checkAccess } from './workload-api.ts';

const kinds: readonly ProvisionKind[] = [
  'Secret',
  'PersistentVolumeClaim',
  'Service',
  'Deployment',
];

/** Asks whether the bot may use each of `verbs` on each kind; the first refusal is thrown. */
export async function checkKinds(
  clients: KubeClients,
  place: Placement,
  kindsUsed: readonly ProvisionKind[],
  verbs: readonly string[],
): Promise<void> {
  const unique = [...new Set(kindsUsed)];
  const reviews = unique.flatMap((kind) =>
    verbs.map((verb) => ({ verb, ...resourceOfKind[kind] })),
  );
  const answers = await Promise.allSettled(
    reviews.map((review) =>
      checkAccess(clients, {
        cluster: place.cluster,
        namespace: place.namespace,
        verb: review.verb,
        group: review.group,
        resource: review.resource,
      }),
    ),
  );
  // Asked together; the first refusal in order is the one reported, the same on every run.
  const refused = answers.find((a) => a.status === 'rejected');
  if (refused !== undefined) throw refused.reason;
}

export async function planProvision(
  clients: KubeClients,
  place: Placement,
  spec: WorkloadSpec,
): Promise<ProvisionPlan> {
  const objects = provisionObjects(spec, place.namespace);
  await refuseTaken(clients, place, spec.name, objects);
  // An apply that creates is authorized as create, one that changes as patch (API
  // concepts, "Patch and apply").
  await checkKinds(
    clients,
    place,
    objects.map((o) => o.kind),
    ['create', 'patch'],
  );
  // The server's own answer, kept nowhere: names, fields and admission checked for real.
  for (const object of objects) await applyObject(clients, place, object, { dryRun: true });
  return {
    instance: spec.name,
    container: objectRef('Deployment', spec.name),
    volumes: spec.volumes.map((v) => v.name),
    image: spec.image,
    // The kubelet pulls on the node; nothing to fetch from here.
    pull: false,
    cluster: {
      name: place.cluster,
      namespace: place.namespace,
      secret: objects.find((o) => o.kind === 'Secret')?.name,
    },
  };
}

/** Refuses when any of the names is taken or anything is labelled for this instance. */
async function refuseTaken(
  clients: KubeClients,
  place: Placement,
  instance: string,
  objects: readonly ProvisionObject[],
): Promise<void> {
  const [named, labelled] = await Promise.all([
    Promise.all(objects.map((o) => readObject(clients, place, o.kind, o.name))),
    Promise.all(kinds.map((kind) => listObjects(clients, place, kind, instanceSelector(instance)))),
  ]);
  const taken = new Set<string>();
  for (const found of [...named, ...labelled.flat()]) {
    if (found !== undefined) taken.add(objectRef(found.kind, found.metadata.name ?? ''));
  }
  if (taken.size > 0) {
    throw new UserError('kubernetes-provision-exists', {
      instance,
      cluster: place.cluster,
      namespace: place.namespace,
      names: [...taken].sort().join(', '),
    });
  }
}

/**
 * Long enough for the readiness probe to have its full say, as on Docker
 * (src/platforms/docker/provision-apply.ts): the start period, every retry at its interval
 * and time-out, plus slack; five minutes without a probe.
 */
export function readySeconds(spec: WorkloadSpec): number {
  const check = spec.healthcheck;
  if (check === undefined) return 300;
  const perTry = check.intervalSeconds + check.timeoutSeconds;
  return check.startPeriodSeconds + perTry * (check.retries + 1) + 30;
}

/** The instance's Deployment as a service on the cluster, for the rollout wait. */
export function instanceService(place: Placement, spec: WorkloadSpec): KubernetesServiceDefinition {
  return {
    name: spec.name,
    platform: 'kubernetes',
    cluster: place.cluster,
    namespace: place.namespace,
    workload: { kind: 'Deployment', name: spec.name },
    scale: { min: 1, max: 1 },
    health: { minRunning: 1, timeoutSeconds: readySeconds(spec) },
  };
}

export async function applyProvision(
  clients: KubeClients,
  place: Placement,
  spec: WorkloadSpec,
  onStep: StepReporter,
  signal?: AbortSignal,
): Promise<ContainerReport[]> {
  const started = Date.now();
  // Planned again: between the confirmation and now, someone may have taken the name.
  await planProvision(clients, place, spec);
  const objects = provisionObjects(spec, place.namespace);
  const applied: ProvisionObject[] = [];
  try {
    let deployment: Deployment | undefined;
    for (const [i, object] of objects.entries()) {
      signal?.throwIfAborted();
      onStep({
        fraction: (0.3 * i) / objects.length,
        container: objectRef(object.kind, object.name),
        phase: 'creating',
      });
      // Counted before the answer: a request that is not answered may still have been made.
      applied.push(object);
      const live = await applyObject(clients, place, object, { dryRun: false });
      if (object.kind === 'Deployment') deployment = live as unknown as Deployment;
    }
    if (deployment === undefined) throw new Error('no Deployment among the applied objects');
    const reports = await follow(
      clients,
      instanceService(place, spec),
      { kind: 'Deployment', object: deployment },
      'created',
      started,
      onStep,
      signal,
    );
    passPointOfNoReturn(signal);
    return reports;
  } catch (error) {
    onStep({ fraction: 1, container: objectRef('Deployment', spec.name), phase: 'failed' });
    // A cancel stays the cause, so that the job reports this account of it (job-runner.ts).
    const cause = signal?.aborted === true ? (signal.reason as unknown) : error;
    throw await undoApplied(clients, place, spec.name, applied, cause, onStep);
  }
}

/**
 * Deletes what this run applied, last first, and returns the error to throw. Not under the
 * job's signal: a cancelled job must still clean up after itself.
 */
async function undoApplied(
  clients: KubeClients,
  place: Placement,
  instance: string,
  applied: readonly ProvisionObject[],
  error: unknown,
  onStep: StepReporter,
): Promise<unknown> {
  const removed: string[] = [];
  const left: string[] = [];
  for (const object of [...applied].reverse()) {
    const ref = objectRef(object.kind, object.name);
    onStep({ fraction: 1, container: ref, phase: 'removing' });
    try {
      await deleteObject(clients, place, object.kind, object.name);
      removed.push(ref);
    } catch {
      left.push(ref);
    }
  }
  // Anything but a UserError (a cancel, a bug) goes on as it is, with its stack.
  if (!(error instanceof UserError)) return error;
  const inner = { firstRu: error.text('ru'), firstEn: error.text('en') };
  if (left.length > 0) {
    return new UserError(
      'kubernetes-provision-cleanup-incomplete',
      { instance, namespace: place.namespace, left: left.join(', '), ...inner },
      { cause: error },
    );
  }
  return new UserError(
    'kubernetes-provision-failed',
    { instance, removed: removed.join(', ') || '—', ...inner },
    { cause: error },
  );
}
