/**
 * A claim's tar-stream snapshot restored by a claim pod keeps every file's mode: GNU tar run
 * as another user than root applies its umask to what it extracts unless told to keep the
 * permissions (claim-tar.ts), so a 0666 file would come back 0644 and a 0775 folder 0755.
 * As root it keeps the owners as well, by number. The fake API server with real-process pods
 * (DockerKubelet), real restic and the claim pods' image, as in claim-empty.test.ts.
 *
 * The snapshot is an old tar-stream one with files in it: made as the bot made it before it
 * read claims file by file, by the platform with no file-level access (its volume goes as a
 * tar, claim-tar.ts), as test/integration/backup-files.test.ts makes one on Docker.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { ResticEngine } from '../../../src/backup/engines/restic.ts';
import type { EngineBackupService } from '../../../src/backup/service.ts';
import { createBackupService } from '../../../src/backup/wire.ts';
import type { ClusterConfig } from '../../../src/config/kubernetes.ts';
import type { ServiceDefinition } from '../../../src/core/catalog.ts';
import type { Platform } from '../../../src/core/platform.ts';
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
const runId = `km${randomBytes(4).toString('hex')}`;
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

/** Modes a umask of 022 would change (group or other may write), and some it would not. */
const files =
  'mkdir /v/d /v/shared /v/p && echo w > /v/d/w && echo x > /v/x && echo s > /v/shared/f && ' +
  'echo p > /v/p/s && chmod 775 /v/d /v/x && chmod 666 /v/d/w && chmod 777 /v/shared && ' +
  'chmod 664 /v/shared/f && chmod 700 /v/p && chmod 600 /v/p/s && chown -R 1000:1000 /v';

let kubelet: DockerKubelet;
let fake: FakeKubernetes;
/** Claim pods as the workload's user (1000). */
let backups: EngineBackupService;
/** The same repository and ledger, claim pods as root (`engineUser: root`). */
let asRoot: EngineBackupService;
/** The same, the platform with no file-level access to claims: a claim goes as a tar. */
let streamOnly: EngineBackupService;
const signal = (): AbortSignal => new AbortController().signal;
const steps = (): void => undefined;

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

/** Every entry of a claim as root sees it: path, mode, owner, type. */
async function listing(claim: string): Promise<string> {
  const { stdout } = await run('find', [
    await mountpointOf(claim),
    '-mindepth',
    '1',
    '-printf',
    '%P %m %U:%G %y\\n',
  ]);
  return stdout.trim().split('\n').sort().join('\n');
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
  const image = await claimEngineImage();
  kubelet = new DockerKubelet({ docker, labels, pollMs: 100 });
  fake = await startFakeKubernetes({ kubelet, timeScale: 30 });
  const config = await fake.kubeconfigPath('pes@lab');
  const all = [claimManifest('backups', 'ReadWriteMany'), claimManifest('data')];
  expect(
    (await kubectl(config, ['apply', '--server-side', '-f', '-'], all.join('---\n'))).code,
  ).toBe(0);
  await prepare('backups', 'true');
  await prepare('data', files);
  expect((await kubectl(config, ['apply', '--server-side', '-f', '-'], deployment)).code).toBe(0);
  const running = (): boolean =>
    fake.store
      .list(pods, 'default')
      .some((p) => (p.status as { phase?: string } | undefined)?.phase === 'Running');
  await waitFor(running, 'the app pod to run', 120_000);
  const ports = (engineUser: 'root' | undefined): ClusterPorts =>
    new ClusterPorts(
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
  const repository = await mountpointOf('backups');
  const common = {
    engine: new ResticEngine({
      repository: `${repository}/restic`,
      password,
      env: { RESTIC_CACHE_DIR: `${repository}/cache` },
    }),
    ledger: new SqliteBackupLedger(openDatabase(':memory:')),
    log: createLogger({ level: 'silent' }),
    databasePasswords: new Map<string, string>(),
    services: () => [app],
    checkSubset: '100%',
    healthPollMs: 100,
  };
  const plain = ports(undefined);
  const root = ports('root');
  backups = createBackupService({ ...common, platform: (s) => plain.for(s) });
  asRoot = createBackupService({ ...common, platform: (s) => root.for(s) });
  streamOnly = createBackupService({
    ...common,
    platform: (s) => Object.create(plain.for(s), { volumeFiles: { value: undefined } }) as Platform,
  });
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

it('a tar snapshot restored by a claim pod, as the workload’s user or as root, keeps every mode', async () => {
  const original = await listing('data');
  expect(original).toBe(
    [
      'd 775 1000:1000 d',
      'd/w 666 1000:1000 f',
      'p 700 1000:1000 d',
      'p/s 600 1000:1000 f',
      'shared 777 1000:1000 d',
      'shared/f 664 1000:1000 f',
      'x 775 1000:1000 f',
    ].join('\n'),
  );
  const made = await streamOnly.backup(
    app,
    { only: undefined, tags: [], job: 'modes-1' },
    steps,
    signal(),
  );
  const id = made.sources[0]?.snapshotId ?? '';
  const snapshot = (await backups.snapshots(app, signal())).find((s) => s.id === id);
  expect([snapshot?.kind, snapshot?.manifest?.files]).toEqual(['stream', 7]);
  await noClaimPodLeft();

  for (const [service, job] of [
    [backups, 'modes-2'],
    [asRoot, 'modes-3'],
  ] as const) {
    // The repository was made here, as root; a claim pod of the workload's user writes the
    // safety backup into it too.
    await run('chmod', ['-R', 'a+rwX', `${await mountpointOf('backups')}/restic`]);
    const data = await mountpointOf('data');
    await run('rm', ['-rf', `${data}/d`, `${data}/shared`]);
    await run('chmod', ['644', `${data}/x`]);
    expect(await listing('data')).not.toBe(original);
    const plan = await service.planRestore(app, id.slice(0, 8), undefined, signal());
    await service.restore(app, plan, { job }, steps, signal());
    expect(await listing('data')).toBe(original);
    await noClaimPodLeft();
  }
});
