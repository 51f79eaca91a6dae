/**
 * The whole Platform port for services on a cluster: status, logs, restart, scale, update and
 * rollback go to KubernetesPlatform; provisioning to instances.ts on the cluster the
 * configuration provisions on; stop and start (around a restore) scale the workload to 0 and
 * back (service-power.ts); a service's volumes are claims reached by claim pods when the
 * cluster has settings for them (`forService`, claim-volumes.ts); every other verb but exec
 * (provisioning elsewhere, tar streams of volumes) is refused with one line naming it, so
 * nothing pretends to have worked. The commands stay as they are: `rollback` plans the `previous` image, which
 * on a cluster is the undo of the last rollout (`kubectl rollout undo`).
 */
import type { Readable } from 'node:stream';
import type { KubernetesServiceDefinition } from '../../config/kubernetes.ts';
import type { ServiceDefinition } from '../../core/catalog.ts';
import { UserError } from '../../core/errors.ts';
import type {
  ContainerLogs,
  ContainerReport,
  DeprovisionPlan,
  ExecOptions,
  ExecResult,
  ImageTarget,
  LogsRequest,
  Platform,
  ProvisionPlan,
  ScalePlan,
  ServiceStatus,
  StepReporter,
  StreamedOutput,
  UpdatePlan,
  VolumeFiles,
  WorkloadSpec,
} from '../../core/platform.ts';
import type { ClaimAccessSettings } from './claim-site.ts';
import { ClaimVolumes } from './claim-volumes.ts';
import { startWorkload, stopWorkload } from './service-power.ts';
import { paused, planUndo } from './change.ts';
import type { ClusterClients, KubeClients } from './client.ts';
import type { ClusterInstances } from './instances.ts';
import { databaseExecTarget } from './database-target.ts';
import { execInPod } from './exec-stream.ts';
import { parseExecTarget, type ExecTarget } from './exec-target.ts';
import type { KubernetesPlatform } from './kubernetes-platform.ts';
import { undoImages } from './undo-images.ts';
import { requireWorkload } from './workload-api.ts';

/** The one line for a verb the cluster does not do yet. */
export function notSupported(verb: string): UserError {
  return new UserError('kubernetes-not-supported', { verb });
}

/** The platform's view of a catalog service; a service without a cluster is a wiring fault. */
export function onCluster(service: ServiceDefinition): KubernetesServiceDefinition {
  const placement = service.kubernetes;
  if (service.platform !== 'kubernetes' || placement === undefined) {
    throw new Error(`service ${service.name} is not on a Kubernetes cluster`);
  }
  return {
    name: service.name,
    ...(service.description === undefined ? {} : { description: service.description }),
    platform: 'kubernetes',
    cluster: placement.cluster,
    namespace: placement.namespace,
    workload: placement.workload,
    scale: service.scale,
    health: service.health,
  };
}

export class KubernetesPort implements Platform {
  readonly name = 'kubernetes';
  private readonly platform: KubernetesPlatform;
  private readonly clusters: ClusterClients;
  /** Plans made for `previous`: their update is an undo of the last rollout. */
  private readonly undoPlans = new WeakSet<UpdatePlan>();

  /** The one cluster this port serves: `exec` names a pod, not a service. */
  private readonly cluster: string;

  /** How claim pods are made on this cluster; none: volumes are not reached here. */
  private readonly claims: ClaimAccessSettings | undefined;

  /** Set on a view bound to one service (`forService`). */
  readonly volumeFiles?: VolumeFiles;
  private readonly bound?: ClaimVolumes;

  constructor(
    platform: KubernetesPlatform,
    clusters: ClusterClients,
    cluster = '',
    claims?: ClaimAccessSettings,
  ) {
    this.platform = platform;
    this.clusters = clusters;
    this.cluster = cluster;
    this.claims = claims;
  }

  /**
   * This port bound to one service: its volumes are claims of the service's namespace
   * (a volume's name carries none). A view that shares everything else with this port.
   */
  forService(service: ServiceDefinition): KubernetesPort {
    if (this.claims === undefined || service.kubernetes === undefined) return this;
    const def = onCluster(service);
    const volumes = new ClaimVolumes(
      () => this.clusters.get(def.cluster),
      def,
      service.volumes,
      this.claims,
    );
    const view = Object.create(this) as KubernetesPort;
    Object.defineProperties(view, {
      bound: { value: volumes },
      volumeFiles: { value: volumes.files },
    });
    return view;
  }

  status(service: ServiceDefinition): Promise<ServiceStatus> {
    return this.platform.status(onCluster(service));
  }

  logs(service: ServiceDefinition, request: LogsRequest): Promise<ContainerLogs[]> {
    return this.platform.logs(onCluster(service), request);
  }

  restart(
    service: ServiceDefinition,
    onStep: StepReporter,
    signal?: AbortSignal,
  ): Promise<ContainerReport[]> {
    return this.platform.restart(onCluster(service), onStep, signal);
  }

  planScale(service: ServiceDefinition, replicas: number): Promise<ScalePlan> {
    return this.platform.planScale(onCluster(service), replicas);
  }

  scale(
    service: ServiceDefinition,
    plan: ScalePlan,
    onStep: StepReporter,
    signal?: AbortSignal,
  ): Promise<ContainerReport[]> {
    return this.platform.scale(onCluster(service), plan, onStep, signal);
  }

  async planUpdate(service: ServiceDefinition, target: ImageTarget): Promise<UpdatePlan> {
    const def = onCluster(service);
    if (target.kind !== 'previous') return this.platform.planUpdate(def, target);
    const plan = await this.planRollback(def);
    this.undoPlans.add(plan);
    return plan;
  }

  update(
    service: ServiceDefinition,
    plan: UpdatePlan,
    onStep: StepReporter,
    signal?: AbortSignal,
  ): Promise<ContainerReport[]> {
    const def = onCluster(service);
    return this.undoPlans.has(plan)
      ? this.platform.rollback(def, onStep, signal)
      : this.platform.update(def, plan, onStep, signal);
  }

  /**
   * What `kubectl rollout undo` would change, as image changes per container; an earlier
   * revision that differs in something else than images (a restart) changes no image.
   */
  private async planRollback(service: KubernetesServiceDefinition): Promise<UpdatePlan> {
    const clients = await this.clusters.get(service.cluster);
    const workload = await requireWorkload(clients, service);
    const undo = await planUndo(clients, service, workload);
    if (undo.kind === 'no-history') {
      throw new UserError('kubernetes-no-rollout-history', { service: service.name });
    }
    if (undo.kind === 'paused') throw paused(service, workload);
    const current = workload.object.spec.template.spec?.containers ?? [];
    const earlier = undo.kind === 'skip' ? new Map<string, string>() : undoImages(undo.patch);
    const changes = current.flatMap((c) => {
      const to = earlier.get(c.name);
      if (to === undefined || to === c.image) return [];
      return [
        {
          container: c.name,
          from: { reference: c.image ?? '', id: '' },
          to: { reference: to, id: undefined },
        },
      ];
    });
    // The kubelet pulls on the nodes; nothing to fetch from here.
    return { service: service.name, changes, pull: false };
  }

  /**
   * Provisioned instances, when the configuration provisions on this cluster
   * (`provision.cluster`; set by cluster-ports.ts); else those verbs are refused.
   */
  instances: ClusterInstances | undefined;

  planProvision(spec: WorkloadSpec): Promise<ProvisionPlan> {
    return this.instances?.planProvision(spec) ?? refuse(`provision ${spec.name}`);
  }

  provision(
    spec: WorkloadSpec,
    onStep: StepReporter,
    signal?: AbortSignal,
  ): Promise<ContainerReport[]> {
    return this.instances?.provision(spec, onStep, signal) ?? refuse(`provision ${spec.name}`);
  }

  planDeprovision(instance: string, deleteData: boolean): Promise<DeprovisionPlan> {
    return (
      this.instances?.planDeprovision(instance, deleteData) ?? refuse(`deprovision ${instance}`)
    );
  }

  deprovision(
    plan: DeprovisionPlan,
    onStep: StepReporter,
    signal?: AbortSignal,
  ): Promise<ContainerReport[]> {
    return (
      this.instances?.deprovision(plan, onStep, signal) ?? refuse(`deprovision ${plan.instance}`)
    );
  }

  /** A claim as a tar (an empty claim's backup, claim-tar.ts), on a view of a service. */
  readVolume(volume: string, signal?: AbortSignal): Promise<StreamedOutput> {
    return this.bound?.readTar(volume, signal) ?? refuse(`backup of volume ${volume}`);
  }

  writeVolume(volume: string, input: Readable, signal?: AbortSignal): Promise<void> {
    if (this.bound !== undefined) return this.bound.writeTar(volume, input, signal);
    // The caller opened the stream for us; nobody else will read it.
    input.resume();
    return refuse(`restore of volume ${volume}`);
  }

  /** `container` is `<namespace>/<pod>[/<container>]` (exec-target.ts). */
  async exec(
    container: string,
    argv: readonly string[],
    options: ExecOptions,
    signal?: AbortSignal,
  ): Promise<ExecResult> {
    let target: ExecTarget;
    let clients: KubeClients;
    try {
      target = parseExecTarget(this.cluster, container);
      clients = await this.clusters.get(this.cluster);
    } catch (error) {
      // Streams handed to a run that never starts are closed, as after a failed run.
      options.stdin?.resume();
      options.stdout?.destroy();
      throw error;
    }
    // execInPod settles the streams itself: an input is let flow only if nothing started;
    // once the command has taken part of it, the rest must not be drained to nowhere.
    return execInPod(clients, target, argv, options, signal);
  }

  /** `<namespace>/<pod>/<container>` a database of the service runs in now (database-target.ts). */
  async databaseTarget(
    service: ServiceDefinition,
    database: string,
    signal?: AbortSignal,
  ): Promise<string> {
    const def = onCluster(service);
    const place = service.databases.find((db) => db.name === database)?.cluster;
    if (place === undefined)
      throw new Error(`service ${service.name} has no cluster database ${database}`);
    const clients = await this.clusters.get(def.cluster);
    return databaseExecTarget(clients, def, { name: database, place }, signal);
  }

  /** Scales the workload to 0, keeping its replicas in an annotation (service-power.ts). */
  async stopService(service: ServiceDefinition, signal?: AbortSignal): Promise<string[]> {
    const def = onCluster(service);
    return stopWorkload(await this.clusters.get(def.cluster), def, signal);
  }

  /** Scales it back to the replicas kept and waits until they are ready. */
  async startService(service: ServiceDefinition, signal?: AbortSignal): Promise<string[]> {
    const def = onCluster(service);
    return startWorkload(await this.clusters.get(def.cluster), def, signal);
  }

  createScratchVolume(
    labels: Readonly<Record<string, string>>,
    signal?: AbortSignal,
  ): Promise<string> {
    return (
      this.bound?.createScratch(labels, signal) ?? refuse('scratch volume for a restore drill')
    );
  }

  removeVolume(name: string): Promise<void> {
    return this.bound?.remove(name) ?? refuse(`removal of volume ${name}`);
  }
}

function refuse<T>(verb: string): Promise<T> {
  return Promise.reject(notSupported(verb));
}
