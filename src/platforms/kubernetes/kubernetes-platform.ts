/**
 * The verbs of the Platform port for services on a cluster: status, restart, scale, update
 * with automatic undo, and rollback, each done the way kubectl does it and followed the way
 * `kubectl rollout status` follows it. Services name their cluster; its client is built on
 * first use (client.ts).
 */
import type { KubernetesServiceDefinition } from '../../config/kubernetes.ts';
import { UserError } from '../../core/errors.ts';
import type {
  ContainerLogs,
  ContainerReport,
  ImageTarget,
  LogsRequest,
  ScalePlan,
  StepReporter,
  UpdatePlan,
} from '../../core/platform.ts';
import { follow, paused, planUndo, rollOut } from './change.ts';
import type { ClusterClients } from './client.ts';
import { planImage } from './image-patch.ts';
import { dryRunPatch, dryRunScale } from './dry-run.ts';
import { readLogs } from './logs.ts';
import { planRestart } from './restart-patch.ts';
import { resumeWorkload } from './service-power.ts';
import { stoppedReplicas } from './stop-annotation.ts';
import { undoneRevisionAnnotation } from './restore-template.ts';
import { nameOf, type Patch } from './rollout.ts';
import { NamespaceReads } from './namespace-reads.ts';
import { applyScale } from './scale.ts';
import { mapStatus, type KubernetesServiceStatus, type Workload } from './status-map.ts';
import { checkAccess, requireWorkload, resourceOf } from './workload-api.ts';

export class KubernetesPlatform {
  readonly name = 'kubernetes';
  private readonly clusters: ClusterClients;
  private readonly now: () => Date;
  private readonly reads = new NamespaceReads();

  constructor(clusters: ClusterClients, options: { now?: () => Date } = {}) {
    this.clusters = clusters;
    this.now = options.now ?? (() => new Date());
  }

  async status(service: KubernetesServiceDefinition): Promise<KubernetesServiceStatus> {
    const clients = await this.clusters.get(service.cluster);
    // `status` of every service asks for them all at once: one list per namespace.
    const { workload, pods } = await this.reads.read(clients, service);
    return mapStatus(service, workload, [...pods], this.now());
  }

  /** The last lines of each pod (or of one, by name or number). */
  async logs(service: KubernetesServiceDefinition, request: LogsRequest): Promise<ContainerLogs[]> {
    const clients = await this.clusters.get(service.cluster);
    return readLogs(clients, service, request, this.now());
  }

  /** `kubectl rollout restart`, then waits for the rollout; a failure names its reason. */
  async restart(
    service: KubernetesServiceDefinition,
    onStep: StepReporter,
    signal?: AbortSignal,
  ): Promise<ContainerReport[]> {
    const clients = await this.clusters.get(service.cluster);
    const workload = await requireWorkload(clients, service);
    // Left at 0 by a restore the bot did not live to finish: a rollout restart of no
    // replicas starts nothing; scale back to the replicas the stop kept (service-power.ts).
    if (stoppedReplicas(workload) !== undefined) {
      return resumeWorkload(clients, service, workload, 'restarted', onStep, signal);
    }
    const plan = planRestart(workload.object, this.now());
    if (plan.kind === 'paused') throw paused(service, workload);
    return rollOut(clients, service, workload, plan, 'restarted', onStep, signal);
  }

  async planScale(service: KubernetesServiceDefinition, replicas: number): Promise<ScalePlan> {
    if (replicas < service.scale.min || replicas > service.scale.max) {
      throw new UserError('scale-out-of-bounds', {
        service: service.name,
        requested: replicas,
        min: service.scale.min,
        max: service.scale.max,
      });
    }
    const clients = await this.clusters.get(service.cluster);
    const workload = await requireWorkload(clients, service);
    // The server's answer to the same write, kept nowhere (dry-run.ts).
    const after = await dryRunScale(clients, service, workload, replicas);
    // Pod names are chosen by the controller: there are none to list in advance.
    return {
      service: service.name,
      before: workload.object.spec.replicas ?? 1,
      after,
      create: [],
      remove: [],
    };
  }

  /** Through the scale subresource (scale.ts), then waits until the replicas are ready. */
  async scale(
    service: KubernetesServiceDefinition,
    plan: ScalePlan,
    onStep: StepReporter,
    signal?: AbortSignal,
  ): Promise<ContainerReport[]> {
    const clients = await this.clusters.get(service.cluster);
    const workload = await requireWorkload(clients, service);
    await checkAccess(clients, {
      cluster: service.cluster,
      namespace: service.namespace,
      verb: 'update',
      group: 'apps',
      resource: resourceOf[workload.kind],
      subresource: 'scale',
      name: nameOf(workload),
    });
    const started = Date.now();
    onStep({ fraction: 0.1, container: nameOf(workload), phase: 'creating' });
    await applyScale(clients, service, workload, plan.after);
    return follow(clients, service, workload, 'created', started, onStep, signal);
  }

  async planUpdate(service: KubernetesServiceDefinition, target: ImageTarget): Promise<UpdatePlan> {
    if (target.kind === 'previous') {
      // An image change cannot say "the revision before": that is an undo of the whole
      // template, which rollback() does; a plan with no changes would silently do nothing.
      throw new Error('the previous revision of a workload is restored by rollback()');
    }
    const clients = await this.clusters.get(service.cluster);
    const workload = await requireWorkload(clients, service);
    const plan = planImage(workload.object.spec.template, target);
    const wanted = new Map(plan.changes.map((c) => [c.container, c.to]));
    const patch = imagesPatch(workload, wanted);
    // What the server would store, kept nowhere (dry-run.ts): the plan shows its images.
    const stored =
      patch === undefined
        ? new Map<string, string>()
        : new Map(
            (await dryRunPatch(clients, service, workload, patch)).map((c) => [
              c.name,
              c.image ?? '',
            ]),
          );
    return {
      service: service.name,
      changes: plan.changes
        .filter((c) => c.from !== (stored.get(c.container) ?? c.from))
        .map((c) => ({
          container: c.container,
          from: { reference: c.from, id: '' },
          to: { reference: stored.get(c.container) ?? c.to, id: undefined },
        })),
      // The kubelet pulls on the nodes; nothing to fetch from here.
      pull: false,
    };
  }

  /**
   * Sets the new images and follows the rollout; when it does not become healthy within the
   * health timeout (or passes its progress deadline), undoes it the way `kubectl rollout
   * undo` does and says why.
   */
  async update(
    service: KubernetesServiceDefinition,
    plan: UpdatePlan,
    onStep: StepReporter,
    signal?: AbortSignal,
  ): Promise<ContainerReport[]> {
    const clients = await this.clusters.get(service.cluster);
    const workload = await requireWorkload(clients, service);
    // Each container to the reference the plan chose; the others as they are.
    const wanted = new Map(plan.changes.map((c) => [c.container, c.to.reference]));
    const patch = imagesPatch(workload, wanted);
    if (patch === undefined) return [];
    return rollOut(clients, service, workload, patch, 'updated', onStep, signal, true);
  }

  /** `kubectl rollout undo`: the previous revision, on demand. */
  async rollback(
    service: KubernetesServiceDefinition,
    onStep: StepReporter,
    signal?: AbortSignal,
  ): Promise<ContainerReport[]> {
    const clients = await this.clusters.get(service.cluster);
    const workload = await requireWorkload(clients, service);
    const undo = await planUndo(clients, service, workload);
    if (undo.kind === 'no-history') {
      throw new UserError('kubernetes-no-rollout-history', { service: service.name });
    }
    if (undo.kind === 'paused') throw paused(service, workload);
    // "skipped rollback": the template already is the previous revision's.
    if (undo.kind === 'skip') return [];
    // kubectl's undo toggles between the two newest revisions: right after an automatic
    // undo the previous one is the failed update itself (restore-template.ts).
    const undone = workload.object.metadata.annotations?.[undoneRevisionAnnotation];
    if (undone !== undefined && undone === undo.from) {
      throw new UserError('kubernetes-rollback-to-undone', { service: service.name });
    }
    return rollOut(clients, service, workload, undo, 'rolled-back', onStep, signal);
  }
}

/**
 * The patch that sets each named container to its image; undefined when none would change.
 * The same for the plan's dry run and the update itself.
 */
function imagesPatch(workload: Workload, wanted: ReadonlyMap<string, string>): Patch | undefined {
  const images = planImage(workload.object.spec.template, { kind: 'current' });
  const containers = images.changes
    .filter((c) => wanted.has(c.container) && wanted.get(c.container) !== c.from)
    .map((c) => ({ name: c.container, image: wanted.get(c.container) }));
  if (containers.length === 0) return undefined;
  return {
    contentType: images.contentType,
    patch: { spec: { template: { spec: { containers } } } },
  };
}
