/**
 * Why a rollout did not become healthy, read the way a person reads `kubectl describe`:
 * the waiting reason of the pods' containers (set by the kubelet: ErrImagePull,
 * ImagePullBackOff, CrashLoopBackOff), then the Warning events (Failed, BackOff,
 * Unhealthy), then readiness; when nothing tells more, the deadline simply passed.
 */
import type { Text } from '../../core/i18n.ts';
import type { ContainerStatus, Event, Pod } from './objects.ts';

export type FailureKind =
  | 'image-pull'
  | 'crash-loop'
  | 'readiness'
  | 'deadline'
  /** Not read from the pods: the job was cancelled before the rollout was healthy. */
  | 'cancelled'
  /** Not read from the pods: the API server could not be asked after the change. */
  | 'unknown';

export interface RolloutFailure {
  readonly kind: FailureKind;
  /** The pod and container it was seen on, when one. */
  readonly pod: string | undefined;
  readonly container: string | undefined;
  /** The kubelet's or controller's own words, e.g. `Back-off pulling image "x:9"`. */
  readonly detail: string | undefined;
}

export const failureTexts: Readonly<Record<FailureKind, Text>> = {
  'image-pull': { ru: 'образ не удаётся скачать', en: 'the image cannot be pulled' },
  'crash-loop': {
    ru: 'контейнер раз за разом падает (CrashLoopBackOff)',
    en: 'the container keeps crashing (CrashLoopBackOff)',
  },
  readiness: {
    ru: 'поды не проходят проверку готовности',
    en: 'the pods do not pass their readiness probe',
  },
  deadline: { ru: 'развёртывание не завершилось в срок', en: 'the rollout did not finish in time' },
  cancelled: {
    ru: 'отменено до того, как развёртывание стало здоровым',
    en: 'cancelled before the rollout was healthy',
  },
  unknown: {
    ru: 'причина неизвестна: после изменения не удалось спросить API-сервер',
    en: 'reason unknown: the API server could not be asked after the change',
  },
};

// The kubelet's waiting reasons for images (pkg/kubelet/images/types.go).
const imagePullReasons = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'ImageInspectError',
  'RegistryUnavailable',
]);

function statusesOf(pod: Pod): readonly ContainerStatus[] {
  return [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
}

function found(
  kind: FailureKind,
  pod: Pod | undefined,
  container: string | undefined,
  detail: string | undefined,
): RolloutFailure {
  const text = detail === undefined || detail === '' ? undefined : detail;
  return { kind, pod: pod?.metadata.name, container, detail: text };
}

function fromContainers(pods: readonly Pod[], kind: FailureKind): RolloutFailure | undefined {
  for (const pod of pods) {
    for (const s of statusesOf(pod)) {
      const waiting = s.state?.waiting;
      const reason = waiting?.reason ?? '';
      if (kind === 'image-pull' && imagePullReasons.has(reason)) {
        return found(kind, pod, s.name, waiting?.message ?? reason);
      }
      if (kind === 'crash-loop' && reason === 'CrashLoopBackOff') {
        const last = s.lastState?.terminated;
        const exit = last?.exitCode === undefined ? undefined : `exit code ${last.exitCode}`;
        return found(kind, pod, s.name, last?.message ?? exit ?? waiting?.message);
      }
    }
  }
  return undefined;
}

function eventKind(event: Event): FailureKind | undefined {
  if (event.type !== 'Warning') return undefined;
  const message = event.message ?? '';
  switch (event.reason) {
    case 'Failed':
      return /pull|image/i.test(message) ? 'image-pull' : undefined;
    case 'BackOff':
      if (/pulling image/i.test(message)) return 'image-pull';
      if (/restarting failed container/i.test(message)) return 'crash-loop';
      return undefined;
    case 'Unhealthy':
      return /^readiness probe/i.test(message) ? 'readiness' : undefined;
    default:
      return undefined;
  }
}

/**
 * `pods` are those of the new revision; `events` those about them. The first kind found in
 * the order image pull, crash loop, readiness wins: a pod that cannot pull is also not ready,
 * and the pull is what a person has to fix.
 */
export function failureReason(pods: readonly Pod[], events: readonly Event[]): RolloutFailure {
  const podNames = new Set(pods.map((p) => p.metadata.name));
  const relevant = events.filter(
    (e) => e.involvedObject?.name === undefined || podNames.has(e.involvedObject.name),
  );
  for (const kind of ['image-pull', 'crash-loop', 'readiness'] as const) {
    if (kind !== 'readiness') {
      const fromPod = fromContainers(pods, kind);
      if (fromPod !== undefined) return fromPod;
    }
    const event = relevant.find((e) => eventKind(e) === kind);
    if (event !== undefined) {
      const pod = pods.find((p) => p.metadata.name === event.involvedObject?.name);
      return found(kind, pod, undefined, event.message);
    }
  }
  const unready = pods.find(
    (p) =>
      p.status?.phase === 'Running' &&
      (p.status.containerStatuses ?? []).some((s) => s.ready !== true),
  );
  if (unready !== undefined) {
    const s = (unready.status?.containerStatuses ?? []).find((c) => c.ready !== true);
    return found('readiness', unready, s?.name, undefined);
  }
  return found('deadline', undefined, undefined, undefined);
}
