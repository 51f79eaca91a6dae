/**
 * The seam where pods run. The API server stores pods; a kubelet makes them real and writes
 * their status (phase, conditions, containerStatuses) back through the pod status
 * (https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/ , "Pod conditions" and
 * "Container states"). `InMemoryKubelet` runs nothing: a pod becomes Running and Ready unless
 * its image names a failure (`broken` → ImagePullBackOff, `crash` → CrashLoopBackOff,
 * `unready` → running but never Ready). A kubelet that runs every pod as a container on the
 * test Docker engine implements the same interface.
 */
import { rfc3339, type Clock } from './clock.ts';
import { at, isObject, list, str, type JsonObject } from './json.ts';
import { resourceByName } from './resources.ts';
import type { EventType, ObjectStore } from './store.ts';
import { nameOf, namespaceOf, recordEvent } from './controllers/common.ts';

export interface KubeletHost {
  readonly store: ObjectStore;
  readonly clock: Clock;
}

export interface Kubelet {
  /** Called for every pod change the store makes (ADDED, MODIFIED, DELETED). */
  podChanged(host: KubeletHost, type: EventType, pod: JsonObject): void;
  /** The whole log of a running container of `pod` (pods/log); undefined when it has none. */
  logs?(pod: JsonObject, container: string): Promise<string | undefined>;
  /** Runs `command` in a container of `pod` (pods/exec); resolves with its exit code. */
  exec?(
    pod: JsonObject,
    container: string,
    command: readonly string[],
    io: ExecStreams,
  ): Promise<number>;
  close(): Promise<void>;
}

export interface ExecStreams {
  /** The caller's stdin, when it sent one (ends when the caller closes it). */
  readonly stdin: NodeJS.ReadableStream | undefined;
  readonly stdout: (chunk: Buffer) => void;
  readonly stderr: (chunk: Buffer) => void;
  /**
   * Aborted when the caller's connection closes. As on a real node, the process is not
   * ended (kubernetes/kubernetes#89031), its stdin is (`stdin` ends), and its output is no
   * longer read (containerd's CRI exec IO, internal/cri/io/exec_io.go, stops copying it and
   * closes its end): a process that goes on writing blocks, it does not run to its end.
   */
  readonly hangup?: AbortSignal;
}

export const NODE_NAME = 'fake-node';

type Outcome = 'ready' | 'pull' | 'crash' | 'unready';

function outcomeOf(image: string): Outcome {
  if (image.includes('broken')) return 'pull';
  if (image.includes('crash')) return 'crash';
  if (image.includes('unready')) return 'unready';
  return 'ready';
}

function condition(
  type: string,
  ok: boolean,
  now: string,
  reason?: string,
  message?: string,
): JsonObject {
  const c: JsonObject = {
    type,
    status: ok ? 'True' : 'False',
    lastProbeTime: null,
    lastTransitionTime: now,
  };
  if (reason !== undefined) c.reason = reason;
  if (message !== undefined) c.message = message;
  return c;
}

export interface InMemoryKubeletOptions {
  /** Time (of the injected clock) from a pod's creation to its containers' start. */
  readonly startDelayMs?: number;
  /** What a container "printed"; default: one line naming the container and its image. */
  readonly logText?: (pod: JsonObject, container: string) => string;
}

export class InMemoryKubelet implements Kubelet {
  readonly #startDelayMs: number;
  readonly #logText: (pod: JsonObject, container: string) => string;
  readonly #timers = new Map<string, () => void>();
  #nextIp = 2;

  constructor(options: InMemoryKubeletOptions = {}) {
    this.#startDelayMs = options.startDelayMs ?? 0;
    this.#logText =
      options.logText ??
      ((pod, container) => {
        const spec = list(at(pod, 'spec', 'containers')).find((c) => at(c, 'name') === container);
        return `${container} started (${str(at(spec, 'image')) ?? ''})\n`;
      });
  }

  logs(pod: JsonObject, container: string): Promise<string | undefined> {
    return Promise.resolve(this.#logText(pod, container));
  }

  podChanged(host: KubeletHost, type: EventType, pod: JsonObject): void {
    const key = `${namespaceOf(pod)}/${nameOf(pod)}`;
    if (type === 'DELETED') {
      this.#timers.get(key)?.();
      this.#timers.delete(key);
      return;
    }
    if (type !== 'ADDED') return;
    const cancel = host.clock.setTimer(() => {
      this.#timers.delete(key);
      this.#start(host, namespaceOf(pod), nameOf(pod));
    }, this.#startDelayMs);
    this.#timers.set(key, cancel);
  }

  #start(host: KubeletHost, namespace: string, name: string): void {
    const pods = resourceByName('pods');
    const pod = host.store.get(pods, namespace, name);
    if (pod === undefined) return;
    const now = rfc3339(host.clock.now());
    const containers = list(at(pod, 'spec', 'containers')).filter(isObject);
    const outcomes = containers.map((c) => outcomeOf(str(c.image) ?? ''));
    const statuses = containers.map((c, i) => {
      const image = str(c.image) ?? '';
      const outcome = outcomes[i] ?? 'ready';
      const s: JsonObject = {
        name: str(c.name) ?? '',
        image,
        imageID: outcome === 'pull' ? '' : `docker-pullable://${image}`,
        ready: outcome === 'ready',
        started: outcome === 'ready' || outcome === 'unready',
        restartCount: outcome === 'crash' ? 3 : 0,
        state: { running: { startedAt: now } },
        lastState: {},
      };
      if (outcome === 'pull') {
        s.state = {
          waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"` },
        };
      }
      if (outcome === 'crash') {
        s.state = {
          waiting: {
            reason: 'CrashLoopBackOff',
            message: `back-off 40s restarting failed container=${str(c.name) ?? ''} pod=${name}`,
          },
        };
        s.lastState = {
          terminated: { exitCode: 1, reason: 'Error', startedAt: now, finishedAt: now },
        };
      }
      return s;
    });
    const unready = containers
      .filter((_, i) => outcomes[i] !== 'ready')
      .map((c) => str(c.name) ?? '');
    const allReady = unready.length === 0;
    const pulling = outcomes.includes('pull');
    const message = `containers with unready status: [${unready.join(' ')}]`;
    const ip = `10.244.0.${this.#nextIp}`;
    this.#nextIp = this.#nextIp >= 250 ? 2 : this.#nextIp + 1;
    host.store.mutate(pods, namespace, name, (p) => {
      const spec = isObject(p.spec) ? p.spec : {};
      spec.nodeName = NODE_NAME;
      p.spec = spec;
    });
    host.store.mutate(
      pods,
      namespace,
      name,
      (p) => {
        p.status = {
          phase: pulling ? 'Pending' : 'Running',
          conditions: [
            condition('PodReadyToStartContainers', true, now),
            condition('Initialized', true, now),
            allReady
              ? condition('Ready', true, now)
              : condition('Ready', false, now, 'ContainersNotReady', message),
            allReady
              ? condition('ContainersReady', true, now)
              : condition('ContainersReady', false, now, 'ContainersNotReady', message),
            condition('PodScheduled', true, now),
          ],
          hostIP: '10.0.0.1',
          podIP: ip,
          podIPs: [{ ip }],
          startTime: now,
          containerStatuses: statuses,
          qosClass: 'BestEffort',
        };
      },
      { status: true },
    );
    const current = host.store.get(pods, namespace, name);
    if (current === undefined) return;
    recordEvent(
      host.store,
      host.clock,
      current,
      'Normal',
      'Scheduled',
      `Successfully assigned ${namespace}/${name} to ${NODE_NAME}`,
      'default-scheduler',
    );
    containers.forEach((c, i) => {
      const image = str(c.image) ?? '';
      const cname = str(c.name) ?? '';
      if (outcomes[i] === 'pull') {
        recordEvent(
          host.store,
          host.clock,
          current,
          'Warning',
          'Failed',
          `Failed to pull image "${image}": rpc error: code = NotFound desc = failed to pull and unpack image "${image}": not found`,
          'kubelet',
        );
        recordEvent(
          host.store,
          host.clock,
          current,
          'Normal',
          'BackOff',
          `Back-off pulling image "${image}"`,
          'kubelet',
        );
        return;
      }
      recordEvent(
        host.store,
        host.clock,
        current,
        'Normal',
        'Pulled',
        `Container image "${image}" already present on machine`,
        'kubelet',
      );
      recordEvent(
        host.store,
        host.clock,
        current,
        'Normal',
        'Created',
        `Created container: ${cname}`,
        'kubelet',
      );
      recordEvent(
        host.store,
        host.clock,
        current,
        'Normal',
        'Started',
        `Started container ${cname}`,
        'kubelet',
      );
      if (outcomes[i] === 'crash') {
        recordEvent(
          host.store,
          host.clock,
          current,
          'Warning',
          'BackOff',
          `Back-off restarting failed container ${cname} in pod ${name}_${namespace}(${str(at(current, 'metadata', 'uid')) ?? ''})`,
          'kubelet',
        );
      }
      if (outcomes[i] === 'unready') {
        recordEvent(
          host.store,
          host.clock,
          current,
          'Warning',
          'Unhealthy',
          'Readiness probe failed: ',
          'kubelet',
        );
      }
    });
  }

  close(): Promise<void> {
    for (const cancel of this.#timers.values()) cancel();
    this.#timers.clear();
    return Promise.resolve();
  }
}
