/**
 * One Kubernetes platform per configured cluster, each built the first time a command needs
 * a service on it: a cluster that cannot be reached or configured fails only the commands
 * on its own services, never `pes help` or a Docker service (client.ts builds the clients
 * lazily too). The cluster the configuration provisions on also serves the provisioning
 * verbs (instances.ts).
 */
import type { ClusterConfig } from '../../config/kubernetes.ts';
import type { ServiceDefinition } from '../../core/catalog.ts';
import type { Platform } from '../../core/platform.ts';
import { ClusterClients, type ClusterClientOptions, type KubeClients } from './client.ts';
import { ClusterInstances } from './instances.ts';
import { KubernetesPlatform } from './kubernetes-platform.ts';
import { sweepClaimPods } from './claim-pod.ts';
import { sweepScratchClaims } from './scratch-claim.ts';
import type { ClaimAccessSettings } from './claim-site.ts';
import { KubernetesPort } from './port-adapter.ts';
import type { Placement } from './provision-api.ts';

export class ClusterPorts {
  private readonly clusters: ReadonlyMap<string, ClusterConfig>;
  private readonly options: ClusterClientOptions & {
    readonly now?: () => Date;
    /** Per cluster: how claim pods reach its volumes (none: volumes are refused). */
    readonly claims?: ReadonlyMap<string, ClaimAccessSettings>;
  };
  private readonly ports = new Map<string, KubernetesPort>();
  private readonly services = new Map<string, KubernetesPort>();

  /** Where provisioned instances go (`provision.cluster` / `.namespace`); none: not here. */
  private readonly provision: Placement | undefined;

  constructor(
    clusters: ReadonlyMap<string, ClusterConfig>,
    options: ClusterClientOptions & {
      readonly now?: () => Date;
      readonly claims?: ReadonlyMap<string, ClaimAccessSettings>;
    } = {},
    provision?: Placement,
  ) {
    this.clusters = clusters;
    this.options = options;
    this.provision = provision;
  }

  /** The platform of the cluster provisioned instances go to; undefined: they go to Docker. */
  provisioning(): Platform | undefined {
    return this.provision === undefined ? undefined : this.forCluster(this.provision.cluster);
  }

  /** The platform of the cluster a service names. */
  for(service: ServiceDefinition): Platform {
    const name = service.kubernetes?.cluster;
    if (name === undefined) throw new Error(`service ${service.name} names no cluster`);
    const known = this.services.get(service.name);
    if (known !== undefined) return known;
    const port = this.forCluster(name).forService(service);
    this.services.set(service.name, port);
    return port;
  }

  /**
   * Deletes the claim pods a process that is gone left (killed before it could; claim-pod.ts
   * `claimPodLeft`), in every namespace of `services` on a cluster with claim settings.
   * Returns what was deleted, as `<cluster>/<namespace>/<pod>`; a failure (a cluster that
   * cannot be reached) is thrown for the caller to log: the pods then end by their deadline.
   */
  async sweepClaimPods(
    services: readonly ServiceDefinition[],
    isAlive: (pid: number) => boolean,
  ): Promise<string[]> {
    return this.#sweep(services, (clients, namespace) =>
      sweepClaimPods(clients, namespace, isAlive),
    );
  }

  /**
   * The same for the drills' scratch claims a process on this host that is gone left
   * (scratch-claim.ts `sweepScratchClaims`), as `<cluster>/<namespace>/<claim>`.
   */
  async sweepScratchClaims(
    services: readonly ServiceDefinition[],
    isAlive: (pid: number) => boolean,
  ): Promise<string[]> {
    return this.#sweep(services, (clients, namespace) =>
      sweepScratchClaims(clients, namespace, isAlive),
    );
  }

  async #sweep(
    services: readonly ServiceDefinition[],
    sweep: (clients: KubeClients, namespace: string) => Promise<string[]>,
  ): Promise<string[]> {
    const places = new Set(
      services.flatMap((s) =>
        s.kubernetes === undefined || this.#claimsOf(s.kubernetes.cluster) === undefined
          ? []
          : [`${s.kubernetes.cluster}/${s.kubernetes.namespace}`],
      ),
    );
    const removed: string[] = [];
    for (const place of places) {
      const [cluster = '', namespace = ''] = place.split('/');
      const config = this.clusters.get(cluster);
      if (config === undefined) continue;
      const clients = await new ClusterClients(new Map([[cluster, config]]), this.options).get(
        cluster,
      );
      for (const name of await sweep(clients, namespace)) removed.push(`${place}/${name}`);
    }
    return removed;
  }

  /** The claim pods' settings of a cluster: given to the constructor, else configured. */
  #claimsOf(name: string): ClaimAccessSettings | undefined {
    const cluster = this.clusters.get(name);
    return (
      this.options.claims?.get(name) ?? (cluster === undefined ? undefined : claimSettings(cluster))
    );
  }

  private forCluster(name: string): KubernetesPort {
    const known = this.ports.get(name);
    if (known !== undefined) return known;
    const cluster = this.clusters.get(name);
    // The configuration checks every service's cluster at load; this is a programming error.
    if (cluster === undefined) throw new Error(`no cluster ${name} configured`);
    const clients = new ClusterClients(new Map([[name, cluster]]), this.options);
    const { now } = this.options;
    const platform = new KubernetesPlatform(clients, now === undefined ? {} : { now });
    const claims = this.#claimsOf(name);
    const port = new KubernetesPort(platform, clients, name, claims);
    if (this.provision?.cluster === name) {
      port.instances = new ClusterInstances(clients, this.provision);
    }
    this.ports.set(name, port);
    return port;
  }
}

/** `clusters.<name>.backups` as the claim pods' settings; none when not configured. */
export function claimSettings(cluster: ClusterConfig): ClaimAccessSettings | undefined {
  const b = cluster.backups;
  if (b === undefined) return undefined;
  const runAs = {
    ...(b.runAsUser === undefined ? {} : { runAsUser: b.runAsUser }),
    ...(b.runAsGroup === undefined ? {} : { runAsGroup: b.runAsGroup }),
    ...(b.fsGroup === undefined ? {} : { fsGroup: b.fsGroup }),
  };
  return {
    image: b.image,
    ...(b.startSeconds === undefined ? {} : { startSeconds: b.startSeconds }),
    ...(b.deadlineSeconds === undefined ? {} : { deadlineSeconds: b.deadlineSeconds }),
    ...(b.repositoryClaim === undefined ? {} : { repositoryClaim: b.repositoryClaim }),
    ...(b.repositoryPath === undefined ? {} : { repositoryInClaim: b.repositoryPath }),
    ...(b.engineUser === undefined ? {} : { engineUser: b.engineUser }),
    ...(Object.keys(runAs).length === 0 ? {} : { runAs }),
  };
}
