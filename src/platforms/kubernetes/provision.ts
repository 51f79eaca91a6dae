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
 * Whatever fails or is cancelled after the first apply, what this run made is deleted again,
 * and the error says what was deleted and what is left. "Made" is only what an apply of this
 * run answered 201 Created for (provision-api.ts): a name someone else took between the plan
 * and the apply is theirs (its apply is a 409 conflict, never forced), and is never deleted.
 * Each delete carries the uid of what this run made as its precondition, so an object of the
 * same name made since by someone else is left alone too.
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
  answered,
  applyObject,
  deleteObject,
  listObjects,
  readObject,
  resourceOfKind,
  type LiveObject,
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
  const account: Account = { made: [], unanswered: [] };
  try {
    let deployment: Deployment | undefined;
    for (const [i, object] of objects.entries()) {
      signal?.throwIfAborted();
      onStep({
        fraction: (0.3 * i) / objects.length,
        container: objectRef(object.kind, object.name),
        phase: 'creating',
      });
      const live = await applyMade(clients, place, object, account);
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
    throw await undoMade(clients, place, spec.name, account, cause, signal, onStep);
  }
}

/** What this run made (with the uid it got), and the applies whose answer never came. */
interface Account {
  readonly made: { readonly object: ProvisionObject; readonly uid: string | undefined }[];
  readonly unanswered: ProvisionObject[];
}

/**
 * Applies one object and counts it as made only when the server answered that this apply
 * created it. One that was there already (made by someone else after the plan, and taking the
 * bot's fields without a conflict) stops the run: it is not this run's to use or delete.
 */
async function applyMade(
  clients: KubeClients,
  place: Placement,
  object: ProvisionObject,
  account: Account,
): Promise<LiveObject> {
  let applied;
  try {
    applied = await applyObject(clients, place, object, { dryRun: false });
  } catch (error) {
    // Not answered: the server may still have carried it out.
    if (!answered(error)) account.unanswered.push(object);
    throw error;
  }
  if (!applied.created) {
    throw new UserError('kubernetes-provision-taken-meanwhile', {
      name: objectRef(object.kind, object.name),
      namespace: place.namespace,
    });
  }
  account.made.push({ object, uid: applied.object.metadata.uid });
  return applied.object;
}

/**
 * Deletes what this run made, last first, and returns the error to throw: always an account
 * of what was deleted and what is left, whatever stopped the run. A cancel stays its cause, so
 * that the job reports this account rather than a bare "cancelled" (job-runner.ts). Not under
 * the job's signal: a cancelled job must still clean up after itself.
 */
async function undoMade(
  clients: KubeClients,
  place: Placement,
  instance: string,
  account: Account,
  error: unknown,
  signal: AbortSignal | undefined,
  onStep: StepReporter,
): Promise<unknown> {
  const removed: string[] = [];
  const left: string[] = [];
  for (const { object, uid } of [...account.made].reverse()) {
    const ref = objectRef(object.kind, object.name);
    onStep({ fraction: 1, container: ref, phase: 'removing' });
    try {
      // 'replaced': what this run made is gone, and the name holds someone else's object.
      const outcome = await deleteObject(clients, place, object.kind, object.name, uid);
      if (outcome !== 'replaced') removed.push(ref);
    } catch {
      left.push(ref);
    }
  }
  for (const object of account.unanswered) {
    // Never deleted (it may not be this run's), but named if it is there or cannot be told.
    const found = await readObject(clients, place, object.kind, object.name).catch(() => true);
    if (found !== undefined) left.push(objectRef(object.kind, object.name));
  }
  const nothingMade = account.made.length === 0 && left.length === 0;
  const cancelled = signal?.aborted === true && error === signal.reason;
  if (nothingMade && !(error instanceof UserError)) return error;
  const first = firstTexts(error, cancelled);
  const list = (refs: readonly string[]): string => refs.join(', ') || '—';
  if (left.length > 0) {
    return new UserError(
      'kubernetes-provision-cleanup-incomplete',
      { instance, namespace: place.namespace, removed: list(removed), left: list(left), ...first },
      { cause: error },
    );
  }
  if (nothingMade) {
    return new UserError(
      'kubernetes-provision-nothing-made',
      { instance, ...first },
      { cause: error },
    );
  }
  return new UserError(
    'kubernetes-provision-failed',
    { instance, removed: list(removed), ...first },
    { cause: error },
  );
}

/** What stopped the run, as the account's first sentence. */
function firstTexts(error: unknown, cancelled: boolean): { firstRu: string; firstEn: string } {
  if (error instanceof UserError) return { firstRu: error.text('ru'), firstEn: error.text('en') };
  const stopped = new UserError(
    cancelled ? 'kubernetes-provision-cancelled' : 'kubernetes-provision-internal',
    {},
  );
  return { firstRu: stopped.text('ru'), firstEn: stopped.text('en') };
}
