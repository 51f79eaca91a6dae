/**
 * The automatic undo when the Deployment controller has not yet made the new ReplicaSet
 * (here: no controllers at all, objects stay as written). kubectl's "previous revision" is
 * then the one before the pre-update revision; the undo must restore the template the
 * update started from.
 */
import { V1Deployment } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterConfig, KubernetesServiceDefinition } from '../../../src/config/kubernetes.ts';
import { isUserError } from '../../../src/core/errors.ts';
import { ClusterClients, type KubeClients } from '../../../src/platforms/kubernetes/client.ts';
import { restoreTemplate } from '../../../src/platforms/kubernetes/restore-template.ts';
import type { Workload } from '../../../src/platforms/kubernetes/status-map.ts';
import { KubernetesPlatform } from '../../../src/platforms/kubernetes/kubernetes-platform.ts';
import { asModel, requireWorkload } from '../../../src/platforms/kubernetes/workload-api.ts';
import {
  resourceByName,
  startFakeKubernetes,
  type FakeKubernetes,
} from '../../fakes/kubernetes/index.ts';

let fake: FakeKubernetes;
let clients: KubeClients;
let platform: KubernetesPlatform;

const web: KubernetesServiceDefinition = {
  name: 'web',
  platform: 'kubernetes',
  cluster: 'lab',
  namespace: 'lms',
  workload: { kind: 'Deployment', name: 'web' },
  scale: { min: 1, max: 4 },
  health: { minRunning: 1, timeoutSeconds: 1 },
};

function template(image: string) {
  return {
    metadata: { labels: { app: 'web' } },
    spec: { containers: [{ name: 'app', image }] },
  };
}

beforeAll(async () => {
  fake = await startFakeKubernetes({ namespaces: ['lms'], controllers: false });
  const kubeconfig = await fake.kubeconfigPath('pes@lab');
  const clusters = new Map<string, ClusterConfig>([
    ['lab', { name: 'lab', source: 'kubeconfig', kubeconfig, context: 'pes@lab' }],
  ]);
  const registry = new ClusterClients(clusters);
  clients = await registry.get('lab');
  platform = new KubernetesPlatform(registry);
});

afterAll(async () => {
  await fake.close();
});

describe('an update undone before the controller made its ReplicaSet', () => {
  it('goes back to the template it started from, not two versions back', async () => {
    const created = await clients.apps.createNamespacedDeployment({
      namespace: 'lms',
      body: asModel(
        {
          metadata: { name: 'web', annotations: { 'deployment.kubernetes.io/revision': '2' } },
          spec: {
            replicas: 1,
            selector: { matchLabels: { app: 'web' } },
            template: template('registry.test/web:2'),
          },
        },
        V1Deployment,
      ),
    });
    const owner = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'web',
      uid: created.metadata?.uid ?? '',
      controller: true,
    };
    // The history a controller would have left: revision 1 (web:1) and 2 (web:2, current).
    for (const [revision, hash] of [
      ['1', 'aaaa1'],
      ['2', 'bbbb2'],
    ] as const) {
      const t = template(`registry.test/web:${revision}`);
      fake.store.create(resourceByName('replicasets'), 'lms', {
        metadata: {
          name: `web-${hash}`,
          labels: { app: 'web', 'pod-template-hash': hash },
          annotations: { 'deployment.kubernetes.io/revision': revision },
          ownerReferences: [owner],
        },
        spec: {
          replicas: 0,
          selector: { matchLabels: { app: 'web', 'pod-template-hash': hash } },
          template: { ...t, metadata: { labels: { app: 'web', 'pod-template-hash': hash } } },
        },
      });
    }
    const plan = await platform.planUpdate(web, { kind: 'tag', tag: '3' });
    // Nothing ever becomes healthy without controllers: the undo cannot be seen through,
    // but what it wrote is what this test is about.
    await platform.update(web, plan, () => undefined).catch(() => undefined);
    const d = await clients.apps.readNamespacedDeployment({ name: 'web', namespace: 'lms' });
    expect(d.spec?.template.spec?.containers[0]?.image).toBe('registry.test/web:2');
  });
});

describe("the undo meeting someone else's write (409 Conflict)", () => {
  const api: KubernetesServiceDefinition = {
    ...web,
    name: 'api',
    workload: { kind: 'Deployment', name: 'api' },
  };
  const deployments = resourceByName('deployments');

  /** `api` at api:1, read as the update reads it, then changed to api:2 as the update does. */
  async function updated(): Promise<Workload> {
    await clients.apps
      .deleteNamespacedDeployment({ name: 'api', namespace: 'lms' })
      .catch(() => undefined);
    await clients.apps.createNamespacedDeployment({
      namespace: 'lms',
      body: asModel(
        {
          metadata: { name: 'api' },
          spec: {
            replicas: 1,
            selector: { matchLabels: { app: 'web' } },
            template: template('registry.test/api:1'),
          },
        },
        V1Deployment,
      ),
    });
    const before = await requireWorkload(clients, api);
    fake.store.mutate(deployments, 'lms', 'api', (o) => {
      const spec = o.spec as { template: { spec: { containers: { image: string }[] } } };
      const first = spec.template.spec.containers[0];
      if (first !== undefined) first.image = 'registry.test/api:2';
    });
    return before;
  }

  /** Clients whose first patch of `api` is preceded by `meanwhile` (another writer). */
  function racing(meanwhile: () => void): KubeClients {
    let done = false;
    const apps = new Proxy(clients.apps, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (prop !== 'patchNamespacedDeployment' || typeof value !== 'function') return value;
        const call = value as (...a: unknown[]) => Promise<unknown>;
        return (...args: unknown[]) => {
          if (!done) {
            done = true;
            meanwhile();
          }
          return call.apply(target, args);
        };
      },
    });
    return { ...clients, apps };
  }

  function patchStatuses(): number[] {
    return fake.requests
      .filter(
        (r) => r.method === 'PATCH' && r.path === '/apis/apps/v1/namespaces/lms/deployments/api',
      )
      .map((r) => r.status);
  }

  it('reads again and writes when only the status moved', async () => {
    const before = await updated();
    const seen = patchStatuses().length;
    const moved = racing(() => {
      fake.store.mutate(
        deployments,
        'lms',
        'api',
        (o) => {
          o.status = { observedGeneration: 2 };
        },
        { status: true },
      );
    });
    await restoreTemplate(moved, api, before);
    expect(patchStatuses().slice(seen)).toEqual([409, 200]);
    const d = await clients.apps.readNamespacedDeployment({ name: 'api', namespace: 'lms' });
    expect(d.spec?.template.spec?.containers[0]?.image).toBe('registry.test/api:1');
  });

  it('leaves a template someone else changed meanwhile', async () => {
    const before = await updated();
    const seen = patchStatuses().length;
    const changed = racing(() => {
      fake.store.mutate(deployments, 'lms', 'api', (o) => {
        const spec = o.spec as { template: { spec: { containers: { image: string }[] } } };
        const first = spec.template.spec.containers[0];
        if (first !== undefined) first.image = 'registry.test/api:hotfix';
      });
    });
    const error = await restoreTemplate(changed, api, before).catch((e: unknown) => e);
    expect(isUserError(error) && error.code).toBe('kubernetes-changed-meanwhile');
    expect(patchStatuses().slice(seen)).toEqual([409]);
    const d = await clients.apps.readNamespacedDeployment({ name: 'api', namespace: 'lms' });
    expect(d.spec?.template.spec?.containers[0]?.image).toBe('registry.test/api:hotfix');
  });
});
