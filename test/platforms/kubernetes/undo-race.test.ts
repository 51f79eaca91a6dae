/**
 * The automatic undo when the Deployment controller has not yet made the new ReplicaSet
 * (here: no controllers at all, objects stay as written). kubectl's "previous revision" is
 * then the one before the pre-update revision; the undo must restore the template the
 * update started from.
 */
import { V1Deployment } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterConfig, KubernetesServiceDefinition } from '../../../src/config/kubernetes.ts';
import { ClusterClients, type KubeClients } from '../../../src/platforms/kubernetes/client.ts';
import { KubernetesPlatform } from '../../../src/platforms/kubernetes/kubernetes-platform.ts';
import { asModel } from '../../../src/platforms/kubernetes/workload-api.ts';
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
