/**
 * The test Moodle site as a pod of the fake cluster's Docker kubelet: a Deployment of the
 * `www-data` image (a Kubernetes exec names no user, so the container runs as the web
 * server's user) with its code, moodledata and database on three PersistentVolumeClaims. The
 * bot's own Kubernetes exec (pods/exec over WebSocket) reads the site, runs its CLI, and what
 * upgrade.php recorded outlives the pod.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterConfig, KubernetesServiceDefinition } from '../../src/config/kubernetes.ts';
import { ClusterClients } from '../../src/platforms/kubernetes/client.ts';
import { serviceExecTarget } from '../../src/platforms/kubernetes/exec-target.ts';
import { KubernetesPlatform } from '../../src/platforms/kubernetes/kubernetes-platform.ts';
import { KubernetesPort } from '../../src/platforms/kubernetes/port-adapter.ts';
import { installedVersion, readSite } from '../../src/plugins/site.ts';
import { DockerKubelet } from '../fakes/kubernetes/docker-kubelet.ts';
import { startFakeKubernetes, type FakeKubernetes } from '../fakes/kubernetes/index.ts';
import {
  moodleDataroot,
  moodleDbDir,
  moodleRoot,
  moodleSiteCore,
  moodleSiteImage,
  putPlugin,
  siteOverExec,
  siteState,
  type SiteAccess,
} from '../fakes/moodle-site/site.ts';
import { requireTestDocker } from '../helpers/docker.ts';
import { kubectl } from '../helpers/kubectl.ts';

const docker = requireTestDocker().docker;
const runId = `ms${randomBytes(4).toString('hex')}`;
let kubelet: DockerKubelet;
let fake: FakeKubernetes;
let config: string;
let registry: ClusterClients;
let port: KubernetesPort;

const moodle: KubernetesServiceDefinition = {
  name: 'moodle',
  platform: 'kubernetes',
  cluster: 'lab',
  namespace: 'default',
  workload: { kind: 'Deployment', name: 'moodle' },
  scale: { min: 1, max: 1 },
  health: { minRunning: 1, timeoutSeconds: 60 },
};

function claim(name: string): string {
  return `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: ${name}}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
`;
}

/** How a pod runs the site: the www-data image, the three paths on claims. */
function deployment(image: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: moodle}
spec:
  replicas: 1
  selector: {matchLabels: {app: moodle}}
  template:
    metadata: {labels: {app: moodle}}
    spec:
      containers:
      - name: moodle
        image: ${image}
        volumeMounts:
        - {name: code, mountPath: ${moodleRoot}}
        - {name: data, mountPath: ${moodleDataroot}}
        - {name: db, mountPath: ${moodleDbDir}}
      volumes:
      - {name: code, persistentVolumeClaim: {claimName: moodle-code}}
      - {name: data, persistentVolumeClaim: {claimName: moodle-data}}
      - {name: db, persistentVolumeClaim: {claimName: moodle-db}}
`;
}

beforeAll(async () => {
  const image = await moodleSiteImage({ runAs: 'www-data' });
  kubelet = new DockerKubelet({
    docker,
    labels: { 'pes.test': '1', 'pes.test.run': runId },
    pollMs: 100,
  });
  fake = await startFakeKubernetes({ kubelet, timeScale: 30 });
  config = await fake.kubeconfigPath('pes@lab');
  registry = new ClusterClients(
    new Map<string, ClusterConfig>([
      ['lab', { name: 'lab', source: 'kubeconfig', kubeconfig: config, context: 'pes@lab' }],
    ]),
  );
  port = new KubernetesPort(new KubernetesPlatform(registry), registry, 'lab');
  const manifests = [
    claim('moodle-code'),
    claim('moodle-data'),
    claim('moodle-db'),
    deployment(image),
  ];
  const applied = await kubectl(
    config,
    ['apply', '--server-side', '-f', '-'],
    manifests.join('---\n'),
  );
  expect(applied.code, applied.stderr).toBe(0);
  const status = await kubectl(config, [
    'rollout',
    'status',
    'deployment/moodle',
    '--timeout=120s',
  ]);
  expect(status.stdout).toContain('successfully rolled out');
}, 30 * 60_000);

afterAll(async () => {
  await fake.close();
  const left = await docker.listContainers({
    all: true,
    filters: { label: [`pes.test.run=${runId}`] },
  });
  await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true })));
  const { Volumes } = await docker.listVolumes({ filters: { label: [`pes.test.run=${runId}`] } });
  await Promise.all(
    (Volumes ?? []).map((v) =>
      docker
        .getVolume(v.Name)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
  expect(kubelet.errors).toEqual([]);
}, 120_000);

async function podSite(): Promise<SiteAccess> {
  const target = await serviceExecTarget(await registry.get('lab'), moodle);
  return siteOverExec((argv, options) => port.exec(target, argv, options));
}

describe('the Moodle site in a pod of the fake cluster', () => {
  it('runs as uid 33; the bot reads the release through the cluster exec; upgrade.php installs a plugin', async () => {
    const site = await podSite();
    expect((await site.exec(['id', '-u'])).stdout.trim()).toBe('33');
    const read = await readSite(site.siteExec, moodleRoot);
    expect(read).toMatchObject(moodleSiteCore);
    expect(await installedVersion(site.siteExec, read, 'mod_forum')).toMatchObject({
      version: 2024100700,
    });

    expect((await site.cli('maintenance.php', ['--enable'])).exitCode).toBe(0);
    expect((await siteState(site)).maintenance).toBe(true);
    await putPlugin(site, {
      component: 'local_hello',
      version: 2024120100,
      install: { rows: ['greeting'] },
    });
    expect((await site.cli('upgrade.php', ['--non-interactive', '--is-pending'])).exitCode).toBe(2);
    const upgrade = await site.cli('upgrade.php', ['--non-interactive']);
    expect(upgrade.exitCode, upgrade.stdout + upgrade.stderr).toBe(0);
    expect((await site.cli('maintenance.php', ['--disable'])).exitCode).toBe(0);
    const state = await siteState(site);
    expect(state).toMatchObject({ maintenance: false, notOwnedByWebUser: [] });
    expect(state.versions['local_hello']).toBe('2024120100');
  }, 180_000);

  it('what the upgrade recorded outlives the pod: a new pod on the same claims has it', async () => {
    const before = await siteState(await podSite());
    const pods = await kubectl(config, ['get', 'pods', '-l', 'app=moodle', '-o', 'name']);
    const old = pods.stdout.trim();
    expect(old).toMatch(/^pod\/moodle-/);
    expect((await kubectl(config, ['delete', old, '--timeout=60s'])).code).toBe(0);
    const status = await kubectl(config, [
      'rollout',
      'status',
      'deployment/moodle',
      '--timeout=120s',
    ]);
    expect(status.stdout).toContain('successfully rolled out');
    const after = await siteState(await podSite());
    expect(
      (await kubectl(config, ['get', 'pods', '-l', 'app=moodle', '-o', 'name'])).stdout.trim(),
    ).not.toBe(old);
    expect(after.versions['local_hello']).toBe('2024120100');
    expect(after.databaseDigest).toBe(before.databaseDigest);
    expect(after.folders).toContain('local_hello');
  }, 180_000);
});
