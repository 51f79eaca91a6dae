/**
 * The installer's undo on Kubernetes: the test Moodle site runs as a pod of the fake cluster's
 * Docker kubelet (code, moodledata and the SQLite database each on a claim), backups are real
 * restic in claim pods (`clusters.lab.backups`, the repository on a claim of its own that the
 * bot's restic also reaches as a local path), and `plugins.databaseVolume` names the claim
 * holding the database. A plugin whose db/install.php throws has already been recorded by
 * upgrade.php when it fails: the job must put that claim back from the backup it took first
 * (the workload scaled to 0 and back: a new pod), remove the folder and turn maintenance off,
 * so that the site's database is exactly as before.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { commands } from '../../commands/index.ts';
import { createBackupEngine } from '../../src/backup/engines/factory.ts';
import { createBackupService } from '../../src/backup/wire.ts';
import type { ClusterConfig, KubernetesServiceDefinition } from '../../src/config/kubernetes.ts';
import type { BackupService } from '../../src/core/backup.ts';
import { Bot } from '../../src/core/bot.ts';
import type { ServiceDefinition } from '../../src/core/catalog.ts';
import { createLogger } from '../../src/core/logger.ts';
import type { Outcome } from '../../src/core/outcome.ts';
import { Registry } from '../../src/core/registry.ts';
import { ClusterClients } from '../../src/platforms/kubernetes/client.ts';
import { ClusterPorts } from '../../src/platforms/kubernetes/cluster-ports.ts';
import { serviceExecTarget } from '../../src/platforms/kubernetes/exec-target.ts';
import { wirePlugins } from '../../src/plugins/wire.ts';
import { SqliteAuditLog } from '../../src/store/audit-repo.ts';
import { SqliteBackupLedger } from '../../src/store/backup-repo.ts';
import { SqliteConfirmationStore } from '../../src/store/confirmations-repo.ts';
import { openDatabase } from '../../src/store/database.ts';
import { SqliteJobStore } from '../../src/store/jobs-repo.ts';
import { DockerKubelet } from '../fakes/kubernetes/docker-kubelet.ts';
import {
  resourceByName,
  startFakeKubernetes,
  type FakeKubernetes,
} from '../fakes/kubernetes/index.ts';
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
  type SiteState,
  webUid,
} from '../fakes/moodle-site/site.ts';
import { claimEngineImage } from '../platforms/kubernetes/claim-engine-image.ts';
import { testCatalog } from '../helpers/catalog.ts';
import { requireTestDocker } from '../helpers/docker.ts';
import { kubectl } from '../helpers/kubectl.ts';

// Backups and the restore start claim pods with real containers: slow on a loaded machine.
vi.setConfig({ testTimeout: 600_000, hookTimeout: 30 * 60_000 });

const docker = requireTestDocker().docker;
const runId = `mu${randomBytes(4).toString('hex')}`;
const password = `pw-${randomBytes(12).toString('hex')}`;
let kubelet: DockerKubelet;
let fake: FakeKubernetes;
let config: string;

const moodle: KubernetesServiceDefinition = {
  name: 'moodle',
  platform: 'kubernetes',
  cluster: 'lab',
  namespace: 'default',
  workload: { kind: 'Deployment', name: 'moodle' },
  scale: { min: 0, max: 1 },
  health: { minRunning: 1, timeoutSeconds: 120 },
};

function claim(name: string, mode = 'ReadWriteOnce'): string {
  return `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: ${name}}
spec:
  accessModes: [${mode}]
  resources: {requests: {storage: 1Gi}}
`;
}

/**
 * The www-data image, the three paths on claims; Recreate, as a claim held by one pod needs.
 * The pod says its user (www-data, 33) in its securityContext: the claim pods that back up and
 * restore its claims run as the workload's pods do, so they can read and write its files (a
 * pod that names no user gets claim pods that run as the image's user, 1000, even when
 * `clusters.lab.backups.runAsUser` says otherwise: the workload's empty settings win).
 */
function deployment(image: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: moodle}
spec:
  replicas: 1
  strategy: {type: Recreate}
  selector: {matchLabels: {app: moodle}}
  template:
    metadata: {labels: {app: moodle}}
    spec:
      securityContext: {runAsUser: ${webUid}, runAsGroup: ${webUid}}
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

const version = 2024120100;
const directory = new FakePluginsDirectory([
  {
    id: 2,
    name: 'Pod good',
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
    id: 1,
    name: 'Pod half-way',
    component: 'local_podhalf',
    versions: [
      {
        version,
        release: '1.0',
        maturity: 200,
        supports: ['4.5'],
        zip: pluginZip('upgrade-fails', 'local_podhalf', { version }),
      },
    ],
  },
]);

let bot: Bot;
let ports: ClusterPorts;
let registry: ClusterClients;
/** The sources of each restore the installer asked for. */
const restored: string[][] = [];

beforeAll(async () => {
  const [image, engineImage] = await Promise.all([
    moodleSiteImage({ runAs: 'www-data' }),
    claimEngineImage().then(withDataOwnedByWebUser),
  ]);
  kubelet = new DockerKubelet({
    docker,
    labels: { 'pes.test': '1', 'pes.test.run': runId },
    pollMs: 100,
  });
  fake = await startFakeKubernetes({ kubelet, timeScale: 30 });
  config = await fake.kubeconfigPath('pes@lab');
  const manifests = [
    claim('backups', 'ReadWriteMany'),
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
  // The repository claim's volume, made now so that the bot's own restic finds it here too
  // (as claim-backup.test.ts does).
  const repoClaim = fake.store.mustGet(
    resourceByName('persistentvolumeclaims'),
    'default',
    'backups',
  );
  const volume = DockerKubelet.volumeOf(repoClaim);
  await docker.createVolume({
    Name: volume,
    Labels: { 'pes.test': '1', 'pes.test.run': runId, 'fake-kubernetes.pvc': 'default/backups' },
  });
  const mountpoint = (await docker.getVolume(volume).inspect()).Mountpoint;
  const clusters = new Map<string, ClusterConfig>([
    [
      'lab',
      {
        name: 'lab',
        source: 'kubeconfig',
        kubeconfig: config,
        context: 'pes@lab',
        backups: {
          image: engineImage,
          startSeconds: 90,
          repositoryClaim: 'backups',
          repositoryPath: 'restic',
        },
      },
    ],
  ]);
  ports = new ClusterPorts(clusters);
  registry = new ClusterClients(clusters);

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
    volumes: ['moodle-db'],
    databases: [],
  };
  const catalog = testCatalog({ services: new Map([['moodle', service]]) });
  const db = openDatabase(':memory:');
  const log = createLogger({ level: process.env['PES_TEST_LOG'] === '1' ? 'debug' : 'silent' });
  const engine = createBackupEngine({
    engine: 'restic',
    repository: `${mountpoint}/restic`,
    password,
    env: { RESTIC_CACHE_DIR: `${mountpoint}/cache` },
  });
  // Claim pods run as the workload's user (www-data here) and restic makes its files 0600 for
  // whoever made them: the repository must belong to that user for the pods to use it.
  await engine.init();
  chownTree(`${mountpoint}/restic`, webUid);
  const engineBackups = createBackupService({
    engine,
    ledger: new SqliteBackupLedger(db),
    log,
    platform: (s) => ports.for(s),
    databasePasswords: new Map(),
    healthPollMs: 100,
  });
  const backups: BackupService = {
    sources: (...a) => engineBackups.sources(...a),
    backup: (...a) => engineBackups.backup(...a),
    snapshots: (...a) => engineBackups.snapshots(...a),
    planRestore: (...a) => engineBackups.planRestore(...a),
    files: (...a) => engineBackups.files(...a),
    restore: (s, plan, ...rest) => {
      restored.push(plan.items.map((i) => i.source));
      return engineBackups.restore(s, plan, ...rest);
    },
    verify: (...a) => engineBackups.verify(...a),
    unlock: (...a) => engineBackups.unlock(...a),
    prune: (...a) => engineBackups.prune(...a),
  };
  const wiring = wirePlugins({
    config: {
      desk: {
        service: 'moodle',
        root: moodleRoot,
        directoryUrl,
        policy: { roles: ['admin'], count: 1, ttlMs: 3_600_000 },
        install: {
          webUser: 'www-data',
          php: 'php',
          databaseVolume: 'moodle-db',
          maxDownloadBytes: 10 * 1024 * 1024,
          downloadTimeoutMs: 30_000,
        },
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
    platform: (s) => ports.for(s),
    backups,
    plugins: wiring.desk,
    log,
  });
});

afterAll(async () => {
  await directory.stop();
  await fake?.close();
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
  expect(kubelet?.errors ?? []).toEqual([]);
});

/**
 * The claim pods' image with its /data owned by www-data. The fake's Docker kubelet mounts a
 * claim as a Docker named volume, and Docker copies the image's folder (with its owner and
 * mode; root's 0755 when Docker makes the folder because the image has none) into a volume
 * that is empty when a container starts: the pod that restores into a
 * claim emptied by the pod before would find the claim's root owned by root, which a real
 * kubelet never does to a claim (Docker's copy of an image's folder into an empty volume is
 * documented under "Populate a volume using a container" of Docker's volumes guide). With
 * /data owned as the claim's root is, that copy changes nothing.
 */
async function withDataOwnedByWebUser(base: string): Promise<string> {
  const tag = `${base}-data${String(webUid)}`;
  if ((await dockerCli(['image', 'inspect', '-f', '{{.Id}}', tag])).code === 0) return tag;
  const dockerfile = [
    `FROM ${base}`,
    'USER 0',
    `RUN mkdir -p /data && chown ${String(webUid)}:${String(webUid)} /data && chmod 0770 /data`,
    'USER 1000:1000',
    '',
  ].join('\n');
  const build = await dockerCli(
    ['build', '--network', 'none', '--label', 'pes.test.image=claim-engine', '-t', tag, '-'],
    dockerfile,
  );
  if (build.code !== 0) throw new Error(`docker build of ${tag} failed: ${build.output}`);
  return tag;
}

function dockerCli(
  args: readonly string[],
  input?: string,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', [...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output: output.slice(-4000) }));
    child.stdin.end(input ?? '');
  });
}

function chownTree(path: string, uid: number): void {
  chownSync(path, uid, uid);
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const inner = join(path, entry.name);
    if (entry.isDirectory()) chownTree(inner, uid);
    else chownSync(inner, uid, uid);
  }
}

async function podTarget(): Promise<string> {
  return serviceExecTarget(await registry.get('lab'), moodle);
}

async function podSite(): Promise<SiteAccess> {
  const target = await podTarget();
  const port = ports.for({
    name: 'moodle',
    platform: 'kubernetes',
    containers: { names: [] },
    kubernetes: { cluster: 'lab', namespace: 'default', workload: moodle.workload },
    scale: moodle.scale,
    health: moodle.health,
    volumes: [],
    databases: [],
  });
  return siteOverExec((argv, options) => port.exec(target, argv, options));
}

/** What "the site as it was" compares: everything but the cache-purge marker. */
function comparable(state: SiteState): Record<string, unknown> {
  return Object.fromEntries(Object.entries(state).filter(([key]) => key !== 'cachePurgeMarker'));
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

describe('plugin-install on a Moodle pod whose upgrade fails half-way', () => {
  it('puts the database claim back: plugin absent, out of maintenance, the database as before', async () => {
    // A plugin installed first: the database differs from the one the image brings, so only
    // the restore from the job's backup can give it back as it was.
    const good = await install('local_podgood');
    expect(good.status, JSON.stringify(good.message)).toBe('ok');
    const before = await siteState(await podSite());
    expect(before.versions['local_podgood']).toBe(String(version));
    expect(before.versions['local_podhalf']).toBeUndefined();
    const podBefore = await podTarget();
    const outcome = await install('local_podhalf');
    expect(outcome.status).toBe('failed');
    expect(outcome.errorCode).toBe('plugin-install-failed');
    expect(outcome.message.text).toMatch(
      /upgrade\.php.*The database was put back from the backup taken before/,
    );
    expect(outcome.message.text).toContain('maintenance mode is off');
    // Only the claim holding the database, not the service's other sources.
    expect(restored).toEqual([['volume:moodle-db']]);
    // The restore scaled the workload to 0 and back: the site now runs in a new pod.
    expect(await podTarget()).not.toBe(podBefore);
    const after = await siteState(await podSite());
    expect(after.versions['local_podhalf']).toBeUndefined();
    expect(after.rows.filter(([component]) => component === 'local_podhalf')).toEqual([]);
    expect(after.folders).not.toContain('local_podhalf');
    expect(after.maintenance).toBe(false);
    expect(comparable(after)).toEqual(comparable(before));
  });
});
