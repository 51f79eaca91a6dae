/**
 * The chart's Role is exactly what the bot's Kubernetes platform uses: a representative run
 * of every verb the platform has (status, logs, restart, scale, update, rollback, an update that
 * fails and is undone; on a Deployment and on a StatefulSet, whose failed update needs
 * its pods deleted) against the fake API server with only the rendered Role's rules granted
 * in the managed namespace (plus system:basic-user's SelfSubjectAccessReviews). Nothing may
 * be refused, and the (group, resource, verb) triples the run made, taken from the fake's
 * request log, must be the ones the Role grants: none missing, none unused. The run happens
 * here, so the result does not depend on which other test files ran before.
 */
import { V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterConfig, KubernetesServiceDefinition } from '../../src/config/kubernetes.ts';
import { isUserError } from '../../src/core/errors.ts';
import { ClusterClients } from '../../src/platforms/kubernetes/client.ts';
import { KubernetesPlatform } from '../../src/platforms/kubernetes/kubernetes-platform.ts';
import { asModel } from '../../src/platforms/kubernetes/workload-api.ts';
import {
  ALLOW_ALL,
  startFakeKubernetes,
  type FakeKubernetes,
  type Rule,
} from '../fakes/kubernetes/index.ts';
import { render } from './helm.ts';
import { accessOf, type Access } from './requests.ts';

const namespace = 'lms';
let fake: FakeKubernetes;
let platform: KubernetesPlatform;
let granted: Rule[];

/** Allowed to every authenticated account by the default ClusterRole system:basic-user. */
const basicUser: Rule = {
  apiGroups: ['authorization.k8s.io'],
  resources: ['selfsubjectaccessreviews'],
  verbs: ['create'],
};

function service(
  name: string,
  kind: 'Deployment' | 'StatefulSet',
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

function triple(a: { group: string; resource: string; verb: string }): string {
  return `${a.group === '' ? 'core' : a.group} ${a.resource} ${a.verb}`;
}

beforeAll(async () => {
  const objects = await render({ rbac: { namespaces: [namespace] } });
  const role = objects.find((o) => o.kind === 'Role');
  if (role === undefined) throw new Error('the chart renders no Role');
  granted = (role.rules as Rule[]).map((r) => ({ ...r, namespaces: [namespace] }));

  fake = await startFakeKubernetes({ namespaces: [namespace] });
  const kubeconfig = await fake.kubeconfigPath('pes@lab');
  const registry = new ClusterClients(
    new Map<string, ClusterConfig>([
      ['lab', { name: 'lab', source: 'kubeconfig', kubeconfig, context: 'pes@lab' }],
    ]),
  );
  const admin = await registry.get('lab');
  await admin.apps.createNamespacedDeployment({
    namespace,
    body: asModel(
      { metadata: { name: 'web' }, spec: spec('web', 'registry.test/web:1') },
      V1Deployment,
    ),
  });
  await admin.apps.createNamespacedStatefulSet({
    namespace,
    body: asModel(
      {
        metadata: { name: 'db' },
        spec: { ...spec('db', 'registry.test/pg:1'), serviceName: 'db' },
      },
      V1StatefulSet,
    ),
  });
  platform = new KubernetesPlatform(registry);
});

afterAll(async () => {
  fake.setRules(ALLOW_ALL);
  await fake.close();
});

describe('the chart’s Role', () => {
  it('is exactly what every verb of the Kubernetes platform calls', async () => {
    fake.setRules([...granted, basicUser]);
    const from = fake.requests.length;
    const steps = () => undefined;

    const web = service('web', 'Deployment');
    expect((await platform.status(web)).state).toBe('up');
    await platform.logs(web, { lines: 5, since: undefined, container: undefined });
    await platform.restart(web, steps);
    await platform.scale(web, await platform.planScale(web, 2), steps);
    await platform.update(web, await platform.planUpdate(web, { kind: 'tag', tag: '2' }), steps);
    await platform.rollback(web, steps);
    const short = service('web', 'Deployment', 4);
    const undone = await platform
      .update(short, await platform.planUpdate(short, { kind: 'tag', tag: 'broken' }), steps)
      .catch((e: unknown) => e);
    expect(isUserError(undone) && undone.code).toBe('kubernetes-update-rolled-back');

    const db = service('db', 'StatefulSet');
    expect((await platform.status(db)).state).toBe('up');
    await platform.logs(db, { lines: 5, since: undefined, container: undefined });
    await platform.restart(db, steps);
    await platform.scale(db, await platform.planScale(db, 2), steps);
    await platform.update(db, await platform.planUpdate(db, { kind: 'tag', tag: '2' }), steps);
    await platform.rollback(db, steps);
    const dbShort = service('db', 'StatefulSet', 4);
    const crashed = await platform
      .update(dbShort, await platform.planUpdate(dbShort, { kind: 'tag', tag: 'crash' }), steps)
      .catch((e: unknown) => e);
    expect(isUserError(crashed) && crashed.code).toBe('kubernetes-update-rolled-back');

    const made = fake.requests.slice(from);
    // Nothing was refused: the Role is not short.
    expect(made.filter((r) => r.status === 403).map((r) => `${r.method} ${r.path}`)).toEqual([]);
    const accesses = made.map(accessOf).filter((a): a is Access => a !== undefined);
    const namespaced = accesses.filter((a) => a.namespace !== '');
    expect(new Set(namespaced.map((a) => a.namespace))).toEqual(new Set([namespace]));
    // Cluster-scoped: only the access reviews every account may make.
    expect(new Set(accesses.filter((a) => a.namespace === '').map(triple))).toEqual(
      new Set(['authorization.k8s.io selfsubjectaccessreviews create']),
    );
    const used = new Set(namespaced.map(triple));
    const grants = new Set(
      granted.flatMap((rule) =>
        rule.apiGroups.flatMap((group) =>
          rule.resources.flatMap((resource) =>
            rule.verbs.map((verb) => triple({ group, resource, verb })),
          ),
        ),
      ),
    );
    // Not wider: every grant was used by the run.
    expect([...grants].filter((g) => !used.has(g)).sort()).toEqual([]);
    expect([...used].sort()).toEqual([...grants].sort());
  }, 120_000);

  it('grants nothing with a wildcard', () => {
    for (const rule of granted) {
      expect([...rule.apiGroups, ...rule.resources, ...rule.verbs]).not.toContain('*');
      expect(rule.resourceNames).toBeUndefined();
    }
  });
});
