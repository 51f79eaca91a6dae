/**
 * The `lost+found` that ext4 makes at a file system's root (root, 0700) on a claim: a pod of a
 * non-root workload cannot read it, and it is the file system's, not the application's. It
 * is left out of the claim's backup, listing, figures, emptiness and emptying, at the root
 * only; a `lost+found` deeper down is the application's and goes like any folder. The fake
 * API server with real-process pods (DockerKubelet), real restic, the claim pods' image and
 * the repository claim of claim-backup.test.ts; the claim's files are made and read here
 * through its Docker volume, as root.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createBackupEngine } from '../../../src/backup/engines/factory.ts';
import { ResticEngine } from '../../../src/backup/engines/restic.ts';
import type { EngineBackupService } from '../../../src/backup/service.ts';
import { createBackupService } from '../../../src/backup/wire.ts';
import type { ClusterConfig } from '../../../src/config/kubernetes.ts';
import type { ServiceDefinition } from '../../../src/core/catalog.ts';
import { createLogger } from '../../../src/core/logger.ts';
import { claimPodLabel } from '../../../src/platforms/kubernetes/claim-pod-spec.ts';
import { ClusterPorts } from '../../../src/platforms/kubernetes/cluster-ports.ts';
import { SqliteBackupLedger } from '../../../src/store/backup-repo.ts';
import { openDatabase } from '../../../src/store/database.ts';
import { DockerKubelet } from '../../fakes/kubernetes/docker-kubelet.ts';
import {
  resourceByName,
  startFakeKubernetes,
  type FakeKubernetes,
} from '../../fakes/kubernetes/index.ts';
import { busyboxImage, requireTestDocker } from '../../helpers/docker.ts';
import { kubectl } from '../../helpers/kubectl.ts';
import { waitFor } from '../../helpers/wait.ts';
import { claimEngineImage } from './claim-engine-image.ts';

vi.setConfig({ testTimeout: 240_000, hookTimeout: 600_000 });

const run = promisify(execFile);
const docker = requireTestDocker().docker;
const runId = `kl${randomBytes(4).toString('hex')}`;
const labels = { 'pes.test': '1', 'pes.test.run': runId };
const password = `pw-${randomBytes(12).toString('hex')}`;
const pods = resourceByName('pods');
const claims = resourceByName('persistentvolumeclaims');

const app: ServiceDefinition = {
  name: 'app',
  platform: 'kubernetes',
  containers: {},
  scale: { min: 0, max: 3 },
  health: { minRunning: 1, timeoutSeconds: 120 },
  volumes: ['data'],
  databases: [],
  kubernetes: {
    cluster: 'lab',
    namespace: 'default',
    workload: { kind: 'Deployment', name: 'app' },
  },
};

const claimManifest = (name: string, mode = 'ReadWriteOnce'): string => `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: ${name}}
spec:
  accessModes: [${mode}]
  resources: {requests: {storage: 1Gi}}
`;

/** The workload runs as uid 1000, as do its claim pods unless engineUser is root. */
const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  replicas: 1
  strategy: {type: Recreate}
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      securityContext: {runAsUser: 1000, runAsGroup: 1000}
      containers:
      - name: app
        image: ${busyboxImage}
        command: ["/bin/busybox", "sh", "-c", "exec sleep 3600"]
        volumeMounts: [{name: data, mountPath: /data}]
      volumes:
      - name: data
        persistentVolumeClaim: {claimName: data}
`;

/** As mkfs.ext4 leaves it: root's, 0700, here with an orphan in it as e2fsck would put. */
const rootLostFound =
  'mkdir /v/lost+found && echo orphan > "/v/lost+found/#12" && chmod 600 "/v/lost+found/#12" && ' +
  'chmod 700 /v/lost+found && chown 1000:1000 /v';

/** The application's files, among them a lost+found of its own deeper down. */
const appFiles =
  'mkdir -p /v/a/lost+found /v/b && echo kept > /v/a/lost+found/kept && echo f > /v/f.txt && ' +
  'echo g > /v/b/g && chown -R 1000:1000 /v/a /v/b /v/f.txt';

let kubelet: DockerKubelet;
let fake: FakeKubernetes;
let config = '';
let image = '';
let plain: ClusterPorts;
/** Backups with engineUser root: the restore puts owners back. */
let backups: EngineBackupService;
/** The same repository and ledger, the claim pods as the workload's user (1000). */
let asWorkload: EngineBackupService;
const signal = (): AbortSignal => new AbortController().signal;
const steps = (): void => undefined;

function ports(engineUser: 'root' | undefined): ClusterPorts {
  return new ClusterPorts(
    new Map<string, ClusterConfig>([
      [
        'lab',
        {
          name: 'lab',
          source: 'kubeconfig',
          kubeconfig: config,
          context: 'pes@lab',
          backups: {
            image,
            startSeconds: 90,
            repositoryClaim: 'backups',
            repositoryPath: 'restic',
            ...(engineUser === undefined ? {} : { engineUser }),
          },
        },
      ],
    ]),
  );
}

async function mountpointOf(claim: string): Promise<string> {
  const volume = DockerKubelet.volumeOf(fake.store.mustGet(claims, 'default', claim));
  return (await docker.getVolume(volume).inspect()).Mountpoint;
}

/** A claim's volume, made now with files by a root container. */
async function prepare(claim: string, script: string): Promise<void> {
  const volume = DockerKubelet.volumeOf(fake.store.mustGet(claims, 'default', claim));
  await docker.createVolume({ Name: volume, Labels: labels });
  const prep = await docker.createContainer({
    Image: busyboxImage,
    Entrypoint: ['/bin/busybox', 'sh', '-c'],
    Cmd: [script],
    Labels: labels,
    HostConfig: { NetworkMode: 'none', Mounts: [{ Type: 'volume', Source: volume, Target: '/v' }] },
  });
  await prep.start();
  expect(((await prep.wait()) as { StatusCode: number }).StatusCode).toBe(0);
  await prep.remove();
}

/** Every entry of a claim as root sees it: path, mode, owner, type, size. */
async function listing(claim: string): Promise<string> {
  const { stdout } = await run('find', [
    await mountpointOf(claim),
    '-mindepth',
    '1',
    '-printf',
    '%P %m %U:%G %y %s\\n',
  ]);
  return stdout.split('\n').sort().join('\n');
}

function liveClaimPods(): string[] {
  return fake.store
    .list(pods, 'default')
    .filter(
      (p) =>
        (p.metadata as { labels?: Record<string, string> }).labels?.[claimPodLabel] !== undefined,
    )
    .map((p) => (p.metadata as { name: string }).name);
}

/** Resolves once no claim pod is left (each delete is a store event). */
async function noClaimPodLeft(): Promise<void> {
  if (liveClaimPods().length === 0) return;
  await new Promise<void>((resolve) => {
    const stop = fake.store.subscribe(() => {
      if (liveClaimPods().length > 0) return;
      stop();
      resolve();
    });
  });
}

beforeAll(async () => {
  image = await claimEngineImage();
  kubelet = new DockerKubelet({ docker, labels, pollMs: 100 });
  fake = await startFakeKubernetes({ kubelet, timeScale: 30 });
  config = await fake.kubeconfigPath('pes@lab');
  const all = [
    claimManifest('backups', 'ReadWriteMany'),
    claimManifest('data'),
    claimManifest('only-lf'),
  ];
  expect(
    (await kubectl(config, ['apply', '--server-side', '-f', '-'], all.join('---\n'))).code,
  ).toBe(0);
  await prepare('backups', 'true');
  await prepare('data', `${rootLostFound} && ${appFiles}`);
  await prepare('only-lf', rootLostFound);
  expect((await kubectl(config, ['apply', '--server-side', '-f', '-'], deployment)).code).toBe(0);
  const running = (): boolean =>
    fake.store
      .list(pods, 'default')
      .some((p) => (p.status as { phase?: string } | undefined)?.phase === 'Running');
  await waitFor(running, 'the app pod to run', 120_000);
  const repository = await mountpointOf('backups');
  const engine = new ResticEngine({
    repository: `${repository}/restic`,
    password,
    env: { RESTIC_CACHE_DIR: `${repository}/cache` },
  });
  const ledger = new SqliteBackupLedger(openDatabase(':memory:'));
  const log = createLogger({ level: 'silent' });
  const root = ports('root');
  plain = ports(undefined);
  const common = {
    engine,
    ledger,
    log,
    databasePasswords: new Map<string, string>(),
    services: () => [app],
    checkSubset: '100%',
    healthPollMs: 100,
  };
  backups = createBackupService({ ...common, platform: (s) => root.for(s) });
  asWorkload = createBackupService({ ...common, platform: (s) => plain.for(s) });
});

afterAll(async () => {
  await fake?.close();
  const left = await docker.listContainers({
    all: true,
    filters: { label: [`pes.test.run=${runId}`] },
  });
  await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true })));
  const { Volumes } = await docker.listVolumes({ filters: { label: [`pes.test.run=${runId}`] } });
  await Promise.all((Volumes ?? []).map((v) => docker.getVolume(v.Name).remove({ force: true })));
  expect(kubelet?.errors ?? []).toEqual([]);
});

describe('a root lost+found on a claim', () => {
  it('a pod of the non-root workload reads the claim around it: figures and emptiness', async () => {
    const files = plain.for(app).volumeFiles;
    const site = await files?.open('data', 'read');
    if (site === undefined) throw new Error('no site');
    try {
      expect(await site.isEmpty()).toBe(false);
      const measured = await site.measure({ samplesBefore: new Date(Date.now() + 60_000) });
      // f.txt, b/g and a/lost+found/kept; nothing of the root's lost+found.
      expect(measured.figures.files).toBe(3);
      expect(measured.samples.map((s) => s.path).sort()).toEqual([
        'a/lost+found/kept',
        'b/g',
        'f.txt',
      ]);
    } finally {
      await site.close();
    }
    const only = await files?.open('only-lf', 'read');
    try {
      expect(await only?.isEmpty()).toBe(true);
    } finally {
      await only?.close();
    }
    await noClaimPodLeft();
  });

  let original = '';
  let id = '';

  it('is not in the backup; the nested one is', async () => {
    original = await listing('data');
    expect(original).toContain('\nlost+found 700 0:0 d');
    const report = await backups.backup(
      app,
      { only: undefined, tags: [], job: 'lf-1' },
      steps,
      signal(),
    );
    expect(report.sources[0]?.kind).toBe('files');
    id = report.sources[0]?.snapshotId ?? '';
    const listed = await backups.files(app, id.slice(0, 8), undefined, 100, signal());
    expect(listed.entries.map((e) => e.path).sort()).toEqual([
      'a',
      'a/lost+found',
      'a/lost+found/kept',
      'b',
      'b/g',
      'f.txt',
    ]);
    await noClaimPodLeft();
  });

  it('a drill of it passes', async () => {
    const report = await backups.verify(app, { job: 'lf-2' }, steps, signal());
    expect(report.drills.map((d) => [d.source, d.ok, d.reason])).toEqual([
      ['volume:data', true, undefined],
    ]);
    await noClaimPodLeft();
  });

  it('a restore brings the claim back and leaves the root lost+found as it is', async () => {
    const data = await mountpointOf('data');
    await run('rm', ['-rf', `${data}/b`, `${data}/a/lost+found/kept`]);
    await run('touch', [`${data}/made-since`]);
    expect(await listing('data')).not.toBe(original);
    const plan = await backups.planRestore(app, id.slice(0, 8), undefined, signal());
    const report = await backups.restore(app, plan, { job: 'lf-3' }, steps, signal());
    expect(report.safetySnapshot).toBeDefined();
    expect(await listing('data')).toBe(original);
    await noClaimPodLeft();
  });

  it('a claim with nothing but it is no “target that holds data” for restore --to', async () => {
    const plan = await asWorkload.planRestore(app, id.slice(0, 8), undefined, signal(), {
      to: 'only-lf',
    });
    expect(plan.target).toEqual({ volume: 'only-lf', exists: true, hasData: false });
    await noClaimPodLeft();
  });
});

it('borg leaves it out as well; the nested one goes', async () => {
  const repository = await mountpointOf('backups');
  const borgPorts = new ClusterPorts(
    new Map<string, ClusterConfig>([
      ['lab', { name: 'lab', source: 'kubeconfig', kubeconfig: config, context: 'pes@lab' }],
    ]),
    {
      claims: new Map([
        [
          'lab',
          {
            image,
            startSeconds: 90,
            repositoryClaim: 'backups',
            repositoryInClaim: 'borg',
            engineUser: 'root' as const,
          },
        ],
      ]),
    },
  );
  const borg = createBackupService({
    engine: createBackupEngine({
      engine: 'borg',
      repository: `${repository}/borg`,
      password,
      env: { BORG_BASE_DIR: `${repository}/borg-base` },
    }),
    ledger: new SqliteBackupLedger(openDatabase(':memory:')),
    log: createLogger({ level: 'silent' }),
    platform: (s) => borgPorts.for(s),
    databasePasswords: new Map(),
    checkSubset: '100%',
    healthPollMs: 100,
  });
  const report = await borg.backup(
    app,
    { only: undefined, tags: [], job: 'lf-borg' },
    steps,
    signal(),
  );
  expect(report.sources[0]?.kind).toBe('files');
  const listed = await borg.files(app, 'latest', undefined, 100, signal());
  expect(listed.entries.map((e) => e.path).sort()).toEqual([
    'a',
    'a/lost+found',
    'a/lost+found/kept',
    'b',
    'b/g',
    'f.txt',
  ]);
  const drill = await borg.verify(app, { job: 'lf-borg-2' }, steps, signal());
  expect(drill.drills.map((d) => [d.source, d.ok, d.reason])).toEqual([
    ['volume:data', true, undefined],
  ]);
  await noClaimPodLeft();
});
