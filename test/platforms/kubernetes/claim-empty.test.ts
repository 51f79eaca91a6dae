/**
 * An empty claim on a cluster: restic 0.14 refuses a snapshot of no files at all ("snapshot
 * is empty"), so an empty claim goes as a tar stream, as an empty Docker volume does
 * (run-backup.ts, claim-tar.ts). The fake API server with real-process pods (DockerKubelet),
 * real restic, the claim pods' image and the repository claim of claim-backup.test.ts.
 *
 * Proved here: the empty claim is backed up and listed; its drill passes; restoring it onto
 * the claim that holds data since empties it, after a safety backup of that data; a restore
 * onto the empty claim has its safety backup too; no claim pod is left.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ResticEngine } from '../../../src/backup/engines/restic.ts';
import type { EngineBackupService } from '../../../src/backup/service.ts';
import { createBackupService } from '../../../src/backup/wire.ts';
import type { ClusterConfig } from '../../../src/config/kubernetes.ts';
import type { ServiceDefinition } from '../../../src/core/catalog.ts';
import { createLogger } from '../../../src/core/logger.ts';
import { claimPodLabel } from '../../../src/platforms/kubernetes/claim-pod-spec.ts';
import { ClusterPorts } from '../../../src/platforms/kubernetes/cluster-ports.ts';
import { scratchLabel } from '../../../src/platforms/kubernetes/scratch-claim.ts';
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
import { claimEngineImage } from './claim-engine-image.ts';

// Each backup, restore and drill starts pods with real containers; slow on a loaded machine.
vi.setConfig({ testTimeout: 240_000, hookTimeout: 600_000 });

const docker = requireTestDocker().docker;
const runId = `ke${randomBytes(4).toString('hex')}`;
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

const manifests = `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: backups}
spec:
  accessModes: [ReadWriteMany]
  resources: {requests: {storage: 5Gi}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  replicas: 1
  strategy: {type: Recreate}
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      securityContext: {runAsUser: 0, runAsGroup: 0}
      containers:
      - name: app
        image: ${busyboxImage}
        command: ["/bin/busybox", "sh", "-c", "exec sleep 3600"]
        volumeMounts: [{name: data, mountPath: /data}]
      volumes:
      - name: data
        persistentVolumeClaim: {claimName: data}
`;

let kubelet: DockerKubelet;
let fake: FakeKubernetes;
let ports: ClusterPorts;
let backups: EngineBackupService;
const signal = (): AbortSignal => new AbortController().signal;
const steps = (): void => undefined;

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

async function runningPod(): Promise<string> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const found = fake.store.list(pods, 'default').find((p) => {
      const meta = p.metadata as { labels?: Record<string, string> };
      const status = p.status as { phase?: string; containerStatuses?: { ready?: boolean }[] };
      return (
        meta.labels?.['app'] === 'app' &&
        status.phase === 'Running' &&
        (status.containerStatuses ?? []).every((c) => c.ready === true)
      );
    });
    const name = (found?.metadata as { name?: string } | undefined)?.name;
    if (name !== undefined) return name;
    if (Date.now() > deadline) throw new Error(`no running pod of app: ${String(kubelet.errors)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A script in the workload's own pod, which mounts the claim at /data. */
async function inApp(script: string): Promise<string> {
  const result = await ports
    .for(app)
    .exec(`default/${await runningPod()}/app`, ['/bin/busybox', 'sh', '-c', script], {});
  expect(result.stderr).toBe('');
  expect(result.exitCode).toBe(0);
  return result.stdout;
}

const listing = (): Promise<string> => inApp('cd /data && find . -mindepth 1 | sort');

beforeAll(async () => {
  const image = await claimEngineImage();
  kubelet = new DockerKubelet({ docker, labels, pollMs: 100 });
  fake = await startFakeKubernetes({ kubelet, timeScale: 30 });
  const config = await fake.kubeconfigPath('pes@lab');
  expect((await kubectl(config, ['apply', '--server-side', '-f', '-'], manifests)).code).toBe(0);
  // The repository claim's volume, made now so that the bot's own restic finds it here too.
  const volume = DockerKubelet.volumeOf(fake.store.mustGet(claims, 'default', 'backups'));
  await docker.createVolume({ Name: volume, Labels: labels });
  const mountpoint = (await docker.getVolume(volume).inspect()).Mountpoint;
  ports = new ClusterPorts(
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
          },
        },
      ],
    ]),
  );
  backups = createBackupService({
    engine: new ResticEngine({
      repository: `${mountpoint}/restic`,
      password,
      env: { RESTIC_CACHE_DIR: `${mountpoint}/cache` },
    }),
    ledger: new SqliteBackupLedger(openDatabase(':memory:')),
    log: createLogger({ level: 'silent' }),
    platform: (s) => ports.for(s),
    databasePasswords: new Map(),
    services: () => [app],
    checkSubset: '100%',
    healthPollMs: 100,
  });
  expect(await listing()).toBe('');
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

describe('an empty claim', () => {
  let emptyId = '';

  it('is backed up as a tar stream and listed', async () => {
    const report = await backups.backup(
      app,
      { only: undefined, tags: [], job: 'empty-1' },
      steps,
      signal(),
    );
    const [source] = report.sources;
    expect(source?.source).toBe('volume:data');
    emptyId = source?.snapshotId ?? '';
    const listed = await backups.snapshots(app, signal());
    expect(listed.map((s) => [s.id, s.kind, s.source, s.job])).toEqual([
      [emptyId, 'stream', 'volume:data', 'empty-1'],
    ]);
    // A tar of no member: its end blocks only.
    expect(listed[0]?.manifest?.files).toBe(0);
    await noClaimPodLeft();
  });

  it('a drill of it restores into a scratch claim and passes', async () => {
    const report = await backups.verify(app, { job: 'empty-2' }, steps, signal());
    expect(report.drills.map((d) => [d.source, d.ok, d.reason])).toEqual([
      ['volume:data', true, undefined],
    ]);
    expect(report.ok).toBe(true);
    expect(
      fake.store
        .list(claims, 'default')
        .filter((c) => (c.metadata as { labels?: Record<string, string> }).labels?.[scratchLabel]),
    ).toEqual([]);
    await noClaimPodLeft();
  });

  it('restored onto the claim that holds data since, empties it after a safety backup of that data', async () => {
    await inApp(
      'mkdir -p /data/d/e && echo one > /data/a.txt && echo two > /data/d/e/b.txt && ' +
        'ln -s a.txt /data/link && chmod 700 /data/d',
    );
    const plan = await backups.planRestore(app, emptyId.slice(0, 8), undefined, signal());
    expect(plan.items.map((i) => i.source)).toEqual(['volume:data']);
    const report = await backups.restore(app, plan, { job: 'empty-3' }, steps, signal());
    expect(await listing()).toBe('');
    // The safety backup holds what was there: file by file, since the claim was not empty.
    const safety = (await backups.snapshots(app, signal())).find(
      (s) => s.id === report.safetySnapshot,
    );
    expect(safety?.kind).toBe('files');
    expect(safety?.manifest?.files).toBe(2);
    // Restoring the safety backup brings the data back.
    const back = await backups.planRestore(app, safety?.id.slice(0, 8) ?? '', undefined, signal());
    await backups.restore(app, back, { job: 'empty-4' }, steps, signal());
    expect(await listing()).toBe('./a.txt\n./d\n./d/e\n./d/e/b.txt\n./link\n');
    await noClaimPodLeft();
  });

  it('a restore onto the empty claim has its safety backup too (a tar)', async () => {
    await inApp('rm -rf /data/* && ls -A /data');
    expect(await listing()).toBe('');
    const plan = await backups.planRestore(app, emptyId.slice(0, 8), undefined, signal());
    const report = await backups.restore(app, plan, { job: 'empty-5' }, steps, signal());
    const safety = (await backups.snapshots(app, signal())).find(
      (s) => s.id === report.safetySnapshot,
    );
    expect(safety?.kind).toBe('stream');
    expect(await listing()).toBe('');
    await noClaimPodLeft();
  });
});
