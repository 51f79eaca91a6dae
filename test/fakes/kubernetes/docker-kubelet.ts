/**
 * A kubelet that runs every pod's containers on the test Docker engine (network none), as
 * the pod lifecycle page describes a kubelet's job
 * (https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/ : container states
 * Waiting / Running / Terminated, restartCount, the Ready condition; readiness from an exec
 * probe, https://kubernetes.io/docs/concepts/configuration/liveness-readiness-startup-probes/ ).
 * An image the engine does not have is ImagePullBackOff (no registry is reachable); a
 * container that keeps exiting is restarted by the engine (restart policy "always", with its
 * own back-off) and shown as CrashLoopBackOff; `command`/`args`/`env` (plain values) map to
 * Entrypoint/Cmd/Env, and `envFrom` a Secret to its decoded data (API reference, Container
 * envFrom / SecretEnvSource). A PersistentVolumeClaim the pod mounts is a Docker volume, made
 * when a pod first mounts it and removed once the claim is deleted and no container holds it
 * (a dynamically provisioned volume with reclaim policy Delete, and the claim protection that
 * keeps a mounted claim: https://kubernetes.io/docs/concepts/storage/persistent-volumes/ ,
 * "Storage Object in Use Protection", "Reclaiming"); a claim that does not exist leaves the
 * pod Pending, as the scheduler does. Logs come from the engine (`pods/log`).
 */
import type Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { rfc3339 } from './clock.ts';
import { nameOf, namespaceOf, recordEvent } from './controllers/common.ts';
import { at, isObject, jsonEqual, list, str, type Json, type JsonObject } from './json.ts';
import { NODE_NAME, type ExecStreams, type Kubelet, type KubeletHost } from './kubelet.ts';
import { resourceByName } from './resources.ts';
import type { EventType } from './store.ts';

const pods = resourceByName('pods');
const claims = resourceByName('persistentvolumeclaims');
const secrets = resourceByName('secrets');

export interface DockerKubeletOptions {
  readonly docker: Docker;
  /** Labels on every container (e.g. the test run's cleanup labels). */
  readonly labels?: Readonly<Record<string, string>>;
  /** Real milliseconds between two looks at a pod's containers (default 200). */
  readonly pollMs?: number;
}

interface ContainerRun {
  readonly name: string;
  readonly image: string;
  id: string | undefined;
  pullFailed: boolean;
  /**
   * The last exit seen while the container was down: once the engine restarts it, its
   * inspect says ExitCode 0, and a kubelet keeps the terminated state as lastState.
   */
  lastExit?: { exitCode: number; finishedAt: string };
  readonly probe: readonly string[] | undefined;
}

interface PodRun {
  readonly namespace: string;
  readonly name: string;
  readonly containers: ContainerRun[];
  stopped: boolean;
  done: Promise<void>;
}

/** Splits the engine's multiplexed log stream (8-byte frame headers) into text. */
function demux(buf: Buffer): string {
  let out = '';
  let p = 0;
  while (p + 8 <= buf.length) {
    const size = buf.readUInt32BE(p + 4);
    out += buf.toString('utf8', p + 8, p + 8 + size);
    p += 8 + size;
  }
  return out;
}

function strings(value: Json | undefined): string[] {
  return list(value).filter((v): v is string => typeof v === 'string');
}

export class DockerKubelet implements Kubelet {
  readonly #docker: Docker;
  readonly #labels: Readonly<Record<string, string>>;
  readonly #pollMs: number;
  readonly #pods = new Map<string, PodRun>();
  /** Container removals under way: a claim's volume goes only after them. */
  readonly #removals = new Set<Promise<void>>();
  #unsubscribe: (() => void) | undefined;
  /** Failures of the engine calls (not of the pods): tests can assert it stays empty. */
  readonly errors: Error[] = [];

  constructor(options: DockerKubeletOptions) {
    this.#docker = options.docker;
    this.#labels = options.labels ?? {};
    this.#pollMs = options.pollMs ?? 200;
  }

  /** The Docker volume of a claim: one per claim object (its uid), so a new claim is empty. */
  static volumeOf(claim: JsonObject): string {
    return `fk-pvc-${str(at(claim, 'metadata', 'uid')) ?? ''}`;
  }

  /** Removes the volume of a deleted claim once no container of a pod holds it. */
  #watchClaims(host: KubeletHost): void {
    if (this.#unsubscribe !== undefined) return;
    this.#unsubscribe = host.store.subscribe((e) => {
      if (e.type !== 'DELETED' || e.resource.kind !== 'PersistentVolumeClaim') return;
      const volume = DockerKubelet.volumeOf(e.object);
      const removing = Promise.all([...this.#removals])
        .then(() => this.#docker.getVolume(volume).remove())
        .catch((err: unknown) => {
          if (!/404|no such volume/i.test(String(err))) this.errors.push(err as Error);
        });
      this.#track(removing);
    });
  }

  #track(work: Promise<unknown>): void {
    const done = work.then(() => undefined);
    this.#removals.add(done);
    void done.finally(() => this.#removals.delete(done));
  }

  podChanged(host: KubeletHost, type: EventType, pod: JsonObject): void {
    this.#watchClaims(host);
    const key = `${namespaceOf(pod)}/${nameOf(pod)}`;
    if (type === 'ADDED' && !this.#pods.has(key)) {
      const run: PodRun = {
        namespace: namespaceOf(pod),
        name: nameOf(pod),
        containers: list(at(pod, 'spec', 'containers'))
          .filter(isObject)
          .map((c) => ({
            name: str(c.name) ?? '',
            image: str(c.image) ?? '',
            id: undefined,
            pullFailed: false,
            probe:
              at(c, 'readinessProbe', 'exec', 'command') === undefined
                ? undefined
                : strings(at(c, 'readinessProbe', 'exec', 'command')),
          })),
        stopped: false,
        done: Promise.resolve(),
      };
      this.#pods.set(key, run);
      run.done = this.#run(host, pod, run).catch((e: unknown) => {
        this.errors.push(e as Error);
      });
    }
    if (type === 'DELETED') {
      const run = this.#pods.get(key);
      if (run === undefined) return;
      this.#pods.delete(key);
      run.stopped = true;
      this.#track(run.done.then(() => this.#remove(run)));
    }
  }

  /**
   * The engine mounts of the pod's claims, by volume name; undefined when a claim does not
   * exist (the pod stays Pending: "persistentvolumeclaim … not found").
   */
  async #claimMounts(host: KubeletHost, pod: JsonObject): Promise<Map<string, string> | undefined> {
    const byVolume = new Map<string, string>();
    for (const v of list(at(pod, 'spec', 'volumes')).filter(isObject)) {
      const claimName = str(at(v, 'persistentVolumeClaim', 'claimName'));
      if (claimName === undefined) continue;
      const claim = host.store.get(claims, namespaceOf(pod), claimName);
      if (claim === undefined) {
        recordEvent(
          host.store,
          host.clock,
          pod,
          'Warning',
          'FailedScheduling',
          `0/1 nodes are available: persistentvolumeclaim "${claimName}" not found.`,
          'default-scheduler',
        );
        return undefined;
      }
      const volume = DockerKubelet.volumeOf(claim);
      await this.#docker.createVolume({
        Name: volume,
        Labels: { ...this.#labels, 'fake-kubernetes.pvc': `${namespaceOf(pod)}/${claimName}` },
      });
      byVolume.set(str(v.name) ?? '', volume);
    }
    return byVolume;
  }

  /** `envFrom` Secrets as KEY=value (a missing optional one adds nothing). */
  #envFrom(host: KubeletHost, pod: JsonObject, spec: JsonObject): string[] {
    return list(spec.envFrom)
      .filter(isObject)
      .flatMap((from) => {
        const name = str(at(from, 'secretRef', 'name'));
        if (name === undefined) return [];
        const secret = host.store.get(secrets, namespaceOf(pod), name);
        const data = isObject(secret?.data) ? secret.data : {};
        const prefix = str(from.prefix) ?? '';
        return Object.entries(data).flatMap(([k, v]) =>
          typeof v === 'string'
            ? [`${prefix}${k}=${Buffer.from(v, 'base64').toString('utf8')}`]
            : [],
        );
      });
  }

  async #remove(run: PodRun): Promise<void> {
    await Promise.all(
      run.containers.map(async (c) => {
        if (c.id === undefined) return;
        await this.#docker
          .getContainer(c.id)
          .remove({ force: true, v: true })
          .catch((e: unknown) => {
            if (!/404|No such container/.test(String(e))) this.errors.push(e as Error);
          });
      }),
    );
  }

  async #run(host: KubeletHost, pod: JsonObject, run: PodRun): Promise<void> {
    host.store.mutate(pods, run.namespace, run.name, (p) => {
      if (isObject(p.spec)) p.spec.nodeName = NODE_NAME;
    });
    const specs = list(at(pod, 'spec', 'containers')).filter(isObject);
    const volumes = await this.#claimMounts(host, pod);
    if (volumes === undefined) return;
    for (const c of run.containers) {
      const spec = specs.find((s) => s.name === c.name) ?? {};
      const exists = await this.#docker
        .getImage(c.image)
        .inspect()
        .then(
          () => true,
          () => false,
        );
      if (!exists) {
        c.pullFailed = true;
        recordEvent(
          host.store,
          host.clock,
          pod,
          'Warning',
          'Failed',
          `Failed to pull image "${c.image}": pull access denied, repository does not exist or may require authorization`,
          'kubelet',
        );
        recordEvent(
          host.store,
          host.clock,
          pod,
          'Normal',
          'BackOff',
          `Back-off pulling image "${c.image}"`,
          'kubelet',
        );
        continue;
      }
      const command = strings(spec.command);
      const args = strings(spec.args);
      // envFrom first: a name in env wins (API reference, Container.envFrom).
      const env = [
        ...this.#envFrom(host, pod, spec),
        ...list(spec.env)
          .filter(isObject)
          .flatMap((e) => (typeof e.value === 'string' ? [`${str(e.name) ?? ''}=${e.value}`] : [])),
      ];
      const mounts = list(spec.volumeMounts)
        .filter(isObject)
        .flatMap((m) => {
          const source = volumes.get(str(m.name) ?? '');
          const target = str(m.mountPath);
          return source === undefined || target === undefined
            ? []
            : [{ Type: 'volume' as const, Source: source, Target: target }];
        });
      const created = await this.#docker.createContainer({
        name: `fk-${run.name}-${c.name}-${randomBytes(3).toString('hex')}`,
        Image: c.image,
        ...(command.length > 0 ? { Entrypoint: command } : {}),
        ...(args.length > 0 ? { Cmd: args } : {}),
        Env: env,
        Labels: {
          ...this.#labels,
          'fake-kubernetes.pod': `${run.namespace}/${run.name}`,
          'fake-kubernetes.container': c.name,
        },
        HostConfig: { NetworkMode: 'none', RestartPolicy: { Name: 'always' }, Mounts: mounts },
      });
      c.id = created.id;
      if (run.stopped) return;
      await created.start();
      recordEvent(
        host.store,
        host.clock,
        pod,
        'Normal',
        'Started',
        `Started container ${c.name}`,
        'kubelet',
      );
    }
    while (!run.stopped) {
      if (!(await this.#observe(host, run))) return;
      await sleep(this.#pollMs);
    }
  }

  async #probe(id: string, command: readonly string[]): Promise<boolean> {
    const exec = await this.#docker
      .getContainer(id)
      .exec({ Cmd: [...command], AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({ hijack: true, stdin: false });
    await new Promise<void>((resolve) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', () => resolve());
      stream.resume();
    });
    const info = await exec.inspect();
    return info.ExitCode === 0;
  }

  /** Writes the pod's status from the engine; false when the pod is gone. */
  async #observe(host: KubeletHost, run: PodRun): Promise<boolean> {
    const statuses: JsonObject[] = [];
    for (const c of run.containers) {
      if (c.pullFailed || c.id === undefined) {
        statuses.push({
          name: c.name,
          image: c.image,
          imageID: '',
          ready: false,
          started: false,
          restartCount: 0,
          state: {
            waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${c.image}"` },
          },
          lastState: {},
        });
        continue;
      }
      const info = await this.#docker
        .getContainer(c.id)
        .inspect()
        .catch(() => undefined);
      if (info === undefined) return !run.stopped;
      const running = info.State.Running && !info.State.Restarting;
      const ready =
        running && (c.probe === undefined || (await this.#probe(c.id, c.probe).catch(() => false)));
      const restarts = info.RestartCount;
      if (!running && info.State.FinishedAt !== '0001-01-01T00:00:00Z') {
        c.lastExit = {
          exitCode: info.State.ExitCode,
          finishedAt: info.State.FinishedAt.replace(/\.\d+Z$/, 'Z'),
        };
      }
      const startedAt = info.State.StartedAt.replace(/\.\d+Z$/, 'Z');
      statuses.push({
        name: c.name,
        image: c.image,
        imageID: `docker://${info.Image}`,
        containerID: `docker://${c.id}`,
        ready,
        started: running,
        restartCount: restarts,
        state: running
          ? { running: { startedAt } }
          : {
              waiting: {
                reason: 'CrashLoopBackOff',
                message: `back-off restarting failed container=${c.name} pod=${run.name}`,
              },
            },
        // Known once an exit was seen: the engine may restart a container between two looks.
        lastState:
          c.lastExit === undefined
            ? {}
            : {
                terminated: {
                  exitCode: c.lastExit.exitCode,
                  reason: c.lastExit.exitCode === 0 ? 'Completed' : 'Error',
                  startedAt,
                  finishedAt: c.lastExit.finishedAt,
                },
              },
      });
    }
    const allReady = statuses.every((s) => s.ready === true);
    const unready = statuses.filter((s) => s.ready !== true).map((s) => str(s.name) ?? '');
    const now = rfc3339(host.clock.now());
    const pulling = run.containers.some((c) => c.pullFailed);
    const updated = host.store.mutate(
      pods,
      run.namespace,
      run.name,
      (p) => {
        const old = list(at(p, 'status', 'conditions')).filter(isObject);
        const cond = (type: string, ok: boolean): JsonObject => {
          const status = ok ? 'True' : 'False';
          const prev = old.find((c) => c.type === type);
          const c: JsonObject = {
            type,
            status,
            lastProbeTime: null,
            lastTransitionTime: prev?.status === status ? (prev.lastTransitionTime ?? now) : now,
          };
          if (!ok) {
            c.reason = 'ContainersNotReady';
            c.message = `containers with unready status: [${unready.join(' ')}]`;
          }
          return c;
        };
        const status: JsonObject = {
          phase: pulling ? 'Pending' : 'Running',
          conditions: [
            cond('PodReadyToStartContainers', true),
            cond('Initialized', true),
            cond('Ready', allReady),
            cond('ContainersReady', allReady),
            cond('PodScheduled', true),
          ],
          hostIP: '10.0.0.1',
          startTime: str(at(p, 'status', 'startTime')) ?? now,
          containerStatuses: statuses,
          qosClass: 'BestEffort',
        };
        if (!jsonEqual(p.status, status)) p.status = status;
      },
      { status: true },
    );
    return updated !== undefined;
  }

  async logs(pod: JsonObject, container: string): Promise<string | undefined> {
    const run = this.#pods.get(`${namespaceOf(pod)}/${nameOf(pod)}`);
    const id = run?.containers.find((c) => c.name === container)?.id;
    if (id === undefined) return undefined;
    const buf = await this.#docker
      .getContainer(id)
      .logs({ stdout: true, stderr: true, follow: false });
    return demux(buf);
  }

  async exec(
    pod: JsonObject,
    container: string,
    command: readonly string[],
    io: ExecStreams,
  ): Promise<number> {
    const run = this.#pods.get(`${namespaceOf(pod)}/${nameOf(pod)}`);
    const id = run?.containers.find((c) => c.name === container)?.id;
    if (id === undefined) throw new Error(`container ${container} is not running`);
    const exec = await this.#docker.getContainer(id).exec({
      Cmd: [...command],
      AttachStdin: io.stdin !== undefined,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
    });
    const stream = await exec.start({ hijack: true, stdin: io.stdin !== undefined });
    let pending = Buffer.alloc(0);
    stream.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 8) {
        const size = pending.readUInt32BE(4);
        if (pending.length < 8 + size) break;
        const payload = pending.subarray(8, 8 + size);
        if (pending[0] === 2) io.stderr(payload);
        else io.stdout(payload);
        pending = pending.subarray(8 + size);
      }
    });
    if (io.stdin !== undefined) io.stdin.pipe(stream);
    await new Promise<void>((resolve) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', () => resolve());
    });
    const info = await exec.inspect();
    return info.ExitCode ?? 0;
  }

  async close(): Promise<void> {
    this.#unsubscribe?.();
    const runs = [...this.#pods.values()];
    this.#pods.clear();
    for (const run of runs) run.stopped = true;
    await Promise.all(
      runs.map(async (run) => {
        await run.done;
        await this.#remove(run);
      }),
    );
    await Promise.all([...this.#removals]);
  }
}
