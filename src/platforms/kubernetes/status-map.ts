/**
 * From a workload and its pods to what `status` shows: the port's ServiceStatus (one entry
 * per pod, so messages and commands work as for Docker), plus the workload's replica counts,
 * rollout state and conditions, and per pod its phase, readiness, restarts, images and node.
 */
import type { KubernetesServiceDefinition } from '../../config/kubernetes.ts';
import type {
  ContainerState,
  ContainerStatus,
  Health,
  ServiceState,
  ServiceStatus,
} from '../../core/platform.ts';
import { parseImageReference } from '../docker/image-ref.ts';
import type { Deployment, Pod, StatefulSet } from './objects.ts';
import {
  deploymentRolloutStatus,
  statefulSetRolloutStatus,
  type RolloutStatus,
} from './rollout-status.ts';
import { stoppedReplicas } from './stop-annotation.ts';

export type Workload =
  | { readonly kind: 'Deployment'; readonly object: Deployment }
  | { readonly kind: 'StatefulSet'; readonly object: StatefulSet };

export interface WorkloadReport {
  readonly kind: 'Deployment' | 'StatefulSet';
  readonly name: string;
  readonly replicas: {
    readonly desired: number;
    readonly updated: number;
    readonly ready: number;
    readonly available: number;
  };
  readonly rollout: RolloutStatus;
  /** At 0 with the replicas a restore's stop kept (stop-annotation.ts). */
  readonly stoppedFrom: number | undefined;
  /** Progressing, Available, ReplicaFailure… as the controller set them. */
  readonly conditions: readonly {
    readonly type: string;
    readonly status: string;
    readonly reason: string | undefined;
    readonly message: string | undefined;
  }[];
}

export interface PodReport {
  readonly name: string;
  /** Pending, Running, Succeeded, Failed, Unknown; `Terminating` while it is deleted. */
  readonly phase: string;
  readonly ready: boolean;
  readonly restarts: number;
  readonly images: readonly { readonly container: string; readonly image: string }[];
  readonly node: string | undefined;
  readonly ageSeconds: number | undefined;
}

export interface KubernetesServiceStatus extends ServiceStatus {
  /** undefined: the workload does not exist (state `missing`). */
  readonly workload: WorkloadReport | undefined;
  readonly pods: readonly PodReport[];
}

function toDate(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function isReady(pod: Pod): boolean {
  return pod.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
}

function restartsOf(pod: Pod): number {
  return (pod.status?.containerStatuses ?? []).reduce((n, s) => n + (s.restartCount ?? 0), 0);
}

function containerState(pod: Pod): ContainerState {
  if (pod.metadata.deletionTimestamp !== undefined) return 'removing';
  const statuses = pod.status?.containerStatuses ?? [];
  switch (pod.status?.phase) {
    case 'Running':
      // A container waiting to be started again after a crash.
      return statuses.some((s) => s.state?.waiting?.reason === 'CrashLoopBackOff')
        ? 'restarting'
        : 'running';
    case 'Pending':
      return 'created';
    case 'Succeeded':
    case 'Failed':
      return 'exited';
    default:
      return 'dead';
  }
}

function health(pod: Pod): Health {
  if (isReady(pod)) return 'healthy';
  const statuses = pod.status?.containerStatuses ?? [];
  // Not started yet (pulling, creating, startup probe): like Docker's `starting`.
  if (pod.status?.phase === 'Pending' || statuses.some((s) => s.started !== true)) {
    return statuses.some((s) => (s.restartCount ?? 0) > 0) ? 'unhealthy' : 'starting';
  }
  return 'unhealthy';
}

function podImages(pod: Pod): { container: string; image: string }[] {
  return (pod.spec?.containers ?? []).map((c) => ({ container: c.name, image: c.image ?? '' }));
}

export function toContainerStatus(pod: Pod): ContainerStatus {
  const { image, tag } = parseImageReference(podImages(pod)[0]?.image ?? '');
  return {
    name: pod.metadata.name ?? '',
    id: pod.metadata.uid ?? '',
    state: containerState(pod),
    health: health(pod),
    image,
    tag,
    startedAt: toDate(pod.status?.startTime),
    restartCount: restartsOf(pod),
  };
}

function toPodReport(pod: Pod, now: Date): PodReport {
  const created = toDate(pod.metadata.creationTimestamp);
  return {
    name: pod.metadata.name ?? '',
    phase:
      pod.metadata.deletionTimestamp !== undefined
        ? 'Terminating'
        : (pod.status?.phase ?? 'Unknown'),
    ready: isReady(pod),
    restarts: restartsOf(pod),
    images: podImages(pod),
    node: pod.spec?.nodeName,
    ageSeconds:
      created === undefined
        ? undefined
        : Math.max(0, Math.floor((now.getTime() - created.getTime()) / 1000)),
  };
}

export function toWorkloadReport(workload: Workload): WorkloadReport {
  const obj = workload.object;
  const status = obj.status ?? {};
  return {
    kind: workload.kind,
    name: obj.metadata.name ?? '',
    replicas: {
      // The API server defaults spec.replicas to 1.
      desired: obj.spec.replicas ?? 1,
      updated: status.updatedReplicas ?? 0,
      ready: status.readyReplicas ?? 0,
      available: status.availableReplicas ?? 0,
    },
    rollout:
      workload.kind === 'Deployment'
        ? deploymentRolloutStatus(workload.object)
        : statefulSetRolloutStatus(workload.object),
    stoppedFrom: stoppedReplicas(workload),
    conditions: (status.conditions ?? []).map((c) => ({
      type: c.type,
      status: c.status,
      reason: c.reason,
      message: c.message,
    })),
  };
}

/**
 * up: every wanted replica ready and at least minRunning; degraded: some ready; down: the
 * workload is there but no pod is ready (scaled to 0 included); missing: no such workload.
 */
export function workloadState(
  report: WorkloadReport | undefined,
  pods: readonly PodReport[],
  minRunning: number,
): ServiceState {
  if (report === undefined) return 'missing';
  const ready = pods.filter((p) => p.ready && p.phase !== 'Terminating').length;
  if (ready === 0) return 'down';
  if (ready < report.replicas.desired || ready < minRunning || pods.some((p) => !p.ready)) {
    return 'degraded';
  }
  return 'up';
}

export function mapStatus(
  service: KubernetesServiceDefinition,
  workload: Workload | undefined,
  pods: readonly Pod[],
  now: Date,
): KubernetesServiceStatus {
  const report = workload === undefined ? undefined : toWorkloadReport(workload);
  const podReports = pods.map((p) => toPodReport(p, now));
  return {
    service: service.name,
    state: workloadState(report, podReports, service.health.minRunning),
    containers: pods.map(toContainerStatus),
    workload: report,
    pods: podReports,
  };
}
