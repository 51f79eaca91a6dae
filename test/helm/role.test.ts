/**
 * The chart's Role is exactly what the bot's Kubernetes platform uses: a representative run
 * of every verb the platform has (status, logs, restart, scale, update, rollback, exec, an update
 * that fails and is undone; on a Deployment and on a StatefulSet, whose failed update needs
 * its pods deleted; for the backups of a service's volumes, a stop and start of its workload
 * around a restore, a claim pod opened and deleted, a drill's scratch claim made and deleted,
 * and the start-up sweep of claim pods) against the fake API server with only the rendered Role's rules granted
 * in the managed namespace (plus system:basic-user's SelfSubjectAccessReviews). Nothing may
 * be refused, and the (group, resource, verb) triples the run made, taken from the fake's
 * request log, must be the ones the Role grants: none missing, none unused. The run happens
 * here, so the result does not depend on which other test files ran before. The same for
 * the provisioning namespace's Role (config.provision.namespace) with provision (its dry run
 * too), a provision whose pod never becomes ready (its reason read from pods and events, what
 * it made taken back) and deprovision, with and without --delete-data.
 */
import { V1Deployment, V1PersistentVolumeClaim, V1StatefulSet } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterConfig, KubernetesServiceDefinition } from '../../src/config/kubernetes.ts';
import type { ServiceDefinition } from '../../src/core/catalog.ts';
import type { WorkloadSpec } from '../../src/core/platform.ts';
import { openClaimPod } from '../../src/platforms/kubernetes/claim-pod.ts';
import { ClusterPorts } from '../../src/platforms/kubernetes/cluster-ports.ts';
import { serviceExecTarget } from '../../src/platforms/kubernetes/exec-target.ts';
import { KubernetesPort } from '../../src/platforms/kubernetes/port-adapter.ts';
import { provisionOn } from '../../src/platforms/kubernetes/provision-route.ts';
import { DirectoryTemplateCatalog } from '../../src/provision/templates.ts';
import { createTestBot, fakePlatform } from '../helpers/bot.ts';
import { fixtureTemplates } from '../provision/helpers.ts';
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
import { accessesOf } from './requests.ts';

const namespace = 'lms';
const provisionNamespace = 'apps';
let fake: FakeKubernetes;
let platform: KubernetesPlatform;
let registry: ClusterClients;
let ports: ClusterPorts;
let clusters: Map<string, ClusterConfig>;
let granted: Rule[];
let provisionGranted: Rule[];

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

/** An instance whose image cannot be pulled (the fake's kubelet: `broken` in the name). */
function brokenSpec(name: string): WorkloadSpec {
  return {
    name,
    template: 'wiki',
    image: 'registry.test/broken:1',
    env: {},
    command: undefined,
    volumes: [],
    labels: {},
    healthcheck: undefined,
    network: 'none',
    stopTimeoutSeconds: 1,
  };
}

function triple(a: { group: string; resource: string; verb: string }): string {
  return `${a.group === '' ? 'core' : a.group} ${a.resource} ${a.verb}`;
}

beforeAll(async () => {
  const objects = await render({
    rbac: { namespaces: [namespace] },
    config: { provision: { cluster: 'lab', namespace: provisionNamespace } },
  });
  const rulesOf = (name: string, ns: string): Rule[] => {
    const role = objects.find((o) => o.kind === 'Role' && o.metadata.name === name);
    if (role === undefined) throw new Error(`the chart renders no Role ${name}`);
    return (role.rules as Rule[]).map((r) => ({ ...r, namespaces: [ns] }));
  };
  granted = rulesOf('bot-pes-bot', namespace);
  provisionGranted = rulesOf('bot-pes-bot-provision', provisionNamespace);

  // 100 virtual seconds a real one: a Deployment's progress deadline (600 s) passes in 6.
  fake = await startFakeKubernetes({ timeScale: 100, namespaces: [namespace, provisionNamespace] });
  const kubeconfig = await fake.kubeconfigPath('pes@lab');
  registry = new ClusterClients(
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
  // The volume of `web` that its backups reach through claim pods.
  await admin.core.createNamespacedPersistentVolumeClaim({
    namespace,
    body: asModel(
      {
        metadata: { name: 'data' },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      },
      V1PersistentVolumeClaim,
    ),
  });
  platform = new KubernetesPlatform(registry);
  clusters = new Map<string, ClusterConfig>([
    ['lab', { name: 'lab', source: 'kubeconfig', kubeconfig, context: 'pes@lab' }],
  ]);
  ports = new ClusterPorts(clusters, {}, { cluster: 'lab', namespace: provisionNamespace });
});

function codeOf(outcome: { data?: unknown }): string {
  const data = outcome.data as { confirmation?: unknown } | undefined;
  if (typeof data?.confirmation !== 'string') throw new Error('no pending confirmation');
  return data.confirmation;
}

/** The (group, resource, verb) triples of the requests made since `from`, in `ns`. */
function usedSince(from: number, ns: string): Set<string> {
  const made = fake.requests.slice(from);
  // Nothing was refused: the Role is not short.
  expect(made.filter((r) => r.status === 403).map((r) => `${r.method} ${r.path}`)).toEqual([]);
  const accesses = made.flatMap(accessesOf);
  expect(new Set(accesses.filter((a) => a.namespace !== '').map((a) => a.namespace))).toEqual(
    new Set([ns]),
  );
  // Cluster-scoped: only the access reviews every account may make.
  expect(new Set(accesses.filter((a) => a.namespace === '').map(triple))).toEqual(
    new Set(['authorization.k8s.io selfsubjectaccessreviews create']),
  );
  return new Set(accesses.filter((a) => a.namespace !== '').map(triple));
}

function grantsOf(rules: readonly Rule[]): Set<string> {
  return new Set(
    rules.flatMap((rule) =>
      rule.apiGroups.flatMap((group) =>
        rule.resources.flatMap((resource) =>
          rule.verbs.map((verb) => triple({ group, resource, verb })),
        ),
      ),
    ),
  );
}

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
    // exec: the in-memory kubelet runs no process and answers 400, after the authorization
    // (a refusal would be 403). The fake's request log does not hold WebSocket upgrades, so
    // the exec's own access is added here, as a request of the log would give it.
    const port = new KubernetesPort(platform, registry, 'lab');
    const target = await serviceExecTarget(await registry.get('lab'), web);
    const execError = await port.exec(target, ['true'], {}).catch((e: unknown) => e);
    expect(String(execError)).toContain('pods/exec answered HTTP 400');
    const execAccesses = accessesOf({
      method: 'GET',
      path: `/api/v1/namespaces/${namespace}/pods/${target.split('/')[1] ?? ''}/exec`,
      query: 'command=true&stdout=true',
      contentType: '',
      body: '',
      status: 400,
    });
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

    // The backups of a service's volumes (claim pods, claim-volumes.ts): a restore's stop and
    // start, a claim pod opened and deleted, a drill's scratch claim, the start-up sweep.
    const claimSettings = { image: 'registry.test/pes-bot:1', startSeconds: 60 };
    const claimPorts = new ClusterPorts(clusters, { claims: new Map([['lab', claimSettings]]) });
    const app: ServiceDefinition = {
      name: 'web',
      platform: 'kubernetes',
      containers: {},
      scale: { min: 0, max: 4 },
      health: { minRunning: 1, timeoutSeconds: 60 },
      volumes: ['data'],
      databases: [],
      kubernetes: { cluster: 'lab', namespace, workload: { kind: 'Deployment', name: 'web' } },
    };
    const bound = claimPorts.for(app);
    if (bound.stopService === undefined || bound.startService === undefined)
      throw new Error('no stop and start on a cluster');
    if (bound.createScratchVolume === undefined || bound.removeVolume === undefined)
      throw new Error('no scratch volumes on a cluster');
    expect(await bound.stopService(app)).toEqual(['web']);
    const pod = await openClaimPod(await registry.get('lab'), claimSettings, {
      namespace,
      claim: 'data',
      purpose: 'restore',
    });
    await pod.delete();
    // One whose image cannot be pulled: followed with a watch until refused, and deleted.
    const unpulled = await openClaimPod(
      await registry.get('lab'),
      { image: 'registry.test/broken:1', startSeconds: 2 },
      { namespace, claim: 'data', purpose: 'backup' },
    ).catch((e: unknown) => e);
    expect(isUserError(unpulled) && unpulled.code).toBe('kubernetes-claim-pod-not-started');
    expect(await bound.startService(app)).toEqual(['web']);
    const scratch = await bound.createScratchVolume({ 'pes.source': 'volume:data' });
    await bound.removeVolume(scratch);
    expect(await claimPorts.sweepClaimPods([app], () => false)).toEqual([]);
    expect(await claimPorts.sweepScratchClaims([app], () => false)).toEqual([]);

    const used = usedSince(from, namespace);
    for (const a of execAccesses) used.add(triple(a));
    const grants = grantsOf(granted);
    // Not wider: every grant was used by the run.
    expect([...grants].filter((g) => !used.has(g)).sort()).toEqual([]);
    expect([...used].sort()).toEqual([...grants].sort());
  }, 120_000);

  it('for the provisioning namespace is exactly what provision and deprovision call', async () => {
    fake.setRules([...granted, ...provisionGranted, basicUser]);
    const onCluster = ports.provisioning();
    if (onCluster === undefined) throw new Error('no provisioning cluster');
    const bot = createTestBot({
      platform: provisionOn(fakePlatform({}), onCluster),
      templates: new DirectoryTemplateCatalog(fixtureTemplates),
    });
    const admin = 'local:root';
    const from = fake.requests.length;
    const plan = await bot.run(admin, 'provision testapp files run=role --dry-run');
    expect(plan.status, JSON.stringify(plan.message)).toBe('ok');
    const made = await bot.run(admin, 'provision testapp files run=role', { preconfirmed: true });
    expect(made.status, JSON.stringify(made.message)).toBe('ok');
    const keep = await bot.run(admin, 'deprovision files');
    expect((await bot.run(admin, `confirm ${codeOf(keep)}`)).status).toBe('ok');
    const all = await bot.run(admin, 'deprovision files --delete-data');
    const again = await bot.run(admin, `confirm ${codeOf(all)}`);
    expect((await bot.run(admin, `confirm ${codeOf(again)}`)).status).toBe('ok');
    // A pod that never becomes ready: the reason is named (pods and events read), and what
    // the run made is deleted again.
    const failed = await onCluster
      .provision(brokenSpec('wiki'), () => undefined)
      .catch((e: unknown) => e);
    expect(isUserError(failed) && failed.code).toBe('kubernetes-provision-failed');
    expect(isUserError(failed) && failed.text('en')).toContain('the image cannot be pulled');

    const used = usedSince(from, provisionNamespace);
    const grants = grantsOf(provisionGranted);
    expect([...grants].filter((g) => !used.has(g)).sort()).toEqual([]);
    expect([...used].sort()).toEqual([...grants].sort());
  }, 120_000);

  it('grants nothing with a wildcard', () => {
    for (const rule of [...granted, ...provisionGranted]) {
      expect([...rule.apiGroups, ...rule.resources, ...rule.verbs]).not.toContain('*');
      expect(rule.resourceNames).toBeUndefined();
    }
  });
});
