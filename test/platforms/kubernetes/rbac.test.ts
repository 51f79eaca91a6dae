/**
 * The Role the Helm chart renders (helm/pes-bot/templates/rbac.yaml, the one the README
 * shows) is enough for every verb: the fake answers requests and SelfSubjectAccessReviews
 * from exactly its rules, bound in the service's namespace only. Read from the chart, not
 * copied here, so the two cannot drift apart.
 */
import { V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterConfig, KubernetesServiceDefinition } from '../../../src/config/kubernetes.ts';
import { isUserError } from '../../../src/core/errors.ts';
import { ClusterClients } from '../../../src/platforms/kubernetes/client.ts';
import { KubernetesPlatform } from '../../../src/platforms/kubernetes/kubernetes-platform.ts';
import { asModel } from '../../../src/platforms/kubernetes/workload-api.ts';
import {
  ALLOW_ALL,
  startFakeKubernetes,
  type FakeKubernetes,
  type Rule,
} from '../../fakes/kubernetes/index.ts';
import { render } from '../../helm/helm.ts';

/** The chart's Role, rendered by helm (test/helm/role.test.ts checks it is not wider). */
let role: Rule[] = [];
const basicUser: Rule = {
  apiGroups: ['authorization.k8s.io'],
  resources: ['selfsubjectaccessreviews'],
  verbs: ['create'],
};

let fake: FakeKubernetes;
let platform: KubernetesPlatform;

function service(
  name: string,
  kind: 'Deployment' | 'StatefulSet',
  namespace = 'lms',
  timeoutSeconds = 60,
): KubernetesServiceDefinition {
  return {
    name,
    platform: 'kubernetes',
    cluster: 'lab',
    namespace,
    workload: { kind, name },
    scale: { min: 0, max: 4 },
    health: { minRunning: 1, timeoutSeconds },
  };
}

function spec(name: string, image: string) {
  return {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: 'app', image }] },
    },
  };
}

beforeAll(async () => {
  const objects = await render({ rbac: { namespaces: ['lms'] } });
  const rendered = objects.find((o) => o.kind === 'Role' && o.metadata.name === 'bot-pes-bot');
  if (rendered === undefined) throw new Error('the chart renders no Role');
  role = (rendered.rules as Rule[]).map((r) => ({ ...r, namespaces: ['lms'] }));
  fake = await startFakeKubernetes({ namespaces: ['lms', 'other'] });
  const kubeconfig = await fake.kubeconfigPath('pes@lab');
  const registry = new ClusterClients(
    new Map<string, ClusterConfig>([
      ['lab', { name: 'lab', source: 'kubeconfig', kubeconfig, context: 'pes@lab' }],
    ]),
  );
  const admin = await registry.get('lab');
  for (const namespace of ['lms', 'other']) {
    await admin.apps.createNamespacedDeployment({
      namespace,
      body: asModel(
        { metadata: { name: 'web' }, spec: spec('web', 'registry.test/web:1') },
        V1Deployment,
      ),
    });
  }
  await admin.apps.createNamespacedStatefulSet({
    namespace: 'lms',
    body: asModel(
      { metadata: { name: 'db' }, spec: spec('db', 'registry.test/pg:1') },
      V1StatefulSet,
    ),
  });
  platform = new KubernetesPlatform(registry);
  fake.setRules([...role, basicUser]);
});

afterAll(async () => {
  fake.setRules(ALLOW_ALL);
  await fake.close();
});

describe('the bot with only the chart’s Role', () => {
  it('runs every verb in its namespace', async () => {
    const web = service('web', 'Deployment');
    const steps = () => undefined;
    await platform.restart(web, steps);
    expect((await platform.status(web)).state).toBe('up');
    await platform.scale(web, await platform.planScale(web, 2), steps);
    await platform.update(web, await platform.planUpdate(web, { kind: 'tag', tag: '2' }), steps);
    await platform.rollback(web, steps);
    const short = service('web', 'Deployment', 'lms', 4);
    const undone = await platform
      .update(short, await platform.planUpdate(short, { kind: 'tag', tag: 'broken' }), steps)
      .catch((e: unknown) => e);
    expect(isUserError(undone) && undone.code).toBe('kubernetes-update-rolled-back');
    const logs = await platform.logs(web, { lines: 5, since: undefined, container: undefined });
    expect(logs).toHaveLength(2);

    const db = service('db', 'StatefulSet', 'lms', 4);
    await platform.restart(db, steps);
    const crashed = await platform
      .update(db, await platform.planUpdate(db, { kind: 'tag', tag: 'crash' }), steps)
      .catch((e: unknown) => e);
    expect(isUserError(crashed) && crashed.code).toBe('kubernetes-update-rolled-back');
    // Nothing was refused on the way.
    expect(fake.requests.filter((r) => r.status === 403)).toEqual([]);
  });

  it('is refused elsewhere, with the grant to make', async () => {
    const error = await platform
      .restart(service('web', 'Deployment', 'other'), () => undefined)
      .catch((e: unknown) => e);
    expect(isUserError(error) && error.text('en')).toBe(
      "The bot's account may not get deployments in namespace other: grant verb get on deployments.apps.",
    );
  });
});
