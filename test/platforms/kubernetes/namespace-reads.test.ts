/**
 * `status` of several services of one namespace reads the namespace once
 * (namespace-reads.ts): the same answers as one service at a time, two calls instead of two
 * per service, and the calls one at a time again when the bot may not list.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterConfig, KubernetesServiceDefinition } from '../../../src/config/kubernetes.ts';
import { ClusterClients } from '../../../src/platforms/kubernetes/client.ts';
import { KubernetesPlatform } from '../../../src/platforms/kubernetes/kubernetes-platform.ts';
import { matchesSelector } from '../../../src/platforms/kubernetes/namespace-reads.ts';
import {
  ALLOW_ALL,
  resourceByName,
  startFakeKubernetes,
  type FakeKubernetes,
} from '../../fakes/kubernetes/index.ts';
import { at } from '../../fakes/kubernetes/json.ts';
import { call } from '../../fakes/kubernetes/test-client.ts';

let fake: FakeKubernetes;
let platform: KubernetesPlatform;
const now = new Date('2030-01-01T00:00:00Z');

function service(
  name: string,
  workload: KubernetesServiceDefinition['workload'],
): KubernetesServiceDefinition {
  return {
    name,
    platform: 'kubernetes',
    cluster: 'lab',
    namespace: 'lms',
    workload,
    scale: { min: 1, max: 3 },
    health: { minRunning: 1, timeoutSeconds: 60 },
  };
}

const services = [
  service('a', { kind: 'Deployment', name: 'a' }),
  service('b', { kind: 'Deployment', name: 'b' }),
  service('web', { kind: 'Deployment', selector: { tier: 'web' } }),
  service('gone', { kind: 'Deployment', name: 'gone' }),
];

async function createDeployment(
  name: string,
  replicas: number,
  labels: Record<string, string>,
): Promise<void> {
  const reply = await call(fake, 'POST', '/apis/apps/v1/namespaces/lms/deployments', {
    body: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, labels },
      spec: {
        replicas,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name, ...labels } },
          spec: { containers: [{ name: 'app', image: `registry.test/${name}:1` }] },
        },
      },
    },
  });
  expect(reply.status).toBe(201);
}

/** The requests the fake answered while `work` ran. */
async function requestsDuring(work: () => Promise<unknown>): Promise<string[]> {
  const from = fake.requests.length;
  await work();
  return fake.requests.slice(from).map((r) => `${r.method} ${r.path}`);
}

beforeAll(async () => {
  fake = await startFakeKubernetes({ namespaces: ['lms'] });
  const kubeconfig = await fake.kubeconfigPath('pes@lab');
  const clusters = new Map<string, ClusterConfig>([
    ['lab', { name: 'lab', source: 'kubeconfig', kubeconfig, context: 'pes@lab' }],
  ]);
  platform = new KubernetesPlatform(new ClusterClients(clusters), { now: () => now });
  await createDeployment('a', 2, {});
  await createDeployment('b', 1, {});
  await createDeployment('front', 1, { tier: 'web' });
  // Not a service: its pods must not show under any.
  await createDeployment('other', 2, { tier: 'batch' });
  // Until every rollout is done (bounded by the hook's own timeout).
  const rolledOut = (): boolean =>
    fake.store
      .list(resourceByName('deployments'), 'lms')
      .every((d) => at(d, 'status', 'availableReplicas') === at(d, 'spec', 'replicas'));
  while (!rolledOut()) await new Promise((resolve) => setTimeout(resolve, 20));
});

afterAll(async () => {
  expect(fake.controllerErrors).toEqual([]);
  await fake.close();
});

describe('status of several services of one namespace', () => {
  it('answers as one service at a time does, from one list of workloads and one of pods', async () => {
    const alone = [];
    for (const s of services) alone.push(await platform.status(s));
    let together: unknown[] = [];
    const calls = await requestsDuring(async () => {
      together = await Promise.all(services.map((s) => platform.status(s)));
    });
    expect(together).toEqual(alone);
    expect(calls.sort()).toEqual([
      'GET /api/v1/namespaces/lms/pods',
      'GET /apis/apps/v1/namespaces/lms/deployments',
    ]);
    // What each got is its own: two pods of a, one of b, the selector's one, none for gone.
    expect(alone.map((s) => s.pods?.length)).toEqual([2, 1, 1, 0]);
  });

  it('reads each service on its own when the bot may not list the workloads', async () => {
    // A selector is found by a list in any case: only services named by name here.
    const named = services.filter((s) => 'name' in s.workload);
    const alone = [];
    for (const s of named) alone.push(await platform.status(s));
    fake.setRules([
      { verbs: ['get'], apiGroups: ['apps'], resources: ['deployments'] },
      { verbs: ['list'], apiGroups: [''], resources: ['pods'] },
    ]);
    try {
      let together: unknown[] = [];
      const calls = await requestsDuring(async () => {
        together = await Promise.all(named.map((s) => platform.status(s)));
      });
      expect(together).toEqual(alone);
      expect(
        calls.filter((c) => c.startsWith('GET /apis/apps/v1/namespaces/lms/deployments/')),
      ).toHaveLength(3);
    } finally {
      fake.setRules(ALLOW_ALL);
    }
  });
});

describe('matchesSelector', () => {
  it('follows the API server: matchLabels and every expression must hold', () => {
    const labels = { app: 'moodle', tier: 'web' };
    expect(matchesSelector(labels, undefined)).toBe(true);
    expect(matchesSelector(labels, {})).toBe(true);
    expect(matchesSelector(labels, { matchLabels: { app: 'moodle' } })).toBe(true);
    expect(matchesSelector(labels, { matchLabels: { app: 'moodle', tier: 'db' } })).toBe(false);
    const expr = (operator: string, values?: string[]) => ({
      matchExpressions: [{ key: 'tier', operator, ...(values ? { values } : {}) }],
    });
    expect(matchesSelector(labels, expr('In', ['web', 'api']))).toBe(true);
    expect(matchesSelector(labels, expr('In', ['db']))).toBe(false);
    expect(matchesSelector(labels, expr('NotIn', ['db']))).toBe(true);
    expect(matchesSelector({ app: 'x' }, expr('NotIn', ['web']))).toBe(true);
    expect(matchesSelector(labels, expr('NotIn', ['web']))).toBe(false);
    expect(matchesSelector(labels, expr('Exists'))).toBe(true);
    expect(matchesSelector({ app: 'x' }, expr('Exists'))).toBe(false);
    expect(matchesSelector(labels, expr('DoesNotExist'))).toBe(false);
    expect(matchesSelector(undefined, expr('DoesNotExist'))).toBe(true);
    expect(matchesSelector(labels, expr('Gt', ['1']))).toBe(false);
  });
});
