/**
 * A change to a workload's template, followed to its end: the permission check, the patch,
 * the wait with kubectl's rollout status, and, for an update, the undo when it did not
 * become healthy (a StatefulSet's with the forced-rollback step).
 */
import type { KubernetesServiceDefinition } from '../../config/kubernetes.ts';
import { passPointOfNoReturn } from '../../core/context-commit.ts';
import { UserError } from '../../core/errors.ts';
import type { ContainerReport, StepReporter } from '../../core/platform.ts';
import type { KubeClients } from './client.ts';
import type { Pod } from './objects.ts';
import {
  diagnose,
  failureParams,
  nameOf,
  newRevisionPods,
  patchWorkload,
  waitForRollout,
  type Patch,
  type RolloutOutcome,
} from './rollout.ts';
import { restoreTemplate } from './restore-template.ts';
import { forceRollback } from './statefulset-rollback.ts';
import type { Workload } from './status-map.ts';
import { planDeploymentUndo, planStatefulSetUndo, type UndoPlan } from './undo.ts';
import {
  checkAccess,
  listControllerRevisions,
  listReplicaSets,
  requireWorkload,
  resourceOf,
} from './workload-api.ts';

export type Action = ContainerReport['action'];

export async function planUndo(
  clients: KubeClients,
  service: KubernetesServiceDefinition,
  workload: Workload,
): Promise<UndoPlan> {
  const selector = workload.object.spec.selector;
  return workload.kind === 'Deployment'
    ? planDeploymentUndo(workload.object, await listReplicaSets(clients, service, selector))
    : planStatefulSetUndo(
        workload.object,
        await listControllerRevisions(clients, service, selector),
      );
}

export async function rollOut(
  clients: KubeClients,
  service: KubernetesServiceDefinition,
  workload: Workload,
  patch: Patch,
  action: Action,
  onStep: StepReporter,
  signal: AbortSignal | undefined,
  undoOnFailure = false,
): Promise<ContainerReport[]> {
  await checkAccess(clients, {
    cluster: service.cluster,
    namespace: service.namespace,
    verb: 'patch',
    group: 'apps',
    resource: resourceOf[workload.kind],
    name: nameOf(workload),
  });
  if (undoOnFailure && workload.kind === 'StatefulSet') {
    // Its undo may have to delete the pods stuck on the bad revision (forced rollback):
    // known before the change rather than found missing in the middle of putting it back.
    await checkAccess(clients, {
      cluster: service.cluster,
      namespace: service.namespace,
      verb: 'delete',
      group: '',
      resource: 'pods',
    });
  }
  const started = Date.now();
  onStep({ fraction: 0.1, container: nameOf(workload), phase: 'starting' });
  await patchWorkload(clients, service, workload, patch);
  if (!undoOnFailure) return follow(clients, service, workload, action, started, onStep, signal);
  let outcome: RolloutOutcome;
  try {
    outcome = await waitForRollout(clients, service, workload, signal);
  } catch (error) {
    if (signal?.aborted !== true) {
      // The wait could not be seen through (the API server stopped answering): the update
      // is put back all the same, for a reason not known.
      const revision = await undoUpdate(
        clients,
        service,
        workload,
        workload,
        failureParams({ kind: 'unknown' }),
        onStep,
        undefined,
      );
      throw new UserError(
        'kubernetes-update-rolled-back',
        { service: service.name, revision: revision ?? '?', ...failureParams({ kind: 'unknown' }) },
        { cause: error },
      );
    }
    // A cancel before the update was healthy puts back what it changed, as the Docker
    // update does (README "How it behaves"). The undo runs to its own end, bounded by the
    // health timeout and not by the aborted signal; then the cancel is what the job reports.
    const cancel: unknown = signal.reason;
    const failed = (await readWorkload(clients, service)) ?? workload;
    await undoUpdate(
      clients,
      service,
      workload,
      failed,
      failureParams({ kind: 'cancelled' }),
      onStep,
      cancel,
    );
    throw cancel;
  }
  if (outcome.done) {
    // Healthy: from here a cancel changes nothing (context-commit.ts).
    passPointOfNoReturn(signal);
    return reports(clients, service, outcome.workload, action, started, onStep);
  }
  const failed = outcome.workload ?? workload;
  const reason = await reasonOf(clients, service, failed);
  const revision = await undoUpdate(clients, service, workload, failed, reason, onStep, undefined);
  throw new UserError('kubernetes-update-rolled-back', {
    service: service.name,
    // Unknown only when the controller never numbered it; "?" rather than a wrong number.
    revision: revision ?? '?',
    ...reason,
  });
}

/** The workload as it is now, undefined when it cannot be read. */
async function readWorkload(
  clients: KubeClients,
  service: KubernetesServiceDefinition,
): Promise<Workload | undefined> {
  return requireWorkload(clients, service).catch(() => undefined);
}

/**
 * Puts the workload back as it was before the update and waits until that is healthy
 * (bounded by the health timeout alone). Resolves with the revision it went back to; a
 * failure is the rollback-failed error, carrying `cause` (a cancel) when given.
 */
async function undoUpdate(
  clients: KubeClients,
  service: KubernetesServiceDefinition,
  before: Workload,
  failed: Workload,
  reason: { reasonRu: string; reasonEn: string },
  onStep: StepReporter,
  cause: unknown,
): Promise<number | undefined> {
  onStep({ fraction: 0.6, container: nameOf(before), phase: 'rolling-back' });
  try {
    const badPods = await newRevisionPods(clients, service, failed);
    const { revision, current } = await restoreTemplate(clients, service, before);
    if (current.kind === 'StatefulSet') await forceRollback(clients, service, badPods);
    const back = await waitForRollout(clients, service, current);
    if (!back.done) {
      throw new UserError('kubernetes-rollout-failed', {
        service: service.name,
        seconds: service.health.timeoutSeconds,
        ...(await reasonOf(clients, service, back.workload ?? current)),
      });
    }
    onStep({ fraction: 1, container: nameOf(before), phase: 'rolled-back' });
    return revision;
  } catch (error) {
    const undoText = error instanceof UserError ? error.text('ru') : String(error);
    const undoTextEn = error instanceof UserError ? error.text('en') : String(error);
    throw new UserError(
      'kubernetes-update-rollback-failed',
      { service: service.name, ...reason, undoRu: undoText, undoEn: undoTextEn },
      // A cancel as the cause makes this the account the job reports (job-runner.ts).
      { cause: cause ?? error },
    );
  }
}

/** Waits for the rollout; not healthy in time is a failure with its reason (no undo). */
export async function follow(
  clients: KubeClients,
  service: KubernetesServiceDefinition,
  workload: Workload,
  action: Action,
  started: number,
  onStep: StepReporter,
  signal: AbortSignal | undefined,
): Promise<ContainerReport[]> {
  onStep({ fraction: 0.3, container: nameOf(workload), phase: 'waiting' });
  let outcome: RolloutOutcome;
  try {
    outcome = await waitForRollout(clients, service, workload, signal);
  } catch (error) {
    // The change is made: "unreachable, nothing was changed" would be untrue now.
    if (signal?.aborted === true) throw error;
    throw afterChange(service, error);
  }
  if (!outcome.done) {
    onStep({ fraction: 1, container: nameOf(workload), phase: 'failed' });
    throw new UserError('kubernetes-rollout-failed', {
      service: service.name,
      seconds: service.health.timeoutSeconds,
      ...(await reasonOf(clients, service, outcome.workload ?? workload)),
    });
  }
  return reports(clients, service, outcome.workload, action, started, onStep);
}

/** The failure's reason from the pods and events; unknown when they cannot be read. */
async function reasonOf(
  clients: KubeClients,
  service: KubernetesServiceDefinition,
  workload: Workload,
): Promise<{ reasonRu: string; reasonEn: string }> {
  return failureParams(
    await diagnose(clients, service, workload).catch(() => ({ kind: 'unknown' as const })),
  );
}

/** A failure after the change was made: the rollout failed, for a reason not known. */
function afterChange(service: KubernetesServiceDefinition, error: unknown): UserError {
  if (error instanceof UserError && error.code === 'kubernetes-rollout-failed') return error;
  return new UserError(
    'kubernetes-rollout-failed',
    {
      service: service.name,
      seconds: service.health.timeoutSeconds,
      ...failureParams({ kind: 'unknown' }),
    },
    { cause: error },
  );
}

async function reports(
  clients: KubeClients,
  service: KubernetesServiceDefinition,
  workload: Workload,
  action: Action,
  started: number,
  onStep: StepReporter,
): Promise<ContainerReport[]> {
  onStep({ fraction: 1, container: nameOf(workload), phase: 'healthy' });
  const pods: Pod[] = await newRevisionPods(clients, service, workload);
  const durationMs = Date.now() - started;
  return pods
    .filter((p) => p.metadata.deletionTimestamp === undefined)
    .map((p) => ({
      container: p.metadata.name ?? '',
      action,
      health: isReady(p) ? 'healthy' : 'running',
      durationMs,
    }));
}

function isReady(pod: Pod): boolean {
  return pod.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
}

export function paused(service: KubernetesServiceDefinition, workload: Workload): UserError {
  return new UserError('kubernetes-paused', {
    kind: workload.kind,
    name: nameOf(workload),
    resource: resourceOf[workload.kind],
    namespace: service.namespace,
  });
}
