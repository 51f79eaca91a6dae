/**
 * The Kubernetes platform's verbs against the fake API server (test/fakes/kubernetes): its
 * controllers roll Deployments and StatefulSets out, its kubelet makes an image named
 * `broken` fail to pull and one named `crash` crash-loop, as a node would.
 */
import { V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterConfig, KubernetesServiceDefinition } from '../../../src/config/kubernetes.ts';
import { isUserError, type UserError } from '../../../src/core/errors.ts';
import type { StepEvent } from '../../../src/core/platform.ts';
import { ClusterClients, type KubeClients } from '../../../src/platforms/kubernetes/client.ts';
import { KubernetesPlatform } from '../../../src/platforms/kubernetes/kubernetes-platform.ts';
import { asModel } from '../../../src/platforms/kubernetes/workload-api.ts';
import {
  ALLOW_ALL,
  startFakeKubernetes,
  type FakeKubernetes,
} from '../../fakes/kubernetes/index.ts';

let fake: FakeKubernetes;
let clients: KubeClients;
let platform: KubernetesPlatform;

function service(
  name: string,
  kind: 'Deployment' | 'StatefulSet',
  timeoutSeconds = 60,
): KubernetesServiceDefinition {
  return {
    name,
    platform: 'kubernetes',
    cluster: 'lab',
    namespace: 'lms',
    workload: { kind, name },
    scale: { min: 0, max: 4 },
    health: { minRunning: 1, timeoutSeconds },
  };
}

function template(name: string, image: string) {
  return {
    metadata: { labels: { app: name } },
    spec: { containers: [{ name: 'app', image }] },
  };
}

async function createDeployment(name: string, image: string, replicas = 2): Promise<void> {
  const wire = {
    metadata: { name },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: template(name, image) },
  };
  await clients.apps.createNamespacedDeployment({
    namespace: 'lms',
    body: asModel(wire, V1Deployment),
  });
}

async function createStatefulSet(name: string, image: string, replicas = 2): Promise<void> {
  const wire = {
    metadata: { name },
    spec: {
      replicas,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: template(name, image),
    },
  };
  await clients.apps.createNamespacedStatefulSet({
    namespace: 'lms',
    body: asModel(wire, V1StatefulSet),
  });
}

async function imageOf(name: string): Promise<string | undefined> {
  const d = await clients.apps.readNamespacedDeployment({ name, namespace: 'lms' });
  return d.spec?.template.spec?.containers[0]?.image;
}

async function failure(run: Promise<unknown>): Promise<UserError> {
  const error = await run.then(
    () => expect.fail('expected it to fail'),
    (e: unknown) => e,
  );
  if (isUserError(error)) return error;
  throw error;
}

const steps: StepEvent[] = [];
const onStep = (event: StepEvent): void => {
  steps.push(event);
};

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

describe('a Deployment through the platform', () => {
  const moodle = service('moodle', 'Deployment');

  it('reports it missing before it exists, then up with every pod', async () => {
    expect((await platform.status(moodle)).state).toBe('missing');
    await createDeployment('moodle', 'registry.test/moodle:4.5.1');
    // The restart waits for the rollout as kubectl does, so the pods are ready after it.
    const reports = await platform.restart(moodle, onStep);
    expect(reports).toHaveLength(2);
    expect(reports.every((r) => r.action === 'restarted' && r.health === 'healthy')).toBe(true);
    const status = await platform.status(moodle);
    expect(status.state).toBe('up');
    expect(status.workload?.replicas).toEqual({ desired: 2, updated: 2, ready: 2, available: 2 });
    expect(status.workload?.rollout.state).toBe('done');
    expect(status.containers.map((c) => c.tag)).toEqual(['4.5.1', '4.5.1']);
    const d = await clients.apps.readNamespacedDeployment({ name: 'moodle', namespace: 'lms' });
    expect(d.spec?.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    );
  });

  it('updates to a good tag and waits until every new pod is ready', async () => {
    const plan = await platform.planUpdate(moodle, { kind: 'tag', tag: '4.5.2' });
    expect(plan.changes).toEqual([
      {
        container: 'app',
        from: { reference: 'registry.test/moodle:4.5.1', id: '' },
        to: { reference: 'registry.test/moodle:4.5.2', id: undefined },
      },
    ]);
    const reports = await platform.update(moodle, plan, onStep);
    expect(reports.map((r) => [r.action, r.health])).toEqual([
      ['updated', 'healthy'],
      ['updated', 'healthy'],
    ]);
    expect(await imageOf('moodle')).toBe('registry.test/moodle:4.5.2');
    expect((await platform.status(moodle)).containers.map((c) => c.tag)).toEqual([
      '4.5.2',
      '4.5.2',
    ]);
  });

  it('rolls back on demand to the revision before, as kubectl rollout undo does', async () => {
    const reports = await platform.rollback(moodle, onStep);
    expect(reports.map((r) => r.action)).toEqual(['rolled-back', 'rolled-back']);
    expect(await imageOf('moodle')).toBe('registry.test/moodle:4.5.1');
    // kubectl's undo goes to the second newest revision, so a second one goes forward again.
    await platform.rollback(moodle, onStep);
    expect(await imageOf('moodle')).toBe('registry.test/moodle:4.5.2');
  });

  it('undoes an update to an image that cannot be pulled, and says so', async () => {
    const short = service('moodle', 'Deployment', 4);
    const plan = await platform.planUpdate(short, { kind: 'tag', tag: 'broken-9' });
    const error = await failure(platform.update(short, plan, onStep));
    expect(error.code).toBe('kubernetes-update-rolled-back');
    expect(error.text('en')).toMatch(
      /^The update of moodle was rolled back to revision \d+: the image cannot be pulled \(moodle-[a-z0-9-]+\/app: Back-off pulling image "registry\.test\/moodle:broken-9"\)\.$/,
    );
    expect(await imageOf('moodle')).toBe('registry.test/moodle:4.5.2');
    const status = await platform.status(moodle);
    expect(status.state).toBe('up');
    expect(status.containers.map((c) => c.tag)).toEqual(['4.5.2', '4.5.2']);
    expect(steps.some((s) => s.phase === 'rolled-back')).toBe(true);
  });

  it('scales through the scale subresource and waits for the replicas', async () => {
    const plan = await platform.planScale(moodle, 3);
    expect(plan).toMatchObject({ before: 2, after: 3 });
    const reports = await platform.scale(moodle, plan, onStep);
    expect(reports).toHaveLength(3);
    expect((await platform.status(moodle)).workload?.replicas.ready).toBe(3);
    await expect(platform.planScale(moodle, 5)).rejects.toMatchObject({
      code: 'scale-out-of-bounds',
    });
  });

  it('names the grant when the account may not patch, and changes nothing', async () => {
    const before = await clients.apps.readNamespacedDeployment({
      name: 'moodle',
      namespace: 'lms',
    });
    fake.setRules([
      { verbs: ['get', 'list', 'watch'], apiGroups: ['', 'apps'], resources: ['*'] },
      {
        verbs: ['create'],
        apiGroups: ['authorization.k8s.io'],
        resources: ['selfsubjectaccessreviews'],
      },
    ]);
    try {
      const error = await failure(platform.restart(moodle, onStep));
      expect(error.text('en')).toBe(
        "The bot's account may not patch deployments in namespace lms: grant verb patch on deployments.apps.",
      );
      // The plan asks the server with the same write (dryRun=All): refused the same way.
      const scaleError = await failure(platform.planScale(moodle, 1));
      expect(scaleError.text('en')).toContain('grant verb update on deployments.apps/scale');
    } finally {
      fake.setRules(ALLOW_ALL);
    }
    const after = await clients.apps.readNamespacedDeployment({ name: 'moodle', namespace: 'lms' });
    expect(after.metadata?.generation).toBe(before.metadata?.generation);
    expect(after.spec?.replicas).toBe(3);
  });

  it('says in one line that the token was refused', async () => {
    fake.setToken('another-token');
    try {
      const error = await failure(platform.status(moodle));
      expect(error.code).toBe('kubernetes-unauthorized');
    } finally {
      fake.setToken('fake-token');
    }
  });

  it('says which workload is not there', async () => {
    const error = await failure(platform.restart(service('nope', 'Deployment'), onStep));
    expect(error.text('en')).toBe('There is no Deployment nope in namespace lms of cluster lab.');
  });
});

describe('a StatefulSet through the platform', () => {
  const db = service('db', 'StatefulSet');

  it('updates, and undoes a crash-looping image through its ControllerRevisions', async () => {
    await createStatefulSet('db', 'registry.test/pg:16.3');
    await platform.restart(db, onStep);
    const good = await platform.update(
      db,
      await platform.planUpdate(db, { kind: 'tag', tag: '16.4' }),
      onStep,
    );
    expect(good.map((r) => r.health)).toEqual(['healthy', 'healthy']);
    const short = service('db', 'StatefulSet', 4);
    const error = await failure(
      platform.update(
        short,
        await platform.planUpdate(short, { kind: 'tag', tag: 'crash-1' }),
        onStep,
      ),
    );
    expect(error.code).toBe('kubernetes-update-rolled-back');
    expect(error.text('en')).toContain('the container keeps crashing (CrashLoopBackOff)');
    const set = await clients.apps.readNamespacedStatefulSet({ name: 'db', namespace: 'lms' });
    expect(set.spec?.template.spec?.containers[0]?.image).toBe('registry.test/pg:16.4');
  });

  it('needs leave to delete stuck pods before it changes a StatefulSet', async () => {
    fake.setRules([
      { verbs: ['*'], apiGroups: ['apps', 'authorization.k8s.io'], resources: ['*'] },
      { verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['*'] },
    ]);
    try {
      const error = await failure(
        platform.update(db, await platform.planUpdate(db, { kind: 'tag', tag: '16.5' }), onStep),
      );
      expect(error.text('en')).toBe(
        "The bot's account may not delete pods in namespace lms: grant verb delete on pods.",
      );
    } finally {
      fake.setRules(ALLOW_ALL);
    }
    const set = await clients.apps.readNamespacedStatefulSet({ name: 'db', namespace: 'lms' });
    expect(set.spec?.template.spec?.containers[0]?.image).toBe('registry.test/pg:16.4');
  });
});
