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
 * pod Pending, as the scheduler does. A real kubelet never copies image content into a claim;
 * Docker does (a named volume's copy-up: an empty volume takes the files, owner and mode of
 * the image's folder at the mount path), so every mount of a claim is made with
 * `VolumeOptions.NoCopy` but the very first one of a pod's container, which fills the new claim
 * from the image as a test convenience (a claim made ready by hand, as an installed site's).
 * Logs come from the engine (`pods/log`).
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

/**
 * A volume mount without Docker's copy-up. The engine's API takes VolumeOptions' fields
 * each optional; dockerode's types make Labels and DriverConfig required, and sending an
 * empty DriverConfig would name a driver.
 */
const noCopy = { NoCopy: true } as NonNullable<Docker.MountSettings['VolumeOptions']>;
const claims = resourceByName('persistentvolumeclaims');
const secrets = resourceByName('secrets');

export interface DockerKubeletOptions {
  readonly docker: Docker;
  /** Labels on every container (e.g. the test run's cleanup labels). */
  readonly labels?: Readonly<Record<string, string>>;
  /** Real milliseconds between two looks at a pod's containers (default 200). */
  readonly pollMs?: number;
  /**
   * The nodes this kubelet serves (default one, `fake-node`). A pod without `nodeName` is
   * bound to the first; a pod created with the `nodeName` of a node not served here is left
   * alone (Pending, no status), as on a cluster where that node is gone.
   */
  readonly nodes?: readonly string[];
  /** A busybox image the kubelet applies a pod's fsGroup to its volumes with. */
  readonly helperImage?: string;
}

interface ContainerRun {
  readonly name: string;
  readonly image: string;
  id: string | undefined;
  pullFailed: boolean;
  /** Why the kubelet did not make the container (CreateContainerConfigError). */
  configError?: string;
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
  /** restartPolicy Never: a container that exits ends the pod (Succeeded or Failed). */
  readonly restartNever: boolean;
  /** Waiting for its volumes to attach: containers not made yet (ContainerCreating). */
  attaching: boolean;
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
  readonly #nodes: readonly string[];
  readonly #helperImage: string;
  readonly #pods = new Map<string, PodRun>();
  /** Container removals under way: a claim's volume goes only after them. */
  readonly #removals = new Set<Promise<void>>();
  /** Claim volumes a pod's container mounted already: no copy-up for them any more. */
  readonly #mounted = new Set<string>();
  #unsubscribe: (() => void) | undefined;
  /** Failures of the engine calls (not of the pods): tests can assert it stays empty. */
  readonly errors: Error[] = [];

  constructor(options: DockerKubeletOptions) {
    this.#docker = options.docker;
    this.#labels = options.labels ?? {};
    this.#pollMs = options.pollMs ?? 200;
    this.#nodes = options.nodes ?? [NODE_NAME];
    this.#helperImage = options.helperImage ?? 'pes-test/busybox:1';
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
    const bound = str(at(pod, 'spec', 'nodeName')) ?? '';
    // Bound to a node no kubelet here serves: nothing runs it.
    if (type === 'ADDED' && bound !== '' && !this.#nodes.includes(bound)) return;
    if (type === 'ADDED' && !this.#pods.has(key)) {
      const run: PodRun = {
        restartNever: str(at(pod, 'spec', 'restartPolicy')) === 'Never',
        attaching: false,
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

  /**
   * Waits until every ReadWriteOnce claim of the pod is free of pods on other nodes: such a
   * volume attaches to one node at a time, and the attach/detach controller says so in a
   * FailedAttachVolume event while the pod waits in ContainerCreating (Persistent Volumes,
   * "Access Modes"). False when the pod was deleted meanwhile.
   */
  async #attach(host: KubeletHost, pod: JsonObject, node: string, run: PodRun): Promise<boolean> {
    const namespace = namespaceOf(pod);
    const claimNames = list(at(pod, 'spec', 'volumes'))
      .filter(isObject)
      .flatMap((v) => {
        const name = str(at(v, 'persistentVolumeClaim', 'claimName'));
        return name === undefined ? [] : [name];
      });
    let told = false;
    while (!run.stopped) {
      const holders = claimNames.flatMap((claimName) => {
        const claim = host.store.get(claims, namespace, claimName);
        const modes = strings(at(claim, 'spec', 'accessModes'));
        if (modes.includes('ReadWriteMany') || modes.includes('ReadOnlyMany')) return [];
        return host.store
          .list(pods, namespace)
          .filter(
            (p) =>
              nameOf(p) !== run.name &&
              this.#pods.has(`${namespace}/${nameOf(p)}`) &&
              (str(at(p, 'spec', 'nodeName')) ?? node) !== node &&
              list(at(p, 'spec', 'volumes')).some(
                (v) => at(v, 'persistentVolumeClaim', 'claimName') === claimName,
              ),
          )
          .map((p) => ({ claim, pod: nameOf(p) }));
      });
      const first = holders[0];
      if (first === undefined) {
        run.attaching = false;
        return true;
      }
      if (!told) {
        told = true;
        run.attaching = true;
        recordEvent(
          host.store,
          host.clock,
          pod,
          'Warning',
          'FailedAttachVolume',
          `Multi-Attach error for volume "pvc-${str(at(first.claim, 'metadata', 'uid')) ?? ''}" Volume is already used by pod(s) ${holders.map((h) => h.pod).join(', ')}`,
          'attachdetach-controller',
        );
        host.store.mutate(
          pods,
          run.namespace,
          run.name,
          (p) => {
            p.status = {
              phase: 'Pending',
              conditions: [{ type: 'PodScheduled', status: 'True' }],
              containerStatuses: run.containers.map((c) => ({
                name: c.name,
                image: c.image,
                imageID: '',
                ready: false,
                started: false,
                restartCount: 0,
                state: { waiting: { reason: 'ContainerCreating' } },
                lastState: {},
              })),
            };
          },
          { status: true },
        );
      }
      await sleep(this.#pollMs);
    }
    return false;
  }

  /**
   * A pod's fsGroup on the claims it mounts read-write, as the kubelet does for volumes that
   * support ownership management with the default fsGroupChangePolicy Always (Configure a
   * Security Context for a Pod, "fsGroup"): every file's group becomes fsGroup, group
   * read-write is added, and directories get the setgid bit so new files inherit the group.
   */
  async #applyFsGroup(pod: JsonObject, volumes: ReadonlyMap<string, string>): Promise<void> {
    const fsGroup = at(pod, 'spec', 'securityContext', 'fsGroup');
    if (typeof fsGroup !== 'number') return;
    const writable = list(at(pod, 'spec', 'volumes'))
      .filter(isObject)
      .filter((v) => at(v, 'persistentVolumeClaim', 'readOnly') !== true)
      .flatMap((v) => {
        const volume = volumes.get(str(v.name) ?? '');
        return volume === undefined ? [] : [volume];
      });
    for (const volume of writable) {
      const helper = await this.#docker.createContainer({
        Image: this.#helperImage,
        // The group is an argument ($1), not part of the script.
        Cmd: [
          'sh',
          '-c',
          'chgrp -R "$1" /v && chmod -R g+rwX /v && find /v -type d -exec chmod g+s {} +',
          'fsgroup',
          String(fsGroup),
        ],
        Labels: { ...this.#labels },
        HostConfig: {
          NetworkMode: 'none',
          Mounts: [{ Type: 'volume', Source: volume, Target: '/v', VolumeOptions: noCopy }],
        },
      });
      try {
        await helper.start();
        const exit = (await helper.wait()) as { StatusCode: number };
        if (exit.StatusCode !== 0)
          throw new Error(`fsGroup ${fsGroup} on ${volume}: exit ${exit.StatusCode}`);
      } finally {
        await helper.remove({ force: true }).catch(() => undefined);
      }
    }
  }

  /**
   * The container's security context as the engine's settings (API reference,
   * SecurityContext and PodSecurityContext; the container's fields win): user and group,
   * supplemental groups and fsGroup as added groups, capabilities, a read-only root, no
   * privilege escalation. runAsNonRoot with a container that would run as root is the
   * kubelet's CreateContainerConfigError, with its words.
   */
  async #securityConfig(
    pod: JsonObject,
    spec: JsonObject,
    image: string,
  ): Promise<{ user: string | undefined; host: Docker.HostConfig } | string> {
    const podLevel = isObject(at(pod, 'spec', 'securityContext'))
      ? (at(pod, 'spec', 'securityContext') as JsonObject)
      : {};
    const own = isObject(spec.securityContext) ? spec.securityContext : {};
    const num = (key: string): number | undefined => {
      const v = own[key] ?? podLevel[key];
      return typeof v === 'number' ? v : undefined;
    };
    const runAsUser = num('runAsUser');
    const runAsGroup = num('runAsGroup');
    const nonRoot = (own.runAsNonRoot ?? podLevel.runAsNonRoot) === true;
    if (nonRoot) {
      const imageUser =
        runAsUser === undefined
          ? ((await this.#docker.getImage(image).inspect()).Config.User ?? '')
          : String(runAsUser);
      const uid = imageUser.split(':')[0] ?? '';
      const where = `(pod: "${nameOf(pod)}_${namespaceOf(pod)}(${str(at(pod, 'metadata', 'uid')) ?? ''})", container: ${str(spec.name) ?? ''})`;
      if (uid === '' || uid === '0' || uid === 'root') {
        return `container has runAsNonRoot and image will run as root ${where}`;
      }
      if (!/^\d+$/.test(uid)) {
        return `container has runAsNonRoot and image has non-numeric user (${uid}), cannot verify user is non-root ${where}`;
      }
    }
    const groups = [
      ...(typeof podLevel.fsGroup === 'number' ? [podLevel.fsGroup] : []),
      ...list(podLevel.supplementalGroups).filter((g): g is number => typeof g === 'number'),
    ].map(String);
    const drop = strings(at(own, 'capabilities', 'drop'));
    const add = strings(at(own, 'capabilities', 'add'));
    return {
      user: runAsUser === undefined ? undefined : `${runAsUser}:${runAsGroup ?? 0}`,
      host: {
        ...(groups.length > 0 ? { GroupAdd: groups } : {}),
        ...(drop.length > 0 ? { CapDrop: drop } : {}),
        ...(add.length > 0 ? { CapAdd: add } : {}),
        ...(own.readOnlyRootFilesystem === true ? { ReadonlyRootfs: true } : {}),
        ...(own.allowPrivilegeEscalation === false
          ? { SecurityOpt: ['no-new-privileges:true'] }
          : {}),
      },
    };
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
    const node = str(at(pod, 'spec', 'nodeName')) ?? '';
    const nodeName = node === '' ? (this.#nodes[0] ?? NODE_NAME) : node;
    host.store.mutate(pods, run.namespace, run.name, (p) => {
      if (isObject(p.spec)) p.spec.nodeName = nodeName;
    });
    const specs = list(at(pod, 'spec', 'containers')).filter(isObject);
    const volumes = await this.#claimMounts(host, pod);
    if (volumes === undefined) return;
    if (!(await this.#attach(host, pod, nodeName, run))) return;
    await this.#applyFsGroup(pod, volumes);
    const podVolumes = list(at(pod, 'spec', 'volumes')).filter(isObject);
    const emptyDirs = new Set(
      podVolumes.filter((v) => isObject(v.emptyDir)).map((v) => str(v.name) ?? ''),
    );
    const readOnlyClaims = new Set(
      podVolumes
        .filter((v) => at(v, 'persistentVolumeClaim', 'readOnly') === true)
        .map((v) => str(v.name) ?? ''),
    );
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
        .flatMap((m): Docker.MountSettings[] => {
          const name = str(m.name) ?? '';
          const source = volumes.get(name);
          const target = str(m.mountPath);
          if (target === undefined) return [];
          // An emptyDir is writable by every user of the pod (Volumes, "emptyDir").
          if (emptyDirs.has(name)) {
            return [
              {
                Type: 'tmpfs',
                Source: '',
                Target: target,
                TmpfsOptions: { SizeBytes: 64 * 1024 * 1024, Mode: 0o1777 },
              },
            ];
          }
          if (source === undefined) return [];
          // Read-only when the mount or the claim volume says so (VolumeMount.readOnly,
          // PersistentVolumeClaimVolumeSource.readOnly).
          const readOnly = m.readOnly === true || readOnlyClaims.has(name);
          // Only a claim's first mount is filled from the image (see the file's comment).
          const first = !this.#mounted.has(source);
          this.#mounted.add(source);
          return [
            {
              Type: 'volume',
              Source: source,
              Target: target,
              ReadOnly: readOnly,
              ...(first ? {} : { VolumeOptions: noCopy }),
            },
          ];
        });
      const config = await this.#securityConfig(pod, spec, c.image);
      if (typeof config === 'string') {
        c.configError = config;
        continue;
      }
      const workingDir = str(spec.workingDir);
      const hostname = str(at(pod, 'spec', 'hostname'));
      const created = await this.#docker.createContainer({
        name: `fk-${run.name}-${c.name}-${randomBytes(3).toString('hex')}`,
        Image: c.image,
        ...(command.length > 0 ? { Entrypoint: command } : {}),
        ...(args.length > 0 ? { Cmd: args } : {}),
        Env: env,
        ...(workingDir === undefined ? {} : { WorkingDir: workingDir }),
        ...(hostname === undefined ? {} : { Hostname: hostname }),
        ...(config.user === undefined ? {} : { User: config.user }),
        Labels: {
          ...this.#labels,
          'fake-kubernetes.pod': `${run.namespace}/${run.name}`,
          'fake-kubernetes.container': c.name,
        },
        HostConfig: {
          NetworkMode: 'none',
          RestartPolicy: { Name: run.restartNever ? 'no' : 'always' },
          Mounts: mounts,
          ...config.host,
        },
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
    let ended = 0;
    let failed = 0;
    for (const c of run.containers) {
      if (c.configError !== undefined) {
        statuses.push({
          name: c.name,
          image: c.image,
          imageID: '',
          ready: false,
          started: false,
          restartCount: 0,
          state: { waiting: { reason: 'CreateContainerConfigError', message: c.configError } },
          lastState: {},
        });
        continue;
      }
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
      if (run.restartNever && !running && info.State.Status === 'exited') {
        // restartPolicy Never: the container stays terminated (Pod lifecycle, "Container
        // restart policy").
        ended += 1;
        if (info.State.ExitCode !== 0) failed += 1;
        statuses.push({
          name: c.name,
          image: c.image,
          imageID: `docker://${info.Image}`,
          containerID: `docker://${c.id}`,
          ready: false,
          started: false,
          restartCount: 0,
          state: {
            terminated: {
              exitCode: info.State.ExitCode,
              reason: info.State.ExitCode === 0 ? 'Completed' : 'Error',
              startedAt,
              finishedAt: info.State.FinishedAt.replace(/\.\d+Z$/, 'Z'),
            },
          },
          lastState: {},
        });
        continue;
      }
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
    const pulling = run.containers.some((c) => c.pullFailed || c.configError !== undefined);
    const phase =
      ended > 0 && ended === run.containers.length
        ? failed > 0
          ? 'Failed'
          : 'Succeeded'
        : pulling
          ? 'Pending'
          : 'Running';
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
          phase,
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
    // The caller gone, its output is read no more (kubelet.ts ExecStreams.hangup): Docker's
    // stream is left unread, so that the process blocks once its pipe is full instead of
    // running to its end unseen. Its stdin still ends (the pipe above half-closes it).
    // The wait ends with the hang-up too (the caller gets nothing more); the stream, left
    // paused, is destroyed once the process has ended, or when the kubelet closes.
    let hungUp = false;
    await new Promise<void>((resolve) => {
      io.hangup?.addEventListener(
        'abort',
        () => {
          hungUp = true;
          stream.pause();
          resolve();
        },
        { once: true },
      );
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', () => resolve());
    });
    if (hungUp) {
      this.#hungUp.add(stream);
      void this.#reap(exec, stream);
      return 0;
    }
    const info = await exec.inspect();
    return info.ExitCode ?? 0;
  }

  readonly #hungUp = new Set<{ destroy(): void }>();

  /** Destroys a hung-up exec's stream once its process has ended (or the kubelet closed). */
  async #reap(exec: Docker.Exec, stream: { destroy(): void }): Promise<void> {
    try {
      while (this.#hungUp.has(stream) && (await exec.inspect()).Running) await sleep(this.#pollMs);
    } catch {
      // The container is gone: so is the process.
    }
    this.#hungUp.delete(stream);
    stream.destroy();
  }

  async close(): Promise<void> {
    this.#unsubscribe?.();
    for (const stream of this.#hungUp) stream.destroy();
    this.#hungUp.clear();
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
