/**
 * A kubelet for the chart's pod (helm/pes-bot), on the test Docker engine, for the parts of a
 * pod spec the chart uses that the shared Docker kubelet does not run: volumes from
 * ConfigMaps (with subPath) and Secrets (with defaultMode, group-owned by fsGroup), emptyDir,
 * PersistentVolumeClaims (a Docker volume per claim), `env` from Secret keys, the security
 * context (user and group, fsGroup as a supplementary group, read-only root filesystem,
 * dropped capabilities, no privilege escalation; Docker's default seccomp profile is the
 * runtime default), and HTTP probes. Pages followed: pod lifecycle and container states
 * (https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/ ), probes
 * (https://kubernetes.io/docs/concepts/configuration/liveness-readiness-startup-probes/ : an
 * httpGet probe succeeds on a status from 200 to 399; initialDelaySeconds, periodSeconds,
 * timeoutSeconds, failureThreshold; a failed liveness probe restarts the container), volumes
 * (https://kubernetes.io/docs/concepts/storage/volumes/ : configMap, secret, emptyDir,
 * persistentVolumeClaim, subPath), the security context
 * (https://kubernetes.io/docs/tasks/configure-pod-container/security-context/ ).
 *
 * As on a node, the pod's network namespace belongs to a sandbox container (network mode
 * none: loopback only) that the bot's container joins; the kubelet's HTTP probe is made from
 * inside that namespace (busybox wget in the sandbox, to 127.0.0.1:<port><path>), which is
 * where a kubelet's request to the pod IP lands. Every probe answer is kept in `probes`.
 * One container per pod; no init containers, no exec.
 */
import type Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { rfc3339 } from '../fakes/kubernetes/clock.ts';
import { nameOf, namespaceOf, recordEvent } from '../fakes/kubernetes/controllers/common.ts';
import {
  at,
  isObject,
  jsonEqual,
  list,
  num,
  str,
  type Json,
  type JsonObject,
} from '../fakes/kubernetes/json.ts';
import { NODE_NAME, type Kubelet, type KubeletHost } from '../fakes/kubernetes/kubelet.ts';
import { resourceByName } from '../fakes/kubernetes/resources.ts';
import type { EventType } from '../fakes/kubernetes/store.ts';
import { busyboxImage } from '../helpers/docker.ts';

const pods = resourceByName('pods');
const configMaps = resourceByName('configmaps');
const secrets = resourceByName('secrets');
const claims = resourceByName('persistentvolumeclaims');

export interface ProbeAnswer {
  readonly pod: string;
  readonly kind: 'readiness' | 'liveness';
  readonly path: string;
  readonly ok: boolean;
  /** What the container answered (the body), or why there was no answer. */
  readonly body: string;
}

interface Probe {
  readonly kind: 'readiness' | 'liveness';
  readonly port: number;
  readonly path: string;
  readonly initialDelayMs: number;
  readonly periodMs: number;
  readonly timeoutSeconds: number;
  readonly failureThreshold: number;
  next: number;
  failures: number;
}

interface PodRun {
  readonly namespace: string;
  readonly name: string;
  readonly container: string;
  readonly image: string;
  readonly dir: string;
  sandbox: string | undefined;
  id: string | undefined;
  stopped: boolean;
  ready: boolean;
  /** Why the container could not be made (CreateContainerConfigError, pull), if so. */
  waiting: { readonly reason: string; readonly message: string } | undefined;
  done: Promise<void>;
}

class PodError extends Error {
  readonly reason: string;

  constructor(reason: string, message: string) {
    super(message);
    this.reason = reason;
  }
}

function strings(value: Json | undefined): string[] {
  return list(value).filter((v): v is string => typeof v === 'string');
}

export class ChartKubelet implements Kubelet {
  readonly #docker: Docker;
  readonly #labels: Readonly<Record<string, string>>;
  readonly #root = mkdtempSync(join(tmpdir(), 'pes-kubelet-'));
  readonly #pods = new Map<string, PodRun>();
  readonly #volumes = new Set<string>();
  readonly #runId = randomBytes(3).toString('hex');
  /** Failures of the engine calls (not of the pods): should stay empty. */
  readonly errors: Error[] = [];
  readonly probes: ProbeAnswer[] = [];

  constructor(options: { readonly docker: Docker; readonly labels: Record<string, string> }) {
    this.#docker = options.docker;
    this.#labels = options.labels;
  }

  podChanged(host: KubeletHost, type: EventType, pod: JsonObject): void {
    const key = `${namespaceOf(pod)}/${nameOf(pod)}`;
    if (type === 'ADDED' && !this.#pods.has(key)) {
      const spec = list(at(pod, 'spec', 'containers')).filter(isObject)[0] ?? {};
      const run: PodRun = {
        namespace: namespaceOf(pod),
        name: nameOf(pod),
        container: str(spec.name) ?? '',
        image: str(spec.image) ?? '',
        dir: join(this.#root, `${namespaceOf(pod)}-${nameOf(pod)}`),
        sandbox: undefined,
        id: undefined,
        stopped: false,
        ready: false,
        waiting: { reason: 'ContainerCreating', message: '' },
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
      void run.done.then(() => this.#remove(run));
    }
  }

  async #remove(run: PodRun): Promise<void> {
    for (const id of [run.id, run.sandbox]) {
      if (id === undefined) continue;
      await this.#docker
        .getContainer(id)
        .remove({ force: true })
        .catch((e: unknown) => {
          if (!/404|No such container/.test(String(e))) this.errors.push(e as Error);
        });
    }
    rmSync(run.dir, { recursive: true, force: true });
  }

  /** The files of a ConfigMap or Secret volume, written where the container will see them. */
  #writeFiles(
    host: KubeletHost,
    run: PodRun,
    volume: JsonObject,
    fsGroup: number | undefined,
  ): string {
    const dir = join(run.dir, str(volume.name) ?? '');
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    const configMap = at(volume, 'configMap');
    const secret = at(volume, 'secret');
    const source = isObject(configMap) ? configMap : isObject(secret) ? secret : {};
    const name = str(source.name) ?? str(source.secretName) ?? '';
    const object = host.store.get(isObject(configMap) ? configMaps : secrets, run.namespace, name);
    if (object === undefined) {
      const kind = isObject(configMap) ? 'configmap' : 'secret';
      throw new PodError('FailedMount', `${kind} "${name}" not found`);
    }
    const mode = num(source.defaultMode) ?? 0o644;
    const data = isObject(object.data) ? object.data : {};
    for (const [key, value] of Object.entries(data)) {
      const text = typeof value === 'string' ? value : '';
      const bytes = isObject(configMap) ? Buffer.from(text) : Buffer.from(text, 'base64');
      const file = join(dir, key);
      writeFileSync(file, bytes, { mode });
      // A Secret's files belong to the pod's fsGroup, so that mode 0440 lets the pod read them.
      if (isObject(secret) && fsGroup !== undefined) chownSync(file, 0, fsGroup);
    }
    return dir;
  }

  /** Docker mounts for the container's volumeMounts. */
  async #mounts(
    host: KubeletHost,
    pod: JsonObject,
    run: PodRun,
    container: JsonObject,
  ): Promise<object[]> {
    const fsGroup = num(at(pod, 'spec', 'securityContext', 'fsGroup'));
    const volumes = list(at(pod, 'spec', 'volumes')).filter(isObject);
    const sources = new Map<string, { type: 'bind' | 'volume'; source: string }>();
    for (const volume of volumes) {
      const name = str(volume.name) ?? '';
      if (isObject(volume.configMap) || isObject(volume.secret)) {
        sources.set(name, { type: 'bind', source: this.#writeFiles(host, run, volume, fsGroup) });
      } else if (isObject(volume.emptyDir)) {
        const dir = join(run.dir, name);
        mkdirSync(dir, { recursive: true });
        // An emptyDir is made with mode 0777 (pkg/volume/emptydir: perm = 0777).
        chmodSync(dir, 0o777);
        sources.set(name, { type: 'bind', source: dir });
      } else if (isObject(volume.persistentVolumeClaim)) {
        const claim = str(volume.persistentVolumeClaim.claimName) ?? '';
        if (host.store.get(claims, run.namespace, claim) === undefined) {
          throw new PodError('FailedScheduling', `persistentvolumeclaim "${claim}" not found`);
        }
        const dockerVolume = `pes-test-pvc-${this.#runId}-${run.namespace}-${claim}`;
        if (!this.#volumes.has(dockerVolume)) {
          await this.#docker.createVolume({ Name: dockerVolume, Labels: { ...this.#labels } });
          this.#volumes.add(dockerVolume);
        }
        sources.set(name, { type: 'volume', source: dockerVolume });
      } else {
        throw new Error(
          `volume ${name}: this kubelet runs configMap, secret, emptyDir and PVC only`,
        );
      }
    }
    const mounts: object[] = [];
    for (const m of list(container.volumeMounts).filter(isObject)) {
      const source = sources.get(str(m.name) ?? '');
      if (source === undefined) {
        throw new PodError('CreateContainerConfigError', `no volume ${str(m.name) ?? ''}`);
      }
      const subPath = str(m.subPath);
      if (subPath !== undefined && source.type === 'volume') {
        throw new Error('subPath of a claim: not run by this kubelet');
      }
      mounts.push({
        Type: source.type,
        Source: subPath === undefined ? source.source : join(source.source, subPath),
        Target: str(m.mountPath) ?? '',
        ReadOnly: m.readOnly === true,
      });
    }
    return mounts;
  }

  #env(host: KubeletHost, run: PodRun, container: JsonObject): string[] {
    return list(container.env)
      .filter(isObject)
      .map((e) => {
        const name = str(e.name) ?? '';
        if (typeof e.value === 'string') return `${name}=${e.value}`;
        const ref = at(e, 'valueFrom', 'secretKeyRef');
        if (!isObject(ref)) throw new Error(`env ${name}: only values and secretKeyRef are run`);
        const secret = host.store.get(secrets, run.namespace, str(ref.name) ?? '');
        const value = str(at(secret, 'data', str(ref.key) ?? ''));
        if (value === undefined) {
          throw new PodError(
            'CreateContainerConfigError',
            `couldn't find key ${str(ref.key) ?? ''} in Secret ${run.namespace}/${str(ref.name) ?? ''}`,
          );
        }
        return `${name}=${Buffer.from(value, 'base64').toString('utf8')}`;
      });
  }

  async #create(host: KubeletHost, pod: JsonObject, run: PodRun): Promise<void> {
    const container = list(at(pod, 'spec', 'containers')).filter(isObject)[0] ?? {};
    const podContext = at(pod, 'spec', 'securityContext');
    const context = at(container, 'securityContext');
    const setting = (key: string): Json | undefined => at(context, key) ?? at(podContext, key);
    const image = await this.#docker
      .getImage(run.image)
      .inspect()
      .catch(() => undefined);
    if (image === undefined) {
      throw new PodError('ImagePullBackOff', `Back-off pulling image "${run.image}"`);
    }
    const uid = num(setting('runAsUser'));
    const gid = num(setting('runAsGroup'));
    const imageUser = image.Config.User;
    if (setting('runAsNonRoot') === true) {
      const user = uid ?? (imageUser === '' ? 0 : Number(imageUser.split(':')[0]));
      // The kubelet's check (kuberuntime_container.go, verifyRunAsNonRoot): a user it cannot
      // tell is a number is refused too.
      if (!Number.isInteger(user) || user === 0) {
        throw new PodError(
          'CreateContainerConfigError',
          'container has runAsNonRoot and image will run as root',
        );
      }
    }
    const mounts = await this.#mounts(host, pod, run, container);
    const env = this.#env(host, run, container);
    const fsGroup = num(at(podContext, 'fsGroup'));
    const drop = strings(at(context, 'capabilities', 'drop'));
    const add = strings(at(context, 'capabilities', 'add'));
    const sandbox = await this.#docker.createContainer({
      name: `fk-${run.name}-sandbox-${randomBytes(3).toString('hex')}`,
      Image: busyboxImage,
      Cmd: ['sleep', '2147483647'],
      Labels: { ...this.#labels, 'fake-kubernetes.pod': `${run.namespace}/${run.name}` },
      HostConfig: { NetworkMode: 'none' },
    });
    run.sandbox = sandbox.id;
    await sandbox.start();
    const command = strings(container.command);
    const args = strings(container.args);
    const created = await this.#docker.createContainer({
      name: `fk-${run.name}-${run.container}-${randomBytes(3).toString('hex')}`,
      Image: run.image,
      ...(command.length > 0 ? { Entrypoint: command } : {}),
      ...(args.length > 0 ? { Cmd: args } : {}),
      Env: env,
      ...(uid === undefined ? {} : { User: gid === undefined ? `${uid}` : `${uid}:${gid}` }),
      Labels: {
        ...this.#labels,
        'fake-kubernetes.pod': `${run.namespace}/${run.name}`,
        'fake-kubernetes.container': run.container,
      },
      HostConfig: {
        NetworkMode: `container:${sandbox.id}`,
        RestartPolicy: { Name: 'always' },
        Mounts: mounts as never,
        ReadonlyRootfs: at(context, 'readOnlyRootFilesystem') === true,
        ...(fsGroup === undefined ? {} : { GroupAdd: [String(fsGroup)] }),
        CapDrop: drop,
        CapAdd: add,
        SecurityOpt: at(context, 'allowPrivilegeEscalation') === false ? ['no-new-privileges'] : [],
      },
    });
    run.id = created.id;
    if (run.stopped) return;
    await created.start();
    run.waiting = undefined;
    recordEvent(
      host.store,
      host.clock,
      pod,
      'Normal',
      'Started',
      `Started container ${run.container}`,
      'kubelet',
    );
  }

  #probes(container: JsonObject): Probe[] {
    const ports = list(container.ports).filter(isObject);
    const out: Probe[] = [];
    for (const kind of ['readiness', 'liveness'] as const) {
      const probe = at(container, `${kind}Probe`);
      const get = at(probe, 'httpGet');
      if (!isObject(get)) continue;
      const port =
        typeof get.port === 'number'
          ? get.port
          : num(ports.find((p) => p.name === get.port)?.containerPort);
      if (port === undefined) throw new Error(`${kind} probe: no port ${JSON.stringify(get.port)}`);
      const initialDelayMs = (num(at(probe, 'initialDelaySeconds')) ?? 0) * 1000;
      out.push({
        kind,
        port,
        path: str(get.path) ?? '/',
        initialDelayMs,
        periodMs: (num(at(probe, 'periodSeconds')) ?? 10) * 1000,
        timeoutSeconds: num(at(probe, 'timeoutSeconds')) ?? 1,
        failureThreshold: num(at(probe, 'failureThreshold')) ?? 3,
        next: Date.now() + initialDelayMs,
        failures: 0,
      });
    }
    return out;
  }

  /**
   * One HTTP GET from inside the pod's network namespace, as the kubelet's prober makes it
   * (User-Agent kube-probe/<version>; a status from 200 to 399 is a success). busybox `nc`
   * carries it (its `wget` crashes in a container without a network); the request is an
   * argument of a fixed script, never part of it.
   */
  async #get(run: PodRun, probe: Probe): Promise<{ ok: boolean; body: string }> {
    if (run.sandbox === undefined) return { ok: false, body: 'no sandbox' };
    const request =
      `GET ${probe.path} HTTP/1.0\r\nHost: 127.0.0.1:${probe.port}\r\n` +
      'User-Agent: kube-probe/1.33\r\nAccept: */*\r\n\r\n';
    const exec = await this.#docker.getContainer(run.sandbox).exec({
      Cmd: [
        'sh',
        '-c',
        'printf %s "$1" | nc -w "$2" 127.0.0.1 "$3"',
        'probe',
        request,
        String(probe.timeoutSeconds),
        String(probe.port),
      ],
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await exec.start({ hijack: true, stdin: false });
    let raw = Buffer.alloc(0);
    await new Promise<void>((resolve) => {
      stream.on('data', (chunk: Buffer) => (raw = Buffer.concat([raw, chunk])));
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', () => resolve());
    });
    let out = '';
    for (let p = 0; p + 8 <= raw.length; p += 8 + raw.readUInt32BE(p + 4)) {
      if (raw[p] === 1) out += raw.toString('utf8', p + 8, p + 8 + raw.readUInt32BE(p + 4));
    }
    const status = Number(/^HTTP\/1\.[01] (\d{3}) /.exec(out)?.[1] ?? 0);
    const split = out.indexOf('\r\n\r\n');
    const body = split < 0 ? `no answer (${out.slice(0, 200)})` : out.slice(split + 4).trim();
    return { ok: status >= 200 && status < 400, body };
  }

  async #run(host: KubeletHost, pod: JsonObject, run: PodRun): Promise<void> {
    host.store.mutate(pods, run.namespace, run.name, (p) => {
      if (isObject(p.spec)) p.spec.nodeName = NODE_NAME;
    });
    const container = list(at(pod, 'spec', 'containers')).filter(isObject)[0] ?? {};
    const probes = this.#probes(container);
    while (!run.stopped && run.id === undefined) {
      try {
        await this.#create(host, pod, run);
      } catch (error) {
        if (!(error instanceof PodError)) throw error;
        if (run.waiting?.reason !== error.reason) {
          recordEvent(
            host.store,
            host.clock,
            pod,
            'Warning',
            error.reason,
            error.message,
            'kubelet',
          );
        }
        run.waiting = { reason: error.reason, message: error.message };
      }
      if (!(await this.#observe(host, run))) return;
      if (run.id === undefined) await sleep(500);
    }
    const ready = probes.find((p) => p.kind === 'readiness');
    run.ready = ready === undefined;
    while (!run.stopped) {
      for (const probe of probes) {
        if (Date.now() < probe.next) continue;
        probe.next = Date.now() + probe.periodMs;
        const answer = await this.#get(run, probe);
        this.probes.push({ pod: run.name, kind: probe.kind, path: probe.path, ...answer });
        probe.failures = answer.ok ? 0 : probe.failures + 1;
        if (probe.kind === 'readiness') {
          if (answer.ok) run.ready = true;
          else if (probe.failures >= probe.failureThreshold) run.ready = false;
        } else if (probe.failures >= probe.failureThreshold && run.id !== undefined) {
          probe.failures = 0;
          await this.#docker.getContainer(run.id).restart();
        }
      }
      if (!(await this.#observe(host, run))) return;
      await sleep(200);
    }
  }

  /** Writes the pod's status; false when the pod is gone. */
  async #observe(host: KubeletHost, run: PodRun): Promise<boolean> {
    const info =
      run.id === undefined
        ? undefined
        : await this.#docker
            .getContainer(run.id)
            .inspect()
            .catch(() => undefined);
    const running = info !== undefined && info.State.Running && !info.State.Restarting;
    const ready = running && run.ready;
    const now = rfc3339(host.clock.now());
    const waiting = run.waiting ?? {
      reason: 'CrashLoopBackOff',
      message: `back-off restarting failed container=${run.container} pod=${run.name}`,
    };
    const containerStatus: JsonObject = {
      name: run.container,
      image: run.image,
      imageID: info === undefined ? '' : `docker://${info.Image}`,
      ready,
      started: running,
      restartCount: info?.RestartCount ?? 0,
      state: running
        ? { running: { startedAt: info.State.StartedAt.replace(/\.\d+Z$/, 'Z') } }
        : { waiting: { reason: waiting.reason, message: waiting.message } },
      lastState: {},
    };
    if (run.id !== undefined) containerStatus.containerID = `docker://${run.id}`;
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
            c.message = `containers with unready status: [${run.container}]`;
          }
          return c;
        };
        const status: JsonObject = {
          phase: run.id === undefined ? 'Pending' : 'Running',
          conditions: [
            cond('PodReadyToStartContainers', run.sandbox !== undefined),
            cond('Initialized', true),
            cond('Ready', ready),
            cond('ContainersReady', ready),
            cond('PodScheduled', true),
          ],
          hostIP: '10.0.0.1',
          startTime: str(at(p, 'status', 'startTime')) ?? now,
          containerStatuses: [containerStatus],
          qosClass: 'Burstable',
        };
        if (!jsonEqual(p.status, status)) p.status = status;
      },
      { status: true },
    );
    return updated !== undefined;
  }

  /** The id of the container running `pod` (for a test's own look inside). */
  containerOf(namespace: string, pod: string): string | undefined {
    return this.#pods.get(`${namespace}/${pod}`)?.id;
  }

  async logs(pod: JsonObject, container: string): Promise<string | undefined> {
    const run = this.#pods.get(`${namespaceOf(pod)}/${nameOf(pod)}`);
    if (run?.id === undefined || run.container !== container) return undefined;
    const raw = await this.#docker
      .getContainer(run.id)
      .logs({ stdout: true, stderr: true, follow: false });
    let out = '';
    for (let p = 0; p + 8 <= raw.length; p += 8 + raw.readUInt32BE(p + 4)) {
      out += raw.toString('utf8', p + 8, p + 8 + raw.readUInt32BE(p + 4));
    }
    return out;
  }

  async close(): Promise<void> {
    const runs = [...this.#pods.values()];
    this.#pods.clear();
    for (const run of runs) run.stopped = true;
    await Promise.all(
      runs.map(async (run) => {
        await run.done;
        await this.#remove(run);
      }),
    );
    for (const volume of this.#volumes) {
      await this.#docker
        .getVolume(volume)
        .remove()
        .catch((e: unknown) => this.errors.push(e as Error));
    }
    this.#volumes.clear();
    rmSync(this.#root, { recursive: true, force: true });
  }
}
