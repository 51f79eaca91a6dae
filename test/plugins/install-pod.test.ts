/**
 * The installer on Kubernetes: `plugin-install` through the bot into the test Moodle site
 * running as a pod of the fake cluster's Docker kubelet (the `www-data` image: pods/exec
 * names no user, so everything runs as the pod's user; code, moodledata and database on
 * claims), through the bot's own Kubernetes exec. A good plugin ends installed and read back
 * from the site's database, owned by the web server's user; a package with a wrong MD5 ends
 * with nothing changed and the site out of maintenance; a pod that runs as root is refused
 * before anything runs. Backups are a fake at their port here
 * (the restore of a failed upgrade is covered on Docker, install-docker.test.ts).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commands } from '../../commands/index.ts';
import type { ClusterConfig, KubernetesServiceDefinition } from '../../src/config/kubernetes.ts';
import type { BackupService } from '../../src/core/backup.ts';
import { Bot } from '../../src/core/bot.ts';
import type { ServiceDefinition } from '../../src/core/catalog.ts';
import { createLogger } from '../../src/core/logger.ts';
import type { Outcome } from '../../src/core/outcome.ts';
import { Registry } from '../../src/core/registry.ts';
import { ClusterClients } from '../../src/platforms/kubernetes/client.ts';
import { serviceExecTarget } from '../../src/platforms/kubernetes/exec-target.ts';
import { KubernetesPlatform } from '../../src/platforms/kubernetes/kubernetes-platform.ts';
import { KubernetesPort } from '../../src/platforms/kubernetes/port-adapter.ts';
import { wirePlugins } from '../../src/plugins/wire.ts';
import { SqliteAuditLog } from '../../src/store/audit-repo.ts';
import { SqliteConfirmationStore } from '../../src/store/confirmations-repo.ts';
import { openDatabase } from '../../src/store/database.ts';
import { SqliteJobStore } from '../../src/store/jobs-repo.ts';
import { DockerKubelet } from '../fakes/kubernetes/docker-kubelet.ts';
import { startFakeKubernetes, type FakeKubernetes } from '../fakes/kubernetes/index.ts';
import { FakePluginsDirectory } from '../fakes/moodle-plugins/server.ts';
import { pluginZip } from '../fakes/moodle-plugins/zips.ts';
import {
  moodleDataroot,
  moodleDbDir,
  moodleRoot,
  moodleSiteImage,
  siteOverExec,
  siteState,
  type SiteAccess,
} from '../fakes/moodle-site/site.ts';
import { testCatalog } from '../helpers/catalog.ts';
import { requireTestDocker } from '../helpers/docker.ts';
import { kubectl } from '../helpers/kubectl.ts';

const docker = requireTestDocker().docker;
const runId = `mi${randomBytes(4).toString('hex')}`;
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

const version = 2024120100;
const directory = new FakePluginsDirectory([
  {
    id: 1,
    name: 'Pod plugin',
    component: 'local_podgood',
    versions: [
      {
        version,
        release: '1.0',
        maturity: 200,
        supports: ['4.5'],
        zip: pluginZip('good', 'local_podgood', { version }),
      },
    ],
  },
  {
    id: 2,
    name: 'Pod bad MD5',
    component: 'local_podbad',
    versions: [
      {
        version,
        release: '1.0',
        maturity: 200,
        supports: ['4.5'],
        zip: pluginZip('good', 'local_podbad', { version }),
        md5: '0123456789abcdef0123456789abcdef',
      },
    ],
  },
  {
    id: 3,
    name: 'Pod as root',
    component: 'local_podroot',
    versions: [
      {
        version,
        release: '1.0',
        maturity: 200,
        supports: ['4.5'],
        zip: pluginZip('good', 'local_podroot', { version }),
      },
    ],
  },
]);
let bot: Bot;
const backedUp: string[] = [];

beforeAll(async () => {
  const directoryUrl = await directory.start();
  const service: ServiceDefinition = {
    name: 'moodle',
    platform: 'kubernetes',
    containers: { names: [] },
    kubernetes: {
      cluster: 'lab',
      namespace: 'default',
      workload: { kind: 'Deployment', name: 'moodle' },
    },
    scale: moodle.scale,
    health: moodle.health,
    volumes: [],
    databases: [],
  };
  const catalog = testCatalog({ services: new Map([['moodle', service]]) });
  const refuse = (): Promise<never> => Promise.reject(new Error('not part of this fake'));
  const backups: BackupService = {
    // The installer refuses a backup without the database (its rollback restores it).
    sources: () => [{ id: 'postgres:moodle', kind: 'database' }],
    backup: (s) => {
      backedUp.push(s.name);
      return Promise.resolve({
        service: s.name,
        job: 'pod',
        sources: [],
        removed: [],
        retentionError: undefined,
        earlier: [],
        durationMs: 1,
      });
    },
    snapshots: refuse,
    planRestore: refuse,
    files: refuse,
    restore: refuse,
    verify: refuse,
    unlock: refuse,
    prune: refuse,
  };
  const db = openDatabase(':memory:');
  const log = createLogger({ level: 'silent' });
  const wiring = wirePlugins({
    config: {
      desk: {
        service: 'moodle',
        root: moodleRoot,
        directoryUrl,
        policy: { roles: ['admin'], count: 1, ttlMs: 3_600_000 },
      },
      commandRules: [],
    },
    catalog,
    db,
    log,
  });
  if (wiring.desk === undefined) throw new Error('no desk');
  bot = new Bot({
    catalog,
    registry: new Registry(commands),
    jobs: new SqliteJobStore(db),
    audit: new SqliteAuditLog(db),
    confirmations: new SqliteConfirmationStore(db),
    platform: () => port,
    backups,
    plugins: wiring.desk,
    log,
  });
}, 60_000);
afterAll(() => directory.stop());

async function podSite(): Promise<SiteAccess> {
  const target = await serviceExecTarget(await registry.get('lab'), moodle);
  return siteOverExec((argv, options) => port.exec(target, argv, options));
}

const install = (component: string): Promise<Outcome> =>
  bot.invoke(
    {
      actorId: 'local:root',
      room: { id: 'terminal' },
      source: 'terminal',
      text: `plugin-install moodle ${component}`,
      preconfirmed: true,
    },
    { reply: () => undefined, progress: () => undefined, confirm: { kind: 'refuse' } },
  );

describe('plugin-install on a Moodle pod (fake cluster, Docker kubelet, Kubernetes exec)', () => {
  it('installs a good plugin as the pod’s user, read back from the site database', async () => {
    const outcome = await install('local_podgood');
    expect(outcome.status, JSON.stringify(outcome.message)).toBe('ok');
    expect(backedUp).toEqual(['moodle']);
    const state = await siteState(await podSite());
    expect(state.versions['local_podgood']).toBe(String(version));
    expect(state.folders).toContain('local_podgood');
    expect(state.maintenance).toBe(false);
    expect(state.notOwnedByWebUser).toEqual([]);
  }, 180_000);

  it('a wrong MD5 changes nothing and leaves the site out of maintenance', async () => {
    const before = await siteState(await podSite());
    const outcome = await install('local_podbad');
    expect(outcome.errorCode).toBe('plugin-install-failed');
    // Refused before the backup and before maintenance.
    expect(outcome.message.text).toMatch(
      /does not match the directory: MD5 .*The site was not changed\.$/,
    );
    const after = await siteState(await podSite());
    expect(after.folders).not.toContain('local_podbad');
    expect(after.maintenance).toBe(false);
    expect(after.databaseDigest).toBe(before.databaseDigest);
  }, 180_000);

  // Last: it changes who the pod runs as. pods/exec names no user, so a root pod would run
  // upgrade.php and purge_caches.php as root and leave files the web server cannot write.
  it('a pod that runs as root is refused before the backup, and nothing changes', async () => {
    const patched = await kubectl(config, [
      'patch',
      'deployment/moodle',
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { template: { spec: { securityContext: { runAsUser: 0 } } } } }),
    ]);
    expect(patched.code, patched.stderr).toBe(0);
    const status = await kubectl(config, [
      'rollout',
      'status',
      'deployment/moodle',
      '--timeout=120s',
    ]);
    expect(status.stdout).toContain('successfully rolled out');
    const site = await podSite();
    expect((await site.exec(['id', '-u'])).stdout.trim()).toBe('0');
    const before = await siteState(site);
    const backups = backedUp.length;

    const outcome = await install('local_podroot');
    expect(outcome.errorCode).toBe('plugin-install-pod-user');
    expect(outcome.message.text).toContain(
      "The pod of moodle runs as uid 0, not as the web server's user www-data (uid 33)",
    );
    expect(backedUp).toHaveLength(backups);
    const after = await siteState(await podSite());
    expect(after.folders).not.toContain('local_podroot');
    expect(after.maintenance).toBe(false);
    expect(after.databaseDigest).toBe(before.databaseDigest);
    expect(after.cachePurgeMarker).toBe(before.cachePurgeMarker);
  }, 300_000);
});
