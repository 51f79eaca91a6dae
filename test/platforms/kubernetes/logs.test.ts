/** `logs` on a cluster: pods/log per pod of the workload, against the fake API server. */
import { V1Deployment } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterConfig, KubernetesServiceDefinition } from '../../../src/config/kubernetes.ts';
import { isUserError } from '../../../src/core/errors.ts';
import { ClusterClients, type KubeClients } from '../../../src/platforms/kubernetes/client.ts';
import { KubernetesPlatform } from '../../../src/platforms/kubernetes/kubernetes-platform.ts';
import { sinceSeconds } from '../../../src/platforms/kubernetes/logs.ts';
import { asModel } from '../../../src/platforms/kubernetes/workload-api.ts';
import {
  InMemoryKubelet,
  startFakeKubernetes,
  type FakeKubernetes,
} from '../../fakes/kubernetes/index.ts';

let fake: FakeKubernetes;
let clients: KubeClients;
let platform: KubernetesPlatform;

function service(name: string): KubernetesServiceDefinition {
  return {
    name,
    platform: 'kubernetes',
    cluster: 'lab',
    namespace: 'lms',
    workload: { kind: 'Deployment', name },
    scale: { min: 0, max: 4 },
    health: { minRunning: 1, timeoutSeconds: 60 },
  };
}

async function create(name: string, image: string, replicas: number): Promise<void> {
  const wire = {
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        // A sidecar: the log is the first container's, the service's own.
        spec: {
          containers: [
            { name: 'app', image },
            { name: 'sidecar', image: 'registry.test/sidecar:1' },
          ],
        },
      },
    },
  };
  await clients.apps.createNamespacedDeployment({
    namespace: 'lms',
    body: asModel(wire, V1Deployment),
  });
}

beforeAll(async () => {
  fake = await startFakeKubernetes({
    namespaces: ['lms'],
    kubelet: new InMemoryKubelet({
      logText: (pod, container) => {
        const name = String((pod['metadata'] as Record<string, unknown>)['name']);
        return ['one', 'two', 'three'].map((l) => `${container}@${name} ${l}\n`).join('');
      },
    }),
  });
  const kubeconfig = await fake.kubeconfigPath('pes@lab');
  const registry = new ClusterClients(
    new Map<string, ClusterConfig>([
      ['lab', { name: 'lab', source: 'kubeconfig', kubeconfig, context: 'pes@lab' }],
    ]),
  );
  clients = await registry.get('lab');
  platform = new KubernetesPlatform(registry);
  await create('moodle', 'registry.test/moodle:1', 2);
  await platform.restart(service('moodle'), () => undefined);
});

afterAll(async () => {
  await fake.close();
});

describe('logs of a service on a cluster', () => {
  it('gives the last lines of each pod’s own container', async () => {
    const logs = await platform.logs(service('moodle'), {
      lines: 2,
      since: undefined,
      container: undefined,
    });
    expect(logs).toHaveLength(2);
    for (const log of logs) {
      expect(log.text).toBe(`app@${log.container} two\napp@${log.container} three\n`);
    }
    expect(logs.map((l) => l.container)).toEqual([...logs.map((l) => l.container)].sort());
  });

  it('picks one pod by number or name, and names the choices otherwise', async () => {
    const all = await platform.logs(service('moodle'), {
      lines: 1,
      since: undefined,
      container: undefined,
    });
    const second = all[1]?.container ?? '';
    expect(
      await platform.logs(service('moodle'), { lines: 1, since: undefined, container: '2' }),
    ).toEqual([all[1]]);
    expect(
      await platform.logs(service('moodle'), { lines: 1, since: undefined, container: second }),
    ).toEqual([all[1]]);
    const error = await platform
      .logs(service('moodle'), { lines: 1, since: undefined, container: '3' })
      .catch((e: unknown) => e);
    expect(isUserError(error) && error.text('en')).toBe(`Service moodle has no container "3".`);
    expect(isUserError(error) && error.hint('en')).toBe(
      `Its containers: 1 (${all[0]?.container ?? ''}), 2 (${second})`,
    );
  });

  it('shows why a pod has no log yet instead of failing', async () => {
    await create('broken', 'registry.test/broken:1', 1);
    let text = '';
    // The kubelet reports the pull failure shortly after the pod is created.
    while (!text.includes('waiting to start')) {
      const logs = await platform.logs(service('broken'), {
        lines: 5,
        since: undefined,
        container: undefined,
      });
      text = logs[0]?.text ?? '';
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(text).toMatch(
      /^\(container "app" in pod "broken-[a-z0-9-]+" is waiting to start: trying and failing to pull image\)\n$/,
    );
  });

  it('turns --since into whole seconds, at least one', () => {
    const now = new Date('2026-12-06T12:00:00Z');
    expect(sinceSeconds(new Date('2026-12-06T11:58:00.500Z'), now)).toBe(120);
    expect(sinceSeconds(now, now)).toBe(1);
    expect(sinceSeconds(undefined, now)).toBeUndefined();
  });
});
