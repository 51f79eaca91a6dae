/**
 * A service on a cluster for the chat harnesses (test/fakes/mattermost/harness.ts,
 * test/chat/matrix/harness.ts): `wiki`, a Deployment on the fake API server
 * (test/fakes/kubernetes), beside the harnesses' Docker services on a status-only platform,
 * with the faults the chat tests inject: a Scale read followed by someone else's write (a
 * 409 on the bot's write), a rule set without `patch`, a server that is gone.
 */
import { setHeaderOptions } from '@kubernetes/client-node';
import type { ClusterConfig } from '../../src/config/kubernetes.ts';
import type { Catalog, ServiceDefinition } from '../../src/core/catalog.ts';
import type { Platform, ServiceStatus } from '../../src/core/platform.ts';
import { ClusterClients, type KubeClients } from '../../src/platforms/kubernetes/client.ts';
import { KubernetesPlatform } from '../../src/platforms/kubernetes/kubernetes-platform.ts';
import { KubernetesPort } from '../../src/platforms/kubernetes/port-adapter.ts';
import { startFakeKubernetes, type FakeKubernetes } from '../fakes/kubernetes/index.ts';
import { call } from '../fakes/kubernetes/test-client.ts';
import { fakePlatform } from './bot.ts';

export const wiki: ServiceDefinition = {
  name: 'wiki',
  platform: 'kubernetes',
  containers: {},
  scale: { min: 0, max: 4 },
  // Long enough for a rollout on a loaded machine; a broken image fails by its pull error
  // and the progress deadline below, not by this.
  health: { minRunning: 1, timeoutSeconds: 120 },
  volumes: [],
  databases: [],
  kubernetes: { cluster: 'lab', namespace: 'lms', workload: { kind: 'Deployment', name: 'wiki' } },
};

/** The Docker services of the harness catalogs, both up with one container. */
function dockerStatus(service: string): ServiceStatus {
  return {
    service,
    state: 'up',
    containers: [
      {
        name: `${service}-1`,
        id: `${service}-id`,
        state: 'running',
        health: 'healthy',
        image: `registry.test/${service}`,
        tag: '1.0',
        startedAt: new Date(Date.now() - 3_600_000),
        restartCount: 0,
      },
    ],
  };
}

export interface ClusterBed {
  readonly fake: FakeKubernetes;
  readonly clients: KubeClients;
  /** The catalog change for the harness: `wiki` added. */
  readonly catalog: (base: Catalog) => Catalog;
  /** The platform per service for the harness. */
  readonly platform: (service: ServiceDefinition) => Platform;
  /**
   * The Scale read after the next `skip` ones (the plan's dry run reads one first) is
   * followed by someone else's change: the write after it gets one 409.
   */
  injectScaleConflict(skip: number): void;
  /** The cluster's port points at a server that no longer answers, until `revive`. */
  kill(): Promise<void>;
  revive(): void;
  /** `wiki`'s first container image and replicas, as the server has them. */
  deployment(): Promise<{ image: string | undefined; replicas: number | undefined }>;
  close(): Promise<void>;
}

export async function startClusterBed(): Promise<ClusterBed> {
  // 1 real second = 30 virtual ones: a progress deadline of 300 s passes in 10 s.
  const fake = await startFakeKubernetes({ namespaces: ['lms'], timeScale: 30 });
  const created = await call(fake, 'POST', '/apis/apps/v1/namespaces/lms/deployments', {
    body: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'wiki' },
      spec: {
        replicas: 2,
        progressDeadlineSeconds: 300,
        selector: { matchLabels: { app: 'wiki' } },
        template: {
          metadata: { labels: { app: 'wiki' } },
          spec: { containers: [{ name: 'app', image: 'registry.test/wiki:1.0' }] },
        },
      },
    },
  });
  if (created.status !== 201) throw new Error(`wiki not created: ${created.status}`);
  const kubeconfig = await fake.kubeconfigPath('pes@lab');
  const clusters = new Map<string, ClusterConfig>([
    ['lab', { name: 'lab', source: 'kubeconfig', kubeconfig, context: 'pes@lab' }],
  ]);
  const clients = await new ClusterClients(clusters).get('lab');
  let conflict: number | undefined;
  // A Scale read that someone else's write follows: the bot's write then carries a stale
  // resourceVersion and gets the server's 409 (test/platforms/kubernetes/platform-faults).
  const apps = new Proxy(clients.apps, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (prop !== 'readNamespacedDeploymentScale' || typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const scale: unknown = await (value as (...a: unknown[]) => Promise<unknown>).apply(
          target,
          args,
        );
        if (conflict !== undefined && conflict-- === 0) {
          conflict = undefined;
          await clients.apps.patchNamespacedDeployment(
            {
              name: 'wiki',
              namespace: 'lms',
              body: { metadata: { annotations: { by: 'other' } } },
            },
            setHeaderOptions('Content-Type', 'application/merge-patch+json'),
          );
        }
        return scale;
      };
    },
  });
  let dead: KubeClients | undefined;
  const live: KubeClients = { ...clients, apps };
  const registry = new (class extends ClusterClients {
    override get(): Promise<KubeClients> {
      return Promise.resolve(dead ?? live);
    }
  })(new Map());
  const port = new KubernetesPort(new KubernetesPlatform(registry), registry, 'lab');
  const docker = fakePlatform({
    moodle: dockerStatus('moodle'),
    keycloak: dockerStatus('keycloak'),
  });
  return {
    fake,
    clients,
    catalog: (base) => ({ ...base, services: new Map([...base.services, ['wiki', wiki]]) }),
    platform: (service) => (service.platform === 'kubernetes' ? port : docker),
    injectScaleConflict: (skip) => {
      conflict = skip;
    },
    async kill() {
      // Clients of a server that then goes away: its port answers nothing.
      const gone = await startFakeKubernetes();
      const path = await gone.kubeconfigPath('pes@lab');
      dead = await new ClusterClients(
        new Map<string, ClusterConfig>([
          ['lab', { name: 'lab', source: 'kubeconfig', kubeconfig: path, context: 'pes@lab' }],
        ]),
      ).get('lab');
      await gone.close();
    },
    revive: () => {
      dead = undefined;
    },
    async deployment() {
      const d = await clients.apps.readNamespacedDeployment({ name: 'wiki', namespace: 'lms' });
      return { image: d.spec?.template.spec?.containers[0]?.image, replicas: d.spec?.replicas };
    },
    close: () => fake.close(),
  };
}
