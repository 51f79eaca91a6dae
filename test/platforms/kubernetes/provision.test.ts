/**
 * provision and deprovision on a cluster through the bot (terminal path), against the fake
 * API server whose kubelet runs pods on the test Docker engine: the template's objects are
 * applied with server-side apply (field manager pes-bot), labelled, the pod really runs and
 * writes to its claim (a Docker volume), deprovision keeps the claim unless --delete-data is
 * confirmed twice, and a dry run asks the server (dryRun=All) and keeps nothing. Tests run
 * in order and share one instance.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterConfig } from '../../../src/config/kubernetes.ts';
import type { Platform } from '../../../src/core/platform.ts';
import { ClusterPorts } from '../../../src/platforms/kubernetes/cluster-ports.ts';
import { provisionOn } from '../../../src/platforms/kubernetes/provision-route.ts';
import { DirectoryTemplateCatalog } from '../../../src/provision/templates.ts';
import { createTestBot, fakePlatform, type TestBot } from '../../helpers/bot.ts';
import { appImage, busyboxImage, requireTestDocker } from '../../helpers/docker.ts';
import { service, testCatalog } from '../../helpers/catalog.ts';
import { call } from '../../fakes/kubernetes/test-client.ts';
import { fixtureTemplates } from '../../provision/helpers.ts';
import { DockerKubelet } from '../../fakes/kubernetes/docker-kubelet.ts';
import {
  resourceByName,
  startFakeKubernetes,
  type FakeKubernetes,
} from '../../fakes/kubernetes/index.ts';
import { at, isObject, list, str, type JsonObject } from '../../fakes/kubernetes/json.ts';

const admin = 'local:root';
const docker = requireTestDocker().docker;
const runId = `k${randomBytes(4).toString('hex')}`;
const app = `${runId}-files`;
const ns = 'apps';

const kinds = {
  deployments: resourceByName('deployments'),
  services: resourceByName('services'),
  secrets: resourceByName('secrets'),
  persistentvolumeclaims: resourceByName('persistentvolumeclaims'),
  pods: resourceByName('pods'),
};

let fake: FakeKubernetes;
let kubelet: DockerKubelet;
let t: TestBot;
let onWeb: TestBot;

const web = service('web', {
  platform: 'kubernetes',
  containers: {},
  kubernetes: { cluster: 'lab', namespace: 'lms', workload: { kind: 'Deployment', name: 'web' } },
});

function codeOf(outcome: { data?: unknown }): string {
  const data = outcome.data as { confirmation?: unknown } | undefined;
  if (typeof data?.confirmation !== 'string') throw new Error('no pending confirmation');
  return data.confirmation;
}

/** Every object of the instance's kinds in the namespace, by kind/name, with its version. */
function objectsInNamespace(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [kind, r] of Object.entries(kinds)) {
    if (kind === 'pods') continue;
    for (const o of fake.store.list(r, ns)) {
      out[`${kind}/${str(at(o, 'metadata', 'name')) ?? ''}`] =
        str(at(o, 'metadata', 'resourceVersion')) ?? '';
    }
  }
  return out;
}

async function claimVolume(claim: string): Promise<string | undefined> {
  const { Volumes: volumes } = await docker.listVolumes({
    filters: { label: [`fake-kubernetes.pvc=${ns}/${claim}`, `pes.test.run=${runId}`] },
  });
  return volumes?.[0]?.Name;
}

/** What a throwaway container sees in a volume at /data/marker. */
async function markerIn(volume: string): Promise<string> {
  const container = await docker.createContainer({
    Image: busyboxImage,
    Cmd: ['/bin/busybox', 'cat', '/data/marker'],
    Labels: { 'pes.test': '1', 'pes.test.run': runId },
    HostConfig: {
      NetworkMode: 'none',
      Mounts: [{ Type: 'volume', Source: volume, Target: '/data', ReadOnly: true }],
    },
  });
  try {
    await container.start();
    await container.wait();
    const buf = await container.logs({ stdout: true, stderr: false, follow: false });
    // The engine's frame headers: 8 bytes before each chunk.
    return buf.subarray(8).toString('utf8').trim();
  } finally {
    await container.remove({ force: true });
  }
}

/** Polls an engine look until it holds (the kubelet removes containers after the pod). */
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function podContainers(): Promise<Awaited<ReturnType<typeof docker.listContainers>>> {
  return docker
    .listContainers({ all: false, filters: { label: [`pes.test.run=${runId}`] } })
    .then((all) =>
      all.filter((c) => (c.Labels['fake-kubernetes.pod'] ?? '').startsWith(`${ns}/${app}-`)),
    );
}

beforeAll(async () => {
  kubelet = new DockerKubelet({
    docker,
    labels: { 'pes.test': '1', 'pes.test.run': runId },
    pollMs: 100,
  });
  fake = await startFakeKubernetes({ kubelet, timeScale: 10, namespaces: [ns, 'lms'] });
  const kubeconfig = await fake.kubeconfigPath('pes@lab');
  const clusters = new Map<string, ClusterConfig>([
    ['lab', { name: 'lab', source: 'kubeconfig', kubeconfig, context: 'pes@lab' }],
  ]);
  const ports = new ClusterPorts(clusters, {}, { cluster: 'lab', namespace: ns });
  const onCluster = ports.provisioning();
  if (onCluster === undefined) throw new Error('no provisioning cluster');
  const platform: Platform = provisionOn(fakePlatform({}), onCluster);
  t = createTestBot({ platform, templates: new DirectoryTemplateCatalog(fixtureTemplates) });
  // A service on the cluster beside it, for the dry runs of update and scale.
  const created = await call(fake, 'POST', '/apis/apps/v1/namespaces/lms/deployments', {
    body: {
      metadata: { name: 'web' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'app', image: appImage(1) }] },
        },
      },
    },
  });
  expect(created.status).toBe(201);
  onWeb = createTestBot({
    platform: ports.for(web),
    catalog: testCatalog({ services: new Map([['web', web]]) }),
    templates: new DirectoryTemplateCatalog(fixtureTemplates),
  });
});

afterAll(async () => {
  await fake.close();
  const left = await docker.listContainers({
    all: true,
    filters: { label: [`pes.test.run=${runId}`] },
  });
  await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true })));
  const { Volumes: volumes } = await docker.listVolumes({
    filters: { label: [`pes.test.run=${runId}`] },
  });
  for (const v of volumes ?? []) await docker.getVolume(v.Name).remove();
  expect(kubelet.errors).toEqual([]);
  expect(fake.controllerErrors).toEqual([]);
});

describe('provision on a cluster (fake API server, pods on the test engine)', () => {
  it('--dry-run asks the server with dryRun=All for every object and keeps nothing', async () => {
    const before = objectsInNamespace();
    const outcome = await t.run(admin, `provision testapp ${app} run=${runId} --dry-run`);
    expect(outcome.status, JSON.stringify(outcome.message)).toBe('ok');
    expect(outcome.message.title).toBe('Plan (nothing was changed)');
    expect(outcome.message.text).toContain(`• new volumes: \`${app}-data\` → /data`);
    // Where it goes on the cluster, and no Docker network.
    expect(outcome.message.text).toContain(
      `• \`deployment/${app}\` in namespace \`${ns}\` of cluster \`lab\``,
    );
    expect(outcome.message.text).not.toContain('network');
    const dry = fake.requests.filter((r) => r.method === 'PATCH' && r.query.includes('dryRun=All'));
    expect(dry.map((r) => r.path).sort()).toEqual(
      [
        `/api/v1/namespaces/${ns}/persistentvolumeclaims/${app}-data`,
        `/api/v1/namespaces/${ns}/secrets/${app}-env`,
        `/api/v1/namespaces/${ns}/services/${app}`,
        `/apis/apps/v1/namespaces/${ns}/deployments/${app}`,
      ].sort(),
    );
    expect(dry.every((r) => r.contentType === 'application/apply-patch+yaml')).toBe(true);
    expect(dry.every((r) => r.query.includes('fieldManager=pes-bot'))).toBe(true);
    expect(objectsInNamespace()).toEqual(before);
    expect(await claimVolume(`${app}-data`)).toBeUndefined();
  });

  it('provisions: labelled objects applied by pes-bot, a ready pod per report, the secret in a Secret', async () => {
    const outcome = await t.run(admin, `provision testapp ${app} run=${runId}`, {
      preconfirmed: true,
    });
    expect(outcome.status, JSON.stringify(outcome.message)).toBe('ok');
    expect(outcome.message.text).toContain(
      `Container \`deployment/${app}\`: healthy. Volumes: \`${app}-data\`.`,
    );
    expect(outcome.message.text).toContain(
      `The secrets (password) are only in the Secret ${app}-env: kubectl get secret ${app}-env -n ${ns} -o yaml.`,
    );
    expect(outcome.message.text).not.toContain('docker inspect');
    const reports = (outcome.data as { reports: { container: string; action: string }[] }).reports;
    const pods = fake.store.list(kinds.pods, ns).map((p) => str(at(p, 'metadata', 'name')));
    expect(reports.map((r) => r.container)).toEqual(pods);
    expect(reports.map((r) => r.action)).toEqual(['created']);

    const own = {
      'app.kubernetes.io/name': 'testapp',
      'app.kubernetes.io/instance': app,
      'app.kubernetes.io/managed-by': 'pes-bot',
      'pes.bot/managed': 'true',
      'pes.bot/template': 'testapp',
      'pes.bot/instance': app,
    };
    const objects: [keyof typeof kinds, string][] = [
      ['deployments', app],
      ['services', app],
      ['secrets', `${app}-env`],
      ['persistentvolumeclaims', `${app}-data`],
    ];
    for (const [kind, name] of objects) {
      const o = fake.store.mustGet(kinds[kind], ns, name);
      expect(at(o, 'metadata', 'labels'), `${kind}/${name}`).toEqual(own);
      const managers = list(at(o, 'metadata', 'managedFields')).filter(isObject);
      expect(managers.find((m) => m.manager === 'pes-bot')?.operation).toBe('Apply');
    }
    const service = fake.store.mustGet(kinds.services, ns, app);
    expect(at(service, 'spec', 'clusterIP')).toBe('None');
    // The generated secret is in the Secret, not in the Deployment.
    const deployment = JSON.stringify(fake.store.mustGet(kinds.deployments, ns, app));
    expect(deployment).not.toContain('APP_PASSWORD');
    const secret = fake.store.mustGet(kinds.secrets, ns, `${app}-env`);
    const password = Buffer.from(str(at(secret, 'data', 'APP_PASSWORD')) ?? '', 'base64');
    expect(password.toString('utf8')).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(JSON.stringify([outcome, t.replies, t.progress])).not.toContain(
      password.toString('utf8'),
    );

    // The pod runs on the engine with the claim as a volume and the Secret as its environment.
    const [container] = await podContainers();
    if (container === undefined) throw new Error('no pod container');
    const info = await docker.getContainer(container.Id).inspect();
    expect(info.Config.Env).toContain(`APP_PASSWORD=${password.toString('utf8')}`);
    const volume = await claimVolume(`${app}-data`);
    expect(info.Mounts).toEqual([
      expect.objectContaining({ Type: 'volume', Name: volume, Destination: '/data' }),
    ]);
    // It really writes to its claim.
    const exec = await docker.getContainer(container.Id).exec({
      Cmd: ['/bin/busybox', 'sh', '-c', 'echo written-by-pod > /data/marker'],
    });
    const stream = await exec.start({ hijack: true, stdin: false });
    await new Promise((resolve) => {
      stream.on('end', resolve);
      stream.resume();
    });
    expect(await markerIn(volume ?? '')).toBe('written-by-pod');
  });

  it('refuses to provision a name that is taken, changing nothing', async () => {
    const before = objectsInNamespace();
    const outcome = await t.run(admin, `provision testapp ${app} run=${runId}`, {
      preconfirmed: true,
    });
    expect(outcome.errorCode).toBe('kubernetes-provision-exists');
    expect(outcome.message.text?.split('\n')).toEqual([
      `The name ${app} is taken; namespace ${ns} of cluster lab already has: deployment/${app}, persistentvolumeclaim/${app}-data, secret/${app}-env, service/${app}; nothing was changed.`,
      `Choose another name, or remove the old one: deprovision ${app} --delete-data`,
    ]);
    expect(objectsInNamespace()).toEqual(before);
  });

  it('deprovision removes the Deployment, Service and Secret and keeps the claim and its data', async () => {
    const pending = await t.run(admin, `deprovision ${app}`);
    expect(pending.status).toBe('pending');
    // A cluster's plan names objects and claims, not containers and volumes.
    expect(pending.message.text).toContain(
      `Deprovision **${app}**: delete the cluster objects \`deployment/${app}\`, \`service/${app}\`, \`secret/${app}-env\`.`,
    );
    expect(pending.message.text).toContain(
      `The volume claims (PVCs) with the data are kept: \`${app}-data\`.`,
    );
    const done = await t.run(admin, `confirm ${codeOf(pending)}`);
    expect(done.status, JSON.stringify(done.message)).toBe('ok');
    expect(done.message.text).toContain(
      `Deleted objects: \`deployment/${app}\`, \`service/${app}\`, \`secret/${app}-env\`.`,
    );
    expect(done.message.text).toContain(`Volume claims (PVCs) kept: \`${app}-data\``);
    expect(Object.keys(objectsInNamespace())).toEqual([`persistentvolumeclaims/${app}-data`]);
    // The pod is gone; its container follows it off the engine.
    await until(async () => (await podContainers()).length === 0, 'the pod container to go');
    const volume = await claimVolume(`${app}-data`);
    expect(volume).toBeDefined();
    expect(await markerIn(volume ?? '')).toBe('written-by-pod');
  });

  it('--delete-data asks twice; then the claim and its volume are gone', async () => {
    const volume = await claimVolume(`${app}-data`);
    expect(volume).toBeDefined();
    const first = await t.run(admin, `deprovision ${app} --delete-data`);
    expect(first.status).toBe('pending');
    expect(first.message.text).toContain(
      `Deleting the volume claims (PVCs) \`${app}-data\` is asked separately, next.`,
    );
    expect(first.message.text).not.toContain('kept');
    const second = await t.run(admin, `confirm ${codeOf(first)}`);
    expect(second.status).toBe('pending');
    expect(second.message.text).toContain('All their data will be lost forever');
    expect(fake.store.get(kinds.persistentvolumeclaims, ns, `${app}-data`)).toBeDefined();

    const done = await t.run(admin, `confirm ${codeOf(second)}`);
    expect(done.status, JSON.stringify(done.message)).toBe('ok');
    expect(done.message.text).toContain(`Deleted volume claims (PVCs): \`${app}-data\`.`);
    expect(objectsInNamespace()).toEqual({});
    await until(async () => (await claimVolume(`${app}-data`)) === undefined, 'the volume to go');
    expect(((await docker.listVolumes()).Volumes ?? []).map((v) => v.Name)).not.toContain(volume);

    const gone = await t.run(admin, `deprovision ${app}`);
    expect(gone.errorCode).toBe('unknown-instance');
  });

  it('leaves an object with the labels but not applied by the bot alone', async () => {
    const labels = { 'pes.bot/managed': 'true', 'pes.bot/instance': app };
    fake.store.create(kinds.services, ns, {
      metadata: { name: app, labels },
      spec: { clusterIP: 'None', selector: { app } },
    } satisfies JsonObject);
    const outcome = await t.run(admin, `deprovision ${app}`);
    expect(outcome.errorCode).toBe('unknown-instance');
    expect(fake.store.get(kinds.services, ns, app)).toBeDefined();
    fake.store.delete(kinds.services, ns, app);
  });
});

describe('dry runs through the bot ask the API server and keep nothing', () => {
  /** What a change would touch: the Deployment's spec and generation. */
  const webSpec = (): unknown => {
    const o = fake.store.mustGet(kinds.deployments, 'lms', 'web');
    return [at(o, 'spec'), at(o, 'metadata', 'generation')];
  };

  it('update and scale --dry-run: the server answered with dryRun=All, nothing changed', async () => {
    const before = webSpec();
    const update = await onWeb.run(admin, 'update web 2 --dry-run');
    expect(update.status, JSON.stringify(update.message)).toBe('ok');
    expect(JSON.stringify(update.message)).toContain('pes-test/app:2');
    const scale = await onWeb.run(admin, 'scale web 2 --dry-run');
    expect(scale.status, JSON.stringify(scale.message)).toBe('ok');
    const path = '/apis/apps/v1/namespaces/lms/deployments/web';
    const dry = fake.requests.filter((r) => r.method !== 'GET' && r.path.startsWith(path));
    expect(dry.map((r) => [r.method, r.path, r.query.includes('dryRun=All')])).toEqual([
      ['PATCH', path, true],
      ['PUT', `${path}/scale`, true],
    ]);
    expect(webSpec()).toEqual(before);
  });

  it('provision --dry-run of a name the server refuses: its 422 as one line, nothing stored', async () => {
    const before = objectsInNamespace();
    const outcome = await onWeb.run(admin, `provision testapp ${runId}- run=${runId} --dry-run`);
    expect(outcome.status).toBe('failed');
    expect(outcome.exitCode).toBe(1);
    expect(outcome.message.text).toMatch(
      new RegExp(
        `^Cluster lab answered 422 Invalid: Service "${runId}-" is invalid: metadata\\.name: Invalid value: "${runId}-": a DNS-1035 label`,
      ),
    );
    expect(outcome.message.text).not.toContain('\n');
    expect(objectsInNamespace()).toEqual(before);
  });
});
