/**
 * API clients per configured cluster, built on first use: the client library is imported
 * and the kubeconfig read only when a command needs that cluster, so a cluster that cannot
 * be reached or configured never stands in the way of `pes help` or a Docker service.
 */
import { accessSync, constants } from 'node:fs';
import { isIPv6 } from 'node:net';
import { join } from 'node:path';
import type { AppsV1Api, AuthorizationV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { ClusterConfig } from '../../config/kubernetes.ts';
import { UserError } from '../../core/errors.ts';
import { reuseConnections } from './connection-reuse.ts';

export interface KubeClients {
  readonly cluster: string;
  readonly config: KubeConfig;
  readonly apps: AppsV1Api;
  readonly core: CoreV1Api;
  readonly authorization: AuthorizationV1Api;
}

export interface ClusterClientOptions {
  /** Where a pod's service account is mounted; tests point it at a directory of their own. */
  readonly serviceAccountDir?: string;
  /** Where KUBERNETES_SERVICE_HOST / _PORT are read from. */
  readonly env?: NodeJS.ProcessEnv;
}

/** The kubelet mounts the service account here (Kubernetes docs, "Service account tokens"). */
export const defaultServiceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';

type ClientModule = typeof import('@kubernetes/client-node');

export class ClusterClients {
  private readonly built = new Map<string, Promise<KubeClients>>();

  private readonly clusters: ReadonlyMap<string, ClusterConfig>;
  private readonly options: ClusterClientOptions;

  constructor(clusters: ReadonlyMap<string, ClusterConfig>, options: ClusterClientOptions = {}) {
    this.clusters = clusters;
    this.options = options;
  }

  /** The clients of one cluster; a failure is not kept, so a fixed file is picked up. */
  get(name: string): Promise<KubeClients> {
    const known = this.built.get(name);
    if (known !== undefined) return known;
    const cluster = this.clusters.get(name);
    // The configuration checks every service's cluster at load; this is a programming error.
    if (cluster === undefined) return Promise.reject(new Error(`no cluster ${name} configured`));
    const promise = buildClients(cluster, this.options);
    this.built.set(name, promise);
    promise.catch(() => this.built.delete(name));
    return promise;
  }
}

async function buildClients(
  cluster: ClusterConfig,
  options: ClusterClientOptions,
): Promise<KubeClients> {
  // Checked before the import, so a pod-less machine gets the clear line quickly.
  const inCluster =
    cluster.source === 'in-cluster' ? inClusterFacts(cluster.name, options) : undefined;
  const k8s: ClientModule = await import('@kubernetes/client-node');
  const config = new k8s.KubeConfig();
  if (cluster.source === 'kubeconfig') {
    try {
      config.loadFromFile(cluster.kubeconfig);
      config.setCurrentContext(cluster.context);
    } catch (error) {
      throw new UserError(
        'kubernetes-config-failed',
        { cluster: cluster.name, path: cluster.kubeconfig, ...loadReason(error) },
        { cause: error },
      );
    }
    if (config.getCurrentCluster() === null) {
      throw new UserError('kubernetes-config-failed', {
        cluster: cluster.name,
        path: cluster.kubeconfig,
        reasonRu: `контекст «${cluster.context}» не называет ни одного кластера этого файла`,
        reasonEn: `context "${cluster.context}" names no cluster of the file`,
      });
    }
  } else if (inCluster !== undefined) {
    loadInCluster(config, inCluster);
  }
  reuseConnections(config);
  return {
    cluster: cluster.name,
    config,
    apps: config.makeApiClient(k8s.AppsV1Api),
    core: config.makeApiClient(k8s.CoreV1Api),
    authorization: config.makeApiClient(k8s.AuthorizationV1Api),
  };
}

/** Only the kind of failure: the library's messages can quote the file, and so a token. */
function loadReason(error: unknown): { reasonRu: string; reasonEn: string } {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return { reasonRu: 'такого файла нет', reasonEn: 'no such file' };
  if (code === 'EACCES') return { reasonRu: 'нет прав на чтение', reasonEn: 'permission denied' };
  if (code === 'EISDIR') return { reasonRu: 'это каталог', reasonEn: 'it is a directory' };
  return { reasonRu: 'это не kubeconfig', reasonEn: 'it is not a valid kubeconfig' };
}

interface InClusterFacts {
  readonly server: string;
  readonly dir: string;
}

/**
 * What client-node's `loadFromCluster` assumes without checking: the service host and port
 * in the environment and a readable token. Missing, it would talk to `https://undefined`.
 */
function inClusterFacts(cluster: string, options: ClusterClientOptions): InClusterFacts {
  const env = options.env ?? process.env;
  const dir = options.serviceAccountDir ?? defaultServiceAccountDir;
  const host = env['KUBERNETES_SERVICE_HOST'];
  const port = env['KUBERNETES_SERVICE_PORT'];
  if (host === undefined || host === '' || port === undefined || port === '') {
    throw new UserError('kubernetes-not-in-cluster', {
      cluster,
      whyRu: 'нет переменных KUBERNETES_SERVICE_HOST и KUBERNETES_SERVICE_PORT',
      whyEn: 'KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set',
    });
  }
  const token = join(dir, 'token');
  try {
    accessSync(token, constants.R_OK);
  } catch (error) {
    throw new UserError(
      'kubernetes-not-in-cluster',
      {
        cluster,
        whyRu: `нельзя прочитать токен сервисного аккаунта ${token}`,
        whyEn: `the service account token ${token} cannot be read`,
      },
      { cause: error },
    );
  }
  // The same address rules as client-node's loadFromCluster (src/config.ts): plain http
  // only on the ports a local proxy uses, IPv6 in brackets.
  const scheme = port === '80' || port === '8080' || port === '8001' ? 'http' : 'https';
  const address = isIPv6(host) ? `[${host}]` : host;
  return { server: `${scheme}://${address}:${port}`, dir };
}

function loadInCluster(config: KubeConfig, facts: InClusterFacts): void {
  config.loadFromOptions({
    clusters: [
      {
        name: 'in-cluster',
        server: facts.server,
        caFile: join(facts.dir, 'ca.crt'),
        skipTLSVerify: false,
      },
    ],
    // tokenFile: the library re-reads the file, since projected tokens are rotated by the
    // kubelet while the bot runs.
    users: [
      {
        name: 'service-account',
        authProvider: { name: 'tokenFile', config: { tokenFile: join(facts.dir, 'token') } },
      },
    ],
    contexts: [{ name: 'in-cluster', cluster: 'in-cluster', user: 'service-account' }],
    currentContext: 'in-cluster',
  });
}
