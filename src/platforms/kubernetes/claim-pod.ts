/**
 * The life of a claim pod (claim-pod-spec.ts): placed on the claim's node
 * (claim-placement.ts), created, waited for until its container runs (list + watch,
 * bounded), used through pods/exec, and deleted on every path with its uid as precondition
 * (DeleteOptions.preconditions: a pod of the same name made by someone else meanwhile is
 * never deleted). A pod that does not start in time (its node gone or not ready, the image
 * not pullable) is deleted and refused with one line naming the node and what the pod
 * showed. Pods the bot could not delete (it was killed) end by their activeDeadlineSeconds
 * and are found by their labels (`sweepClaimPods`).
 */
import { UserError } from '../../core/errors.ts';
import type { ExecOptions, ExecResult } from '../../core/platform.ts';
import { apiStatus, toUserError, type ApiAction } from './api-errors.ts';
import type { KubeClients } from './client.ts';
import { placeClaimPod, runAsWithFallback, type Placement } from './claim-placement.ts';
import {
  claimPodContainer,
  claimPodSelector,
  claimPodSpec,
  type ClaimPodPurpose,
  type EngineUser,
  type RunAs,
} from './claim-pod-spec.ts';
import { execInPod } from './exec-stream.ts';
import type { Pod } from './objects.ts';
import { leftByGoneOwner, ownerLabel, ownerValue } from './owner.ts';
import { podSource } from './pod-source.ts';
import { waitFor } from './watch.ts';
import { asModel, checkAccess, toWire } from './workload-api.ts';

export interface ClaimPodSettings {
  /** The bot's own image, or another with restic and borg (per cluster). */
  readonly image: string;
  /** How long the pod may take to run before it is refused (default 120 s). */
  readonly startSeconds?: number;
  /** activeDeadlineSeconds: the pod ends itself after this (default 6 h). */
  readonly deadlineSeconds?: number;
  /** Who runs the engine (claim-pod-spec.ts); default: the workload's user. */
  readonly engineUser?: EngineUser;
}

export interface ClaimPodRequest {
  readonly namespace: string;
  readonly claim: string;
  readonly purpose: ClaimPodPurpose;
  readonly repositoryClaim?: string;
  readonly job?: string;
  /**
   * What the pod runs as where the running pod that mounts the claim names nothing (all of it
   * when none does: a workload scaled to 0).
   */
  readonly runAs?: RunAs;
}

const defaultStartSeconds = 120;
const defaultDeadlineSeconds = 6 * 3600;

function podAction(clients: KubeClients, namespace: string, verb: string): ApiAction {
  return { cluster: clients.cluster, verb, resource: 'pods', group: '', namespace };
}

export class ClaimPod {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  /** The node it was pinned to; undefined when the scheduler chose. */
  readonly node: string | undefined;
  /** Its container's image, for messages; undefined when not known. */
  readonly image: string | undefined;
  readonly #clients: KubeClients;
  #deleted: Promise<void> | undefined;

  constructor(clients: KubeClients, pod: Pod, node: string | undefined, image?: string) {
    this.#clients = clients;
    this.name = pod.metadata.name ?? '';
    this.namespace = pod.metadata.namespace ?? '';
    this.uid = pod.metadata.uid ?? '';
    this.node = node;
    this.image = image;
  }

  /** argv in the pod's container; no TTY, no shell (exec-stream.ts). */
  exec(
    argv: readonly string[],
    options: ExecOptions,
    signal?: AbortSignal,
    onStderr?: (chunk: Buffer) => void,
  ): Promise<ExecResult> {
    return execInPod(
      this.#clients,
      { namespace: this.namespace, pod: this.name, container: claimPodContainer },
      argv,
      options,
      signal,
      undefined,
      onStderr,
    );
  }

  /** Deletes this very pod (its uid); one already gone is fine. Never aborted. */
  delete(): Promise<void> {
    this.#deleted ??= deletePod(this.#clients, this.namespace, this.name, this.uid);
    return this.#deleted;
  }
}

async function deletePod(
  clients: KubeClients,
  namespace: string,
  name: string,
  uid: string,
): Promise<void> {
  try {
    const request = { name, namespace, gracePeriodSeconds: 0, body: { preconditions: { uid } } };
    await clients.core.deleteNamespacedPod(request);
  } catch (error) {
    const code = apiStatus(error)?.code;
    // 404: gone already; 409: the name is another pod's now, which is not ours to delete.
    if (code === 404 || code === 409) return;
    throw toUserError(error, podAction(clients, namespace, 'delete'));
  }
}

/** Why a pod is not running: a container's waiting reason, the pod's reason, its phase. */
function notRunningReason(pod: Pod | undefined): string {
  if (pod === undefined) return 'deleted';
  const waiting = pod.status?.containerStatuses?.find((c) => c.state?.waiting !== undefined)?.state
    ?.waiting;
  if (waiting !== undefined) {
    return [waiting.reason, waiting.message].filter((x) => x !== undefined).join(': ');
  }
  const terminated = pod.status?.containerStatuses?.find((c) => c.state?.terminated !== undefined)
    ?.state?.terminated;
  if (terminated !== undefined) return `exited ${String(terminated.exitCode ?? '?')}`;
  const reason = pod.status?.reason ?? pod.status?.phase ?? 'Pending';
  return pod.status?.message === undefined ? reason : `${reason}: ${pod.status.message}`;
}

function isRunning(pod: Pod): boolean {
  return (
    pod.status?.phase === 'Running' &&
    (pod.status.containerStatuses ?? []).some(
      (c) => c.name === claimPodContainer && c.state?.running !== undefined,
    )
  );
}

/**
 * A claim pod, running. The caller deletes it (`withClaimPod` does); if this fails, nothing
 * is left behind.
 */
export async function openClaimPod(
  clients: KubeClients,
  settings: ClaimPodSettings,
  request: ClaimPodRequest,
  signal?: AbortSignal,
): Promise<ClaimPod> {
  const { namespace } = request;
  const placement: Placement = await placeClaimPod(clients, namespace, request.claim);
  for (const [verb, subresource] of [
    ['create', undefined],
    ['delete', undefined],
    ['create', 'exec'],
  ] as const) {
    await checkAccess(clients, {
      cluster: clients.cluster,
      namespace,
      verb,
      group: '',
      resource: 'pods',
      ...(subresource === undefined ? {} : { subresource }),
    });
  }
  signal?.throwIfAborted();
  const deadlineSeconds = settings.deadlineSeconds ?? defaultDeadlineSeconds;
  const spec = claimPodSpec({
    namespace,
    claim: request.claim,
    purpose: request.purpose,
    image: settings.image,
    ...(request.repositoryClaim === undefined ? {} : { repositoryClaim: request.repositoryClaim }),
    ...(placement.nodeName === undefined ? {} : { nodeName: placement.nodeName }),
    runAs: runAsWithFallback(placement.runAs, request.runAs) ?? {},
    deadlineSeconds,
    ...(settings.engineUser === undefined ? {} : { engineUser: settings.engineUser }),
    ...(request.job === undefined ? {} : { job: request.job }),
  });
  // Which process made it: a start-up sweep of another process leaves it alone (owner.ts).
  const body = {
    ...spec,
    metadata: { ...spec.metadata, labels: { ...spec.metadata.labels, [ownerLabel]: ownerValue() } },
  };
  const { V1Pod } = await import('@kubernetes/client-node');
  let created: Pod;
  try {
    created = toWire(
      await clients.core.createNamespacedPod({ namespace, body: asModel(body, V1Pod) }),
    ) as Pod;
  } catch (error) {
    throw toUserError(error, podAction(clients, namespace, 'create'));
  }
  const pod = new ClaimPod(clients, created, placement.nodeName, settings.image);
  try {
    await waitRunning(clients, settings, request, placement, pod, signal);
  } catch (error) {
    await pod.delete().catch(() => undefined);
    throw error;
  }
  return pod;
}

async function waitRunning(
  clients: KubeClients,
  settings: ClaimPodSettings,
  request: ClaimPodRequest,
  placement: Placement,
  pod: ClaimPod,
  signal: AbortSignal | undefined,
): Promise<void> {
  const seconds = settings.startSeconds ?? defaultStartSeconds;
  let last: Pod | undefined;
  let seen = false;
  const result = await waitFor(
    podSource(clients, { namespace: pod.namespace, fieldSelector: `metadata.name=${pod.name}` }),
    (pods) => {
      const current = pods.find((p) => p.metadata.uid === pod.uid);
      if (current === undefined) return seen ? 'gone' : undefined;
      seen = true;
      last = current;
      if (isRunning(current)) return 'running';
      const phase = current.status?.phase;
      return phase === 'Failed' || phase === 'Succeeded' ? 'ended' : undefined;
    },
    { timeoutMs: seconds * 1000, ...(signal === undefined ? {} : { signal }) },
  );
  if (result.done && result.value === 'running') return;
  signal?.throwIfAborted();
  throw new UserError('kubernetes-claim-pod-not-started', {
    cluster: clients.cluster,
    namespace: pod.namespace,
    volume: request.claim,
    pod: pod.name,
    node: placement.nodeName ?? '—',
    seconds,
    detail: result.done && result.value === 'gone' ? 'deleted' : notRunningReason(last),
  });
}

/** Opens a claim pod, runs `use` with it, and deletes it however `use` ends. */
export async function withClaimPod<T>(
  clients: KubeClients,
  settings: ClaimPodSettings,
  request: ClaimPodRequest,
  use: (pod: ClaimPod) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  const pod = await openClaimPod(clients, settings, request, signal);
  try {
    return await use(pod);
  } finally {
    await pod.delete();
  }
}

/**
 * Whether a claim pod was left by a process that is gone (owner.ts); where its owner cannot
 * be known here (another host, a pod made before pods named their owner), only a pod that
 * has ended or outlived its activeDeadlineSeconds: such a pod is in nobody's use.
 */
export function claimPodLeft(pod: Pod, isAlive: (pid: number) => boolean, now: Date): boolean {
  const left = leftByGoneOwner(
    {
      ...(pod.metadata.labels === undefined ? {} : { labels: pod.metadata.labels }),
      ...(pod.metadata.creationTimestamp === undefined
        ? {}
        : { creationTimestamp: pod.metadata.creationTimestamp }),
    },
    isAlive,
  );
  if (left !== undefined) return left;
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return true;
  // objects.ts's Pod names no deadline; the claim pods have one (claim-pod-spec.ts).
  const deadline = (pod.spec as { readonly activeDeadlineSeconds?: unknown } | undefined)
    ?.activeDeadlineSeconds;
  const created = new Date(pod.metadata.creationTimestamp ?? Number.NaN).getTime();
  return (
    typeof deadline === 'number' &&
    Number.isFinite(created) &&
    created + deadline * 1000 < now.getTime()
  );
}

/**
 * Deletes the claim pods of a namespace that a process that is gone left (killed before it
 * could delete them; `claimPodLeft`). Pods of this process, of one made since it started,
 * and of a live process (a terminal `pes restore` beside `pes serve`) are left alone.
 */
export async function sweepClaimPods(
  clients: KubeClients,
  namespace: string,
  isAlive: (pid: number) => boolean,
  now: Date = new Date(),
): Promise<string[]> {
  let list: unknown;
  try {
    list = await clients.core.listNamespacedPod({ namespace, labelSelector: claimPodSelector });
  } catch (error) {
    throw toUserError(error, podAction(clients, namespace, 'list'));
  }
  const pods = (toWire(list) as { items?: Pod[] }).items ?? [];
  const removed: string[] = [];
  for (const p of pods.filter((pod) => claimPodLeft(pod, isAlive, now))) {
    const name = p.metadata.name ?? '';
    await deletePod(clients, namespace, name, p.metadata.uid ?? '');
    removed.push(name);
  }
  return removed;
}
