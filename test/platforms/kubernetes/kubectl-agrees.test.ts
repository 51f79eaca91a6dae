/**
 * The bot's rollout status and undo held to the real kubectl (the pinned binary of
 * test/helpers/kubectl.ts) on the same objects of the fake API server: what kubectl's
 * `rollout status` prints and what its `rollout undo` writes are what the pure modules say.
 */
import { V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterConfig, KubernetesServiceDefinition } from '../../../src/config/kubernetes.ts';
import { ClusterClients, type KubeClients } from '../../../src/platforms/kubernetes/client.ts';
import { KubernetesPlatform } from '../../../src/platforms/kubernetes/kubernetes-platform.ts';
import type { Deployment, StatefulSet } from '../../../src/platforms/kubernetes/objects.ts';
import {
  deploymentRolloutStatus,
  statefulSetRolloutStatus,
} from '../../../src/platforms/kubernetes/rollout-status.ts';
import { semanticEqual } from '../../../src/platforms/kubernetes/semantic-equal.ts';
import { planDeploymentUndo, planStatefulSetUndo } from '../../../src/platforms/kubernetes/undo.ts';
import {
  asModel,
  listControllerRevisions,
  listReplicaSets,
  toWire,
} from '../../../src/platforms/kubernetes/workload-api.ts';
import { startFakeKubernetes, type FakeKubernetes } from '../../fakes/kubernetes/index.ts';
import { kubectl } from '../../helpers/kubectl.ts';

let fake: FakeKubernetes;
let kubeconfig: string;
let clients: KubeClients;
let platform: KubernetesPlatform;

function service(name: string, kind: 'Deployment' | 'StatefulSet'): KubernetesServiceDefinition {
  return {
    name,
    platform: 'kubernetes',
    cluster: 'lab',
    namespace: 'lms',
    workload: { kind, name },
    scale: { min: 0, max: 4 },
    health: { minRunning: 1, timeoutSeconds: 60 },
  };
}

function spec(name: string, image: string, extra: Record<string, unknown> = {}) {
  return {
    replicas: 2,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name }, annotations: { note: image } },
      spec: { containers: [{ name: 'app', image, env: [{ name: 'A', value: '1' }] }] },
    },
    ...extra,
  };
}

async function readDeployment(name: string): Promise<Deployment> {
  return toWire(
    await clients.apps.readNamespacedDeployment({ name, namespace: 'lms' }),
  ) as Deployment;
}

async function readStatefulSet(name: string): Promise<StatefulSet> {
  return toWire(
    await clients.apps.readNamespacedStatefulSet({ name, namespace: 'lms' }),
  ) as StatefulSet;
}

beforeAll(async () => {
  fake = await startFakeKubernetes({ namespaces: ['lms'] });
  kubeconfig = await fake.kubeconfigPath('pes@lab');
  const registry = new ClusterClients(
    new Map<string, ClusterConfig>([
      ['lab', { name: 'lab', source: 'kubeconfig', kubeconfig, context: 'pes@lab' }],
    ]),
  );
  clients = await registry.get('lab');
  platform = new KubernetesPlatform(registry);
});

afterAll(async () => {
  await fake.close();
});

describe('kubectl and the bot on the same Deployment', () => {
  const svc = service('moodle', 'Deployment');

  it('agree that a finished rollout is done, in the same words', async () => {
    await clients.apps.createNamespacedDeployment({
      namespace: 'lms',
      body: asModel(
        { metadata: { name: 'moodle' }, spec: spec('moodle', 'registry.test/moodle:1') },
        V1Deployment,
      ),
    });
    await platform.update(
      svc,
      await platform.planUpdate(svc, { kind: 'tag', tag: '2' }),
      () => undefined,
    );
    const result = await kubectl(kubeconfig, [
      'rollout',
      'status',
      'deployment/moodle',
      '-n',
      'lms',
      '--timeout=30s',
    ]);
    expect(result.code).toBe(0);
    const ours = deploymentRolloutStatus(await readDeployment('moodle'));
    expect(ours.state).toBe('done');
    expect(result.stdout.trim()).toBe(ours.message);
  });

  it('agree on what an undo writes: the previous template and annotations', async () => {
    const before = await readDeployment('moodle');
    const plan = planDeploymentUndo(
      before,
      await listReplicaSets(clients, svc, before.spec.selector),
    );
    if (plan.kind !== 'patch') throw new Error(`expected a patch, got ${plan.kind}`);
    const ops = plan.patch as { path: string; value: unknown }[];
    const result = await kubectl(kubeconfig, ['rollout', 'undo', 'deployment/moodle', '-n', 'lms']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe('deployment.apps/moodle rolled back');
    const after = await readDeployment('moodle');
    expect(after.spec.template.spec?.containers[0]?.image).toBe('registry.test/moodle:1');
    expect(semanticEqual(after.spec.template, ops[0]?.value)).toBe(true);
    // Both write the Deployment's own revision back; the controller then numbers the
    // restored template as the next revision.
    const written = { ...(ops[1]?.value as Record<string, string>) };
    expect(written['deployment.kubernetes.io/revision']).toBe('2');
    expect(after.metadata.annotations).toEqual({
      ...written,
      'deployment.kubernetes.io/revision': '3',
    });
  });

  it('agree that a passed progress deadline is a failure', async () => {
    await clients.apps.createNamespacedDeployment({
      namespace: 'lms',
      body: asModel(
        {
          metadata: { name: 'stuck' },
          spec: spec('stuck', 'registry.test/broken:1', { progressDeadlineSeconds: 1 }),
        },
        V1Deployment,
      ),
    });
    const result = await kubectl(kubeconfig, [
      'rollout',
      'status',
      'deployment/stuck',
      '-n',
      'lms',
      '--timeout=30s',
    ]);
    expect(result.code).toBe(1);
    const ours = deploymentRolloutStatus(await readDeployment('stuck'));
    expect(ours).toEqual({
      state: 'failed',
      message: 'deployment "stuck" exceeded its progress deadline',
    });
    expect(result.stderr).toContain(ours.message);
  });
});

describe('kubectl and the bot on the same StatefulSet', () => {
  const svc = service('db', 'StatefulSet');

  it('agree on status and on what an undo writes', async () => {
    await clients.apps.createNamespacedStatefulSet({
      namespace: 'lms',
      body: asModel(
        {
          metadata: { name: 'db' },
          spec: { ...spec('db', 'registry.test/pg:16.3'), serviceName: 'db' },
        },
        V1StatefulSet,
      ),
    });
    await platform.update(
      svc,
      await platform.planUpdate(svc, { kind: 'tag', tag: '16.4' }),
      () => undefined,
    );
    const status = await kubectl(kubeconfig, [
      'rollout',
      'status',
      'statefulset/db',
      '-n',
      'lms',
      '--timeout=30s',
    ]);
    expect(status.code).toBe(0);
    const ours = statefulSetRolloutStatus(await readStatefulSet('db'));
    expect(ours.state).toBe('done');
    expect(status.stdout.trim().split('\n').at(-1)).toBe(ours.message);

    const before = await readStatefulSet('db');
    const plan = planStatefulSetUndo(
      before,
      await listControllerRevisions(clients, svc, before.spec.selector),
    );
    if (plan.kind !== 'patch') throw new Error(`expected a patch, got ${plan.kind}`);
    const undo = await kubectl(kubeconfig, ['rollout', 'undo', 'statefulset/db', '-n', 'lms']);
    expect(undo.code, undo.stderr).toBe(0);
    const after = await readStatefulSet('db');
    const wanted = (plan.patch as { spec: { template: Record<string, unknown> } }).spec.template;
    const { $patch, ...template } = wanted;
    expect($patch).toBe('replace');
    expect(after.spec.template.spec?.containers[0]?.image).toBe('registry.test/pg:16.3');
    expect(semanticEqual(after.spec.template, template)).toBe(true);
  });
});
