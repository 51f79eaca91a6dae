/**
 * How an update on a cluster is put back: a cancel while it rolls out undoes it (as the
 * Docker update does), and the automatic undo restores the template read before the update.
 */
import { V1Deployment } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterConfig, KubernetesServiceDefinition } from '../../../src/config/kubernetes.ts';
import { isUserError } from '../../../src/core/errors.ts';
import { ClusterClients, type KubeClients } from '../../../src/platforms/kubernetes/client.ts';
import { KubernetesPlatform } from '../../../src/platforms/kubernetes/kubernetes-platform.ts';
import { asModel } from '../../../src/platforms/kubernetes/workload-api.ts';
import { startFakeKubernetes, type FakeKubernetes } from '../../fakes/kubernetes/index.ts';

let fake: FakeKubernetes;
let clients: KubeClients;
let platform: KubernetesPlatform;

function service(name: string, timeoutSeconds = 60): KubernetesServiceDefinition {
  return {
    name,
    platform: 'kubernetes',
    cluster: 'lab',
    namespace: 'lms',
    workload: { kind: 'Deployment', name },
    scale: { min: 0, max: 4 },
    health: { minRunning: 1, timeoutSeconds },
  };
}

async function createDeployment(name: string, image: string): Promise<void> {
  const wire = {
    metadata: { name },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image }] },
      },
    },
  };
  await clients.apps.createNamespacedDeployment({
    namespace: 'lms',
    body: asModel(wire, V1Deployment),
  });
}

async function imageOf(name: string): Promise<string | undefined> {
  const d = await clients.apps.readNamespacedDeployment({ name, namespace: 'lms' });
  return d.spec?.template.spec?.containers[0]?.image;
}

async function until(condition: () => boolean): Promise<void> {
  // Polls what the fake recorded; bounded by the test's own timeout.
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

beforeAll(async () => {
  fake = await startFakeKubernetes({ namespaces: ['lms'] });
  const kubeconfig = await fake.kubeconfigPath('pes@lab');
  const clusters = new Map<string, ClusterConfig>([
    ['lab', { name: 'lab', source: 'kubeconfig', kubeconfig, context: 'pes@lab' }],
  ]);
  const registry = new ClusterClients(clusters);
  clients = await registry.get('lab');
  platform = new KubernetesPlatform(registry);
});

afterAll(async () => {
  expect(fake.controllerErrors).toEqual([]);
  await fake.close();
});

describe('a cancel while the update rolls out', () => {
  it('puts the earlier template back, then reports the cancel', async () => {
    const svc = service('cancelled');
    await createDeployment('cancelled', 'registry.test/cancelled:1');
    await platform.restart(svc, () => undefined);
    // Its pods run but never become ready: the update waits until the cancel.
    const plan = await platform.planUpdate(svc, { kind: 'tag', tag: 'unready-2' });
    const path = '/apis/apps/v1/namespaces/lms/deployments';
    const patched = () =>
      fake.requests.some((r) => r.method === 'PATCH' && r.path === `${path}/cancelled`);
    const watching = () =>
      fake.requests.filter((r) => r.path === path && /[?&]watch=true/.test(r.query)).length;
    const controller = new AbortController();
    const reason = new Error('cancelled by the person');
    const updating = platform.update(svc, plan, () => undefined, controller.signal);
    const before = watching();
    await until(() => patched() && watching() > before);
    controller.abort(reason);
    await expect(updating).rejects.toBe(reason);
    expect(await imageOf('cancelled')).toBe('registry.test/cancelled:1');
    expect((await platform.status(svc)).state).toBe('up');
  });
});

describe('rollback after an automatic undo', () => {
  it('refuses to bring the failed update back', async () => {
    const svc = service('toggle');
    const short = service('toggle', 4);
    await createDeployment('toggle', 'registry.test/toggle:1');
    await platform.restart(svc, () => undefined);
    await platform.update(
      svc,
      await platform.planUpdate(svc, { kind: 'tag', tag: '2' }),
      () => undefined,
    );
    const undone = await platform
      .update(
        short,
        await platform.planUpdate(short, { kind: 'tag', tag: 'broken-3' }),
        () => undefined,
      )
      .catch((error: unknown) => error);
    expect(isUserError(undone) && undone.code).toBe('kubernetes-update-rolled-back');
    expect(await imageOf('toggle')).toBe('registry.test/toggle:2');
    const refused = await platform.rollback(short, () => undefined).catch((e: unknown) => e);
    expect(isUserError(refused) && refused.text('en')).toBe(
      'The previous revision of toggle is the failed update the bot already undid; a rollback would bring it back; nothing was changed.',
    );
    expect(await imageOf('toggle')).toBe('registry.test/toggle:2');
  });
});
