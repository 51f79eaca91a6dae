/**
 * One Kubernetes platform per configured cluster, each built the first time a command needs
 * a service on it: a cluster that cannot be reached or configured fails only the commands
 * on its own services, never `pes help` or a Docker service (client.ts builds the clients
 * lazily too).
 */
import type { ClusterConfig } from '../../config/kubernetes.ts';
import type { ServiceDefinition } from '../../core/catalog.ts';
import type { Platform } from '../../core/platform.ts';
import { ClusterClients, type ClusterClientOptions } from './client.ts';
import { KubernetesPlatform } from './kubernetes-platform.ts';
import { KubernetesPort } from './port-adapter.ts';

export class ClusterPorts {
  private readonly clusters: ReadonlyMap<string, ClusterConfig>;
  private readonly options: ClusterClientOptions & { readonly now?: () => Date };
  private readonly ports = new Map<string, KubernetesPort>();

  constructor(
    clusters: ReadonlyMap<string, ClusterConfig>,
    options: ClusterClientOptions & { readonly now?: () => Date } = {},
  ) {
    this.clusters = clusters;
    this.options = options;
  }

  /** The platform of the cluster a service names. */
  for(service: ServiceDefinition): Platform {
    const name = service.kubernetes?.cluster;
    if (name === undefined) throw new Error(`service ${service.name} names no cluster`);
    const known = this.ports.get(name);
    if (known !== undefined) return known;
    const cluster = this.clusters.get(name);
    // The configuration checks every service's cluster at load; this is a programming error.
    if (cluster === undefined) throw new Error(`no cluster ${name} configured`);
    const clients = new ClusterClients(new Map([[name, cluster]]), this.options);
    const { now } = this.options;
    const platform = new KubernetesPlatform(clients, now === undefined ? {} : { now });
    const port = new KubernetesPort(platform, clients, name);
    this.ports.set(name, port);
    return port;
  }
}
