/**
 * A claim's snapshot made before claim backups left the root `lost+found` out (by a claim pod
 * running as root, which could read it) holds that folder; a restored claim is listed
 * without it (claim-site.ts). A drill of such a snapshot passes, and still finds a real
 * loss, a nested `lost+found`'s content among it. The fake API server with real-process pods
 * (DockerKubelet), real borg and the claim pods' image, as in claim-lost-found.test.ts; the
 * same as claim-old-lost-found.test.ts with restic.
 *
 * The old snapshot is made the way the bot made it then: the engine's backup runs in a root
 * claim pod of the claim with no exclude (the site's runner is replaced by a bare claim
 * runner), and the snapshot's own listing is checked to hold the root `lost+found`.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { createBackupEngine } from '../../../src/backup/engines/factory.ts';
import type { EngineBackupService } from '../../../src/backup/service.ts';
import type { EngineRunner, VolumeSite } from '../../../src/backup/volume-access.ts';
import { createBackupService } from '../../../src/backup/wire.ts';
import type { ClusterConfig } from '../../../src/config/kubernetes.ts';
import type { ServiceDefinition } from '../../../src/core/catalog.ts';
import type { Platform, VolumeFiles } from '../../../src/core/platform.ts';
import { createLogger } from '../../../src/core/logger.ts';
import { ClusterClients } from '../../../src/platforms/kubernetes/client.ts';
import { claimPodLabel } from '../../../src/platforms/kubernetes/claim-pod-spec.ts';
import { openClaimPod } from '../../../src/platforms/kubernetes/claim-pod.ts';
import { claimRunner } from '../../../src/platforms/kubernetes/claim-runner.ts';
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
const runId = `kb${randomBytes(4).toString('hex')}`;
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

/** As mkfs.ext4 leaves it: root's, 0700, with an orphan in it as e2fsck would put. */
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
/** Backups as configured now, claim pods as root (`engineUser: root`). */
let backups: EngineBackupService;
/** The same repository and ledger; the engine's backup runs with no exclude, as it did. */
let before: EngineBackupService;
/** The same; a drill's restored claim loses a file before it is compared. */
let losing: EngineBackupService;
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

/** The platform with its volumes' sites changed by `change` (the rest delegated). */
function withSites(
  platform: Platform,
  change: (site: VolumeSite, mode: 'read' | 'write') => VolumeSite,
): Platform {
  const files = platform.volumeFiles;
  if (files === undefined) throw new Error('no volume files');
  const changed: VolumeFiles = {
    directory: (volume, s) => files.directory(volume, s),
    inspect: (volume, s) => files.inspect(volume, s),
    create: (volume, l, s) => files.create(volume, l, s),
    open: async (volume, mode, s) => {
      const site = await files.open(volume, mode, s);
      return site === undefined ? undefined : change(site, mode);
    },
  };
  return Object.create(platform, { volumeFiles: { value: changed } }) as Platform;
}

beforeAll(async () => {
  image = await claimEngineImage();
  kubelet = new DockerKubelet({ docker, labels, pollMs: 100 });
  fake = await startFakeKubernetes({ kubelet, timeScale: 30 });
  config = await fake.kubeconfigPath('pes@lab');
  const all = [claimManifest('backups', 'ReadWriteMany'), claimManifest('data')];
  expect(
    (await kubectl(config, ['apply', '--server-side', '-f', '-'], all.join('---\n'))).code,
  ).toBe(0);
  await prepare('backups', 'true');
  await prepare('data', `${rootLostFound} && ${appFiles}`);
  expect((await kubectl(config, ['apply', '--server-side', '-f', '-'], deployment)).code).toBe(0);
  const running = (): boolean =>
    fake.store
      .list(pods, 'default')
      .some((p) => (p.status as { phase?: string } | undefined)?.phase === 'Running');
  await waitFor(running, 'the app pod to run', 120_000);
  const repository = await mountpointOf('backups');
  const cluster: ClusterConfig = {
    name: 'lab',
    source: 'kubeconfig',
    kubeconfig: config,
    context: 'pes@lab',
    backups: {
      image,
      startSeconds: 90,
      repositoryClaim: 'backups',
      repositoryPath: 'borg',
      engineUser: 'root',
    },
  };
  const ports = new ClusterPorts(new Map([['lab', cluster]]));
  const clients = await new ClusterClients(new Map([['lab', cluster]])).get('lab');
  // The engine in a root claim pod of the claim, its command as the engine gave it.
  const bare =
    (claim: string): EngineRunner =>
    async (command, options) => {
      const pod = await openClaimPod(
        clients,
        { image, startSeconds: 90, engineUser: 'root' },
        { namespace: 'default', claim, purpose: 'backup', repositoryClaim: 'backups' },
      );
      try {
        return await claimRunner(pod, { cluster: 'lab', repositoryInClaim: 'borg' })(
          command,
          options,
        );
      } finally {
        await pod.delete();
      }
    };
  const common = {
    engine: createBackupEngine({
      engine: 'borg',
      repository: `${repository}/borg`,
      password,
      env: { BORG_BASE_DIR: `${repository}/borg-base` },
    }),
    ledger: new SqliteBackupLedger(openDatabase(':memory:')),
    log: createLogger({ level: 'silent' }),
    databasePasswords: new Map<string, string>(),
    services: () => [app],
    checkSubset: '100%',
    healthPollMs: 100,
  };
  backups = createBackupService({ ...common, platform: (s) => ports.for(s) });
  before = createBackupService({
    ...common,
    platform: (s) =>
      withSites(ports.for(s), (site, mode) =>
        mode === 'read' ? { ...site, runner: bare('data') } : site,
      ),
  });
  losing = createBackupService({
    ...common,
    platform: (s) =>
      withSites(ports.for(s), (site, mode) =>
        mode === 'write'
          ? {
              ...site,
              // Only the drill's scratch claim is opened for writing here.
              compare: async (expected, s2) => {
                await site.removePaths(['a/lost+found/kept'], 'scratch', s2);
                return site.compare(expected, s2);
              },
            }
          : site,
      ),
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

it('an old snapshot holding the root lost+found drills clean; a real loss still fails it', async () => {
  const { stdout } = await run('find', [
    await mountpointOf('data'),
    '-maxdepth',
    '1',
    '-printf',
    '%P %m %U\\n',
  ]);
  expect(stdout).toContain('lost+found 700 0\n');
  const made = await before.backup(
    app,
    { only: undefined, tags: [], job: 'old-1' },
    steps,
    signal(),
  );
  expect(made.sources[0]?.kind).toBe('files');
  const id = made.sources[0]?.snapshotId ?? '';
  // The snapshot really holds it, as those made then did.
  const listed = await backups.files(app, id.slice(0, 8), undefined, 100, signal());
  expect(listed.entries.map((e) => e.path).sort()).toEqual([
    'a',
    'a/lost+found',
    'a/lost+found/kept',
    'b',
    'b/g',
    'f.txt',
    'lost+found',
    'lost+found/#12',
  ]);
  await noClaimPodLeft();

  const drill = await backups.verify(app, { job: 'old-2' }, steps, signal());
  expect(drill.drills.map((d) => [d.snapshotId, d.ok, d.reason])).toEqual([[id, true, undefined]]);
  expect(drill.ok).toBe(true);
  await noClaimPodLeft();

  // The nested lost+found is the application's: its loss is a loss.
  const lost = await losing.verify(app, { job: 'old-3' }, steps, signal());
  expect(lost.drills.map((d) => [d.snapshotId, d.ok, d.problem])).toEqual([
    [id, false, 'mismatch'],
  ]);
  // f.txt, b/g and a/lost+found/kept: regular files only are counted.
  expect(lost.drills[0]?.reason).toMatch(
    /^files: 3 → 2; bytes: 9 → 4; file list: .*; a\/lost\+found\/kept: missing$/,
  );
  expect(lost.ok).toBe(false);
  await noClaimPodLeft();
});

it('restored, it leaves the claim’s own lost+found as it is', async () => {
  const old = (await backups.snapshots(app, signal())).find((s) => s.job === 'old-1');
  if (old === undefined) throw new Error('no old snapshot');
  const data = await mountpointOf('data');
  // What the file system holds now: another orphan; and the application lost a file.
  await run('rm', ['-f', `${data}/lost+found/#12`, `${data}/f.txt`]);
  await run('sh', [
    '-c',
    'echo newer > "$1/lost+found/#13" && chmod 600 "$1/lost+found/#13"',
    'sh',
    data,
  ]);
  const plan = await backups.planRestore(app, old.id.slice(0, 8), undefined, signal());
  await backups.restore(app, plan, { job: 'old-4' }, steps, signal());
  const { stdout } = await run('find', [data, '-mindepth', '1', '-printf', '%P %m %U\\n']);
  const after = stdout.trim().split('\n').sort();
  expect(after).toContain('f.txt 644 1000');
  expect(after.filter((l) => l.startsWith('lost+found'))).toEqual([
    'lost+found 700 0',
    'lost+found/#13 600 0',
  ]);
  await noClaimPodLeft();
});
