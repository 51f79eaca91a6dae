/**
 * The platform when the API server misbehaves the way a real one does: a watch cut and its
 * history compacted mid-rollout (410 Gone), and a resourceVersion conflict during a scale.
 */
import { V1Deployment } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterConfig, KubernetesServiceDefinition } from '../../../src/config/kubernetes.ts';
import { isUserError } from '../../../src/core/errors.ts';
import { ClusterClients, type KubeClients } from '../../../src/platforms/kubernetes/client.ts';
import { KubernetesPlatform } from '../../../src/platforms/kubernetes/kubernetes-platform.ts';
import { asModel } from '../../../src/platforms/kubernetes/workload-api.ts';
import {
  InMemoryKubelet,
  resourceByName,
  startFakeKubernetes,
  type FakeKubernetes,
} from '../../fakes/kubernetes/index.ts';

let fake: FakeKubernetes;
let clients: KubeClients;
let registry: ClusterClients;

const web: KubernetesServiceDefinition = {
  name: 'web',
  platform: 'kubernetes',
  cluster: 'lab',
  namespace: 'lms',
  workload: { kind: 'Deployment', name: 'web' },
  scale: { min: 1, max: 4 },
  health: { minRunning: 1, timeoutSeconds: 60 },
};

beforeAll(async () => {
  // Pods take a while to start, so that a rollout is still running when the watch is cut.
  fake = await startFakeKubernetes({
    namespaces: ['lms'],
    kubelet: new InMemoryKubelet({ startDelayMs: 800 }),
  });
  const kubeconfig = await fake.kubeconfigPath('pes@lab');
  const clusters = new Map<string, ClusterConfig>([
    ['lab', { name: 'lab', source: 'kubeconfig', kubeconfig, context: 'pes@lab' }],
  ]);
  registry = new ClusterClients(clusters);
  clients = await registry.get('lab');
  const wire = {
    metadata: { name: 'web' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'app', image: 'registry.test/web:1' }] },
      },
    },
  };
  await clients.apps.createNamespacedDeployment({
    namespace: 'lms',
    body: asModel(wire, V1Deployment),
  });
});

afterAll(async () => {
  expect(fake.controllerErrors).toEqual([]);
  await fake.close();
});

const deploymentsPath = '/apis/apps/v1/namespaces/lms/deployments';

async function until(condition: () => boolean): Promise<void> {
  // Polls what the fake recorded; bounded by the test's own timeout.
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('a rollout whose watch is cut and compacted away', () => {
  it('lists again after 410 and still sees the rollout finish', async () => {
    const platform = new KubernetesPlatform(registry);
    const watches = () =>
      fake.requests.filter((r) => r.path === deploymentsPath && /[?&]watch=true/.test(r.query));
    const lists = () =>
      fake.requests.filter((r) => r.path === deploymentsPath && !/[?&]watch=/.test(r.query));
    const listsBefore = lists().length;
    const watchesBefore = watches().length;
    const restarting = platform.restart(web, () => undefined);
    await until(() => watches().length > watchesBefore);
    // All in one turn, before the client can reconnect: drop the connection, move the store
    // on, and forget the history the reconnect would start from.
    fake.cutWatches();
    fake.store.create(resourceByName('namespaces'), '', { metadata: { name: 'bump' } });
    fake.compact();
    const reports = await restarting;
    expect(reports.map((r) => r.health)).toEqual(['healthy', 'healthy']);
    // The first list, and the one after the 410.
    expect(lists().length - listsBefore).toBeGreaterThanOrEqual(2);
    expect((await platform.status(web)).state).toBe('up');
  });
});

describe('a scale that meets a conflict', () => {
  it('reads the Scale again and retries', async () => {
    let injected = false;
    // A client whose first Scale read is followed by someone else's change, so the write
    // carries a stale resourceVersion.
    const apps = new Proxy(clients.apps, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (prop !== 'readNamespacedDeploymentScale' || typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          const scale = (await (value as (...a: unknown[]) => Promise<unknown>).apply(
            target,
            args,
          )) as object;
          if (!injected) {
            injected = true;
            await clients.apps.patchNamespacedDeploymentScale(
              { name: 'web', namespace: 'lms', body: { spec: { replicas: 2 } } },
              // A merge patch: kubectl scale's own content type.
              (await import('@kubernetes/client-node')).setHeaderOptions(
                'Content-Type',
                'application/merge-patch+json',
              ),
            );
            await clients.apps.patchNamespacedDeployment(
              {
                name: 'web',
                namespace: 'lms',
                body: { metadata: { annotations: { touched: 'yes' } } },
              },
              (await import('@kubernetes/client-node')).setHeaderOptions(
                'Content-Type',
                'application/merge-patch+json',
              ),
            );
          }
          return scale;
        };
      },
    });
    const proxied: KubeClients = { ...clients, apps };
    const injecting = new (class extends ClusterClients {
      override get(): Promise<KubeClients> {
        return Promise.resolve(proxied);
      }
    })(new Map());
    const platform = new KubernetesPlatform(injecting);
    const puts = () =>
      fake.requests.filter((r) => r.method === 'PUT' && r.path === `${deploymentsPath}/web/scale`);
    // Planned without the injection: the plan's own dry-run write is not the one under test.
    const plan = await new KubernetesPlatform(registry).planScale(web, 3);
    const before = puts().length;
    const reports = await platform.scale(web, plan, () => undefined);
    expect(reports).toHaveLength(3);
    expect(
      puts()
        .slice(before)
        .map((r) => r.status),
    ).toEqual([409, 200]);
    const d = await clients.apps.readNamespacedDeployment({ name: 'web', namespace: 'lms' });
    expect(d.spec?.replicas).toBe(3);
  });
});

describe('an API server that stops answering once the change is made', () => {
  it('says the rollout failed for a reason not known, not that nothing was changed', async () => {
    let patched = false;
    const refused = (): Error =>
      new TypeError('fetch failed', {
        cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), {
          code: 'ECONNREFUSED',
        }),
      });
    // Every call after the patch fails as a connection refused would.
    const failingAfterPatch = <T extends object>(api: T): T =>
      new Proxy(api, {
        get(target, prop, receiver) {
          const value = Reflect.get(target, prop, receiver) as unknown;
          if (typeof value !== 'function') return value;
          return async (...args: unknown[]) => {
            if (patched) throw refused();
            const call = value as (...a: unknown[]) => Promise<unknown>;
            const answer: unknown = await call.apply(target, args);
            if (String(prop).startsWith('patch')) patched = true;
            return answer;
          };
        },
      });
    const proxied: KubeClients = {
      ...clients,
      apps: failingAfterPatch(clients.apps),
      core: failingAfterPatch(clients.core),
    };
    const injecting = new (class extends ClusterClients {
      override get(): Promise<KubeClients> {
        return Promise.resolve(proxied);
      }
    })(new Map());
    const platform = new KubernetesPlatform(injecting);
    const short: KubernetesServiceDefinition = {
      ...web,
      health: { minRunning: 1, timeoutSeconds: 2 },
    };
    const error = await platform.restart(short, () => undefined).catch((e: unknown) => e);
    expect(patched).toBe(true);
    expect(isUserError(error) && error.code).toBe('kubernetes-rollout-failed');
    if (!isUserError(error)) return;
    expect(error.text('en')).toBe(
      'web did not become healthy within 2 s: reason unknown: the API server could not be asked after the change.',
    );
    expect(error.text('ru')).toContain('причина неизвестна');
  });
});
