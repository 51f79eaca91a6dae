/**
 * File-level backups of PersistentVolumeClaims on a cluster: the fake API server with
 * real-process pods (DockerKubelet, two nodes), real restic in claim pods made from an image
 * with Debian's restic and borg, the repository on a claim of its own (ReadWriteMany) that
 * the bot's own restic reaches as a local path too (the claim's Docker volume), as a bot
 * pod mounting the same claim would.
 *
 * Proved here: a claim's backup and full restore come back byte for byte (owners, modes,
 * times, hard and symbolic links, empty folders); an unchanged second backup adds almost
 * nothing by restic's own summary; the restore scales the workload to 0 and back and it is
 * ready again; a drill restores into a scratch claim that is deleted afterwards; the backup
 * pod is pinned to the node of the pod that mounts the claim (the fake refuses a second
 * node with Multi-Attach, as the attach/detach controller does), and a claim whose pod is on
 * a node that is gone is refused with one line, its pod deleted; a claim pod is deleted after
 * a success, a failure and a cancel; the password is in no stored pod nor in any request;
 * borg does the same round trip; a start-up sweep deletes claim pods a killed bot left.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SqliteBackupLedger } from '../../../src/store/backup-repo.ts';
import { openDatabase } from '../../../src/store/database.ts';
import { createBackupEngine } from '../../../src/backup/engines/factory.ts';
import { ResticEngine } from '../../../src/backup/engines/restic.ts';
import type { EngineBackupService } from '../../../src/backup/service.ts';
import { createBackupService } from '../../../src/backup/wire.ts';
import type { ClusterConfig } from '../../../src/config/kubernetes.ts';
import type { ServiceDefinition } from '../../../src/core/catalog.ts';
import { isUserError } from '../../../src/core/errors.ts';
import { createLogger } from '../../../src/core/logger.ts';
import type { Platform } from '../../../src/core/platform.ts';
import { claimPodLabel } from '../../../src/platforms/kubernetes/claim-pod-spec.ts';
import { ClusterPorts } from '../../../src/platforms/kubernetes/cluster-ports.ts';
import { isProcessAlive } from '../../../src/store/jobs-repo.ts';
import { scratchLabel } from '../../../src/platforms/kubernetes/scratch-claim.ts';
import { DockerKubelet } from '../../fakes/kubernetes/docker-kubelet.ts';
import {
  resourceByName,
  startFakeKubernetes,
  type FakeKubernetes,
  type JsonObject,
} from '../../fakes/kubernetes/index.ts';
import { busyboxImage, requireTestDocker } from '../../helpers/docker.ts';
import { kubectl } from '../../helpers/kubectl.ts';
import { claimEngineImage } from './claim-engine-image.ts';

// Each backup, restore and drill starts pods with real containers; slow on a loaded machine.
vi.setConfig({ testTimeout: 240_000, hookTimeout: 600_000 });

const docker = requireTestDocker().docker;
const runId = `kb${randomBytes(4).toString('hex')}`;
const password = `pw-${randomBytes(12).toString('hex')}`;
const pods = resourceByName('pods');
const claims = resourceByName('persistentvolumeclaims');
const deployments = resourceByName('deployments');

/** Owners by number, modes, a hard link, a symbolic link, an empty folder, a set time. */
const fill =
  'mkdir -p /data/d/e /data/empty /data/keep && echo hello > /data/a.txt && chmod 640 /data/a.txt && ' +
  'dd if=/dev/urandom of=/data/d/blob bs=1024 count=700 2>/dev/null && ln -s a.txt /data/link && ' +
  'echo k > /data/keep/one && chown -R 48:49 /data/keep && ' +
  'touch /data/d/e/f && chown 33:33 /data/d && chmod 2750 /data/d && ln /data/d/blob /data/hard && ' +
  'touch -d "2020-02-03 04:05:06" /data/a.txt /data/d/e/f';

/** Names, modes, owners, link counts, types, file times and checksums. */
const listingScript =
  'cd /data && find . -mindepth 1 | sort | while read -r f; do ' +
  'if [ -d "$f" ]; then stat -c "%n %a %u:%g %F" "$f"; ' +
  'else stat -c "%n %a %u:%g %h %F %Y" "$f"; fi; done && ' +
  'find . -type l | sort | while read -r f; do echo "$f -> $(readlink "$f")"; done && ' +
  'find . -type f | sort | xargs md5sum';

function deployment(name: string, claim: string, node: string): string {
  // The claim first: the fake's kubelet leaves a pod whose claim is missing Pending for good.
  return `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: ${claim}}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: 1
  strategy: {type: Recreate}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      nodeName: ${node}
      securityContext: {runAsUser: 0, runAsGroup: 0}
      containers:
      - name: app
        image: ${busyboxImage}
        command: ["/bin/busybox", "sh", "-c", "exec sleep 3600"]
        volumeMounts: [{name: data, mountPath: /data}]
      volumes:
      - name: data
        persistentVolumeClaim: {claimName: ${claim}}
`;
}

function serviceOn(name: string, claim: string): ServiceDefinition {
  return {
    name,
    platform: 'kubernetes',
    containers: {},
    scale: { min: 0, max: 3 },
    health: { minRunning: 1, timeoutSeconds: 120 },
    volumes: [claim],
    databases: [],
    kubernetes: {
      cluster: 'lab',
      namespace: 'default',
      workload: { kind: 'Deployment', name },
    },
  };
}

let kubelet: DockerKubelet;
let fake: FakeKubernetes;
let config: string;
let ports: ClusterPorts;
let backups: EngineBackupService;
const app = serviceOn('app', 'data');
/** Every claim pod as stored, at each change; and every scratch claim's events. */
const claimPods = new Map<string, { spec: JsonObject; events: string[] }>();
const scratchEvents: string[] = [];
const replicasSeen: number[] = [];

async function runningPod(name: string): Promise<string> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const found = fake.store
      .list(pods, 'default')
      .find(
        (p) =>
          (p.metadata as JsonObject | undefined)?.['labels'] !== undefined &&
          ((p.metadata as { labels: Record<string, string> }).labels['app'] ?? '') === name &&
          (p.status as { phase?: string } | undefined)?.phase === 'Running' &&
          (
            (p.status as { containerStatuses?: { ready?: boolean }[] }).containerStatuses ?? []
          ).every((c) => c.ready === true),
      );
    const podName = (found?.metadata as { name?: string } | undefined)?.name;
    if (podName !== undefined) return podName;
    if (Date.now() > deadline) {
      throw new Error(
        `no running pod of ${name}: ${JSON.stringify(fake.store.list(pods, 'default').map((p) => [p.metadata, p.spec, p.status]))} ${String(kubelet.errors)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

function platformOf(service: ServiceDefinition): Platform {
  return ports.for(service);
}

async function inApp(name: string, script: string): Promise<string> {
  const pod = await runningPod(name);
  const result = await platformOf(app).exec(
    `default/${pod}/app`,
    ['/bin/busybox', 'sh', '-c', script],
    {},
  );
  expect(result.stderr).toBe('');
  expect(result.exitCode).toBe(0);
  return result.stdout;
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

const signal = (): AbortSignal => new AbortController().signal;
const steps = (): void => undefined;

beforeAll(async () => {
  const image = await claimEngineImage();
  kubelet = new DockerKubelet({
    docker,
    labels: { 'pes.test': '1', 'pes.test.run': runId },
    pollMs: 100,
    nodes: ['node-a', 'node-b'],
  });
  fake = await startFakeKubernetes({ kubelet, timeScale: 30 });
  fake.store.subscribe((e) => {
    const meta = e.object['metadata'] as { name?: string; labels?: Record<string, string> };
    if (e.resource.kind === 'Pod' && meta.labels?.[claimPodLabel] !== undefined) {
      const known = claimPods.get(meta.name ?? '') ?? { spec: e.object, events: [] };
      known.events.push(e.type);
      known.spec = e.object;
      claimPods.set(meta.name ?? '', known);
    }
    if (e.resource.kind === 'PersistentVolumeClaim' && meta.labels?.[scratchLabel] !== undefined) {
      scratchEvents.push(`${e.type} ${meta.name ?? ''}`);
    }
    if (e.resource.kind === 'Deployment' && meta.name === 'app') {
      const replicas = (e.object['spec'] as { replicas?: number }).replicas ?? -1;
      if (replicasSeen.at(-1) !== replicas) replicasSeen.push(replicas);
    }
  });
  config = await fake.kubeconfigPath('pes@lab');
  const repoClaim = `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: backups}
spec:
  accessModes: [ReadWriteMany]
  resources: {requests: {storage: 5Gi}}
`;
  expect((await kubectl(config, ['apply', '--server-side', '-f', '-'], repoClaim)).code).toBe(0);
  expect(
    (
      await kubectl(
        config,
        ['apply', '--server-side', '-f', '-'],
        deployment('app', 'data', 'node-b'),
      )
    ).code,
  ).toBe(0);
  // The repository claim's volume, made now so that the bot's own restic finds it here too.
  const claim = fake.store.mustGet(claims, 'default', 'backups');
  const volume = DockerKubelet.volumeOf(claim);
  await docker.createVolume({
    Name: volume,
    Labels: { 'pes.test': '1', 'pes.test.run': runId, 'fake-kubernetes.pvc': 'default/backups' },
  });
  const mountpoint = (await docker.getVolume(volume).inspect()).Mountpoint;
  const repository = `${mountpoint}/restic`;
  // Ten status lines a second: a cancel on the first one comes early in a run.
  const engine = new ResticEngine({
    repository,
    password,
    env: { RESTIC_CACHE_DIR: `${mountpoint}/cache` },
    progressFps: 10,
  });
  // As `clusters.lab.backups` in the configuration gives it (claim-config.test.ts).
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
    engine,
    ledger: new SqliteBackupLedger(openDatabase(':memory:')),
    log: createLogger({ level: 'silent' }),
    platform: platformOf,
    databasePasswords: new Map(),
    services: () => [app, serviceOn('pair', 'big'), serviceOn('held', 'held')],
    checkSubset: '100%',
    healthPollMs: 100,
  });
  await inApp('app', fill);
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

describe('a claim backed up and restored by claim pods', () => {
  let original: string;
  let firstId: string;

  it('backs up the claim from a read-only pod pinned to the node of the pod that uses it', async () => {
    original = await inApp('app', listingScript);
    const before = new Set(claimPods.keys());
    const report = await backups.backup(
      app,
      { only: undefined, tags: [], job: 'job-1' },
      steps,
      signal(),
    );
    const source = report.sources[0];
    expect(source?.source).toBe('volume:data');
    expect(source?.kind).toBe('files');
    firstId = source?.snapshotId ?? '';
    const made = [...claimPods.entries()].filter(([name]) => !before.has(name));
    expect(made.length).toBeGreaterThan(0);
    for (const [, pod] of made) {
      const spec = pod.spec['spec'] as JsonObject;
      expect(spec['nodeName']).toBe('node-b');
      const data = (spec['volumes'] as JsonObject[]).find((v) => v['name'] === 'data');
      expect(data?.['persistentVolumeClaim']).toEqual({ claimName: 'data', readOnly: true });
      // Deleted, and the delete was seen.
      expect(pod.events.at(-1)).toBe('DELETED');
    }
    expect(liveClaimPods()).toEqual([]);
  });

  it('an unchanged second backup adds almost nothing, by restic’s own summary', async () => {
    const report = await backups.backup(
      app,
      { only: undefined, tags: [], job: 'job-2' },
      steps,
      signal(),
    );
    const source = report.sources[0];
    expect(source?.filesChanged).toBe(0);
    // The tree objects and the snapshot: a few kilobytes, against 700 KB of data.
    expect(source?.bytesAdded ?? Number.POSITIVE_INFINITY).toBeLessThan(16 * 1024);
  });

  it('restores with the workload scaled to 0 and back: byte for byte, ready again', async () => {
    await inApp('app', 'rm -rf /data/keep /data/link && echo new > /data/made-since');
    expect(await inApp('app', listingScript)).not.toBe(original);
    replicasSeen.length = 0;
    replicasSeen.push(1);
    const plan = await backups.planRestore(app, firstId.slice(0, 8), undefined, signal());
    const report = await backups.restore(app, plan, { job: 'job-3' }, steps, signal());
    expect(report.safetySnapshot).toBeDefined();
    expect(replicasSeen).toEqual([1, 0, 1]);
    expect(await inApp('app', listingScript)).toBe(original);
    const deployment = fake.store.mustGet(deployments, 'default', 'app');
    expect(
      (deployment.metadata as { annotations?: Record<string, string> }).annotations?.[
        'pes-bot.io/replicas-before-stop'
      ],
    ).toBeUndefined();
    expect(liveClaimPods()).toEqual([]);
  });

  it('a drill restores into a scratch claim, compares, and deletes it', async () => {
    scratchEvents.length = 0;
    const report = await backups.verify(app, { job: 'job-4' }, steps, signal());
    expect(report.drills.map((d) => [d.source, d.ok, d.reason])).toEqual([
      ['volume:data', true, undefined],
    ]);
    expect(report.ok).toBe(true);
    expect(scratchEvents.map((e) => e.split(' ')[0])).toEqual(['ADDED', 'DELETED']);
    expect(
      fake.store
        .list(claims, 'default')
        .filter((c) => (c.metadata as { labels?: Record<string, string> }).labels?.[scratchLabel]),
    ).toEqual([]);
    expect(liveClaimPods()).toEqual([]);
  });
});

describe('the same with borg in the claim pods', () => {
  let borg: EngineBackupService;
  let original: string;

  beforeAll(async () => {
    const claim = fake.store.mustGet(claims, 'default', 'backups');
    const mountpoint = (await docker.getVolume(DockerKubelet.volumeOf(claim)).inspect()).Mountpoint;
    const borgPorts = new ClusterPorts(
      new Map<string, ClusterConfig>([
        ['lab', { name: 'lab', source: 'kubeconfig', kubeconfig: config, context: 'pes@lab' }],
      ]),
      {
        claims: new Map([
          [
            'lab',
            {
              image: await claimEngineImage(),
              startSeconds: 90,
              repositoryClaim: 'backups',
              repositoryInClaim: 'borg',
            },
          ],
        ]),
      },
    );
    borg = createBackupService({
      engine: createBackupEngine({
        engine: 'borg',
        repository: `${mountpoint}/borg`,
        password,
        env: { BORG_BASE_DIR: `${mountpoint}/borg-base` },
      }),
      ledger: new SqliteBackupLedger(openDatabase(':memory:')),
      log: createLogger({ level: 'silent' }),
      platform: (s) => borgPorts.for(s),
      databasePasswords: new Map(),
      checkSubset: '100%',
      healthPollMs: 100,
    });
  });

  it('backs up twice (the second adds almost nothing) and restores byte for byte', async () => {
    original = await inApp('app', listingScript);
    const first = await borg.backup(
      app,
      { only: undefined, tags: [], job: 'borg-1' },
      steps,
      signal(),
    );
    expect(first.sources[0]?.kind).toBe('files');
    const second = await borg.backup(
      app,
      { only: undefined, tags: [], job: 'borg-2' },
      steps,
      signal(),
    );
    expect(second.sources[0]?.bytesAdded ?? Number.POSITIVE_INFINITY).toBeLessThan(16 * 1024);
    await inApp('app', 'rm -rf /data/keep && echo new > /data/made-since');
    const plan = await borg.planRestore(app, 'latest', undefined, signal());
    await borg.restore(app, plan, { job: 'borg-3' }, steps, signal());
    expect(await inApp('app', listingScript)).toBe(original);
    expect(liveClaimPods()).toEqual([]);
  });
});

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

/** Resolves with the name of the next claim pod once its container runs. */
function nextRunningClaimPod(): Promise<string> {
  return new Promise((resolve) => {
    const stop = fake.store.subscribe((e) => {
      const meta = e.object['metadata'] as { name?: string; labels?: Record<string, string> };
      const status = e.object['status'] as { phase?: string } | undefined;
      if (e.resource.kind !== 'Pod' || meta.labels?.[claimPodLabel] === undefined) return;
      if (status?.phase !== 'Running') return;
      stop();
      resolve(meta.name ?? '');
    });
  });
}

describe('where a claim pod runs, and that it goes on every path', () => {
  it('the fake holds ReadWriteOnce to one node: an unpinned pod of the claim waits in ContainerCreating', async () => {
    const pod = `apiVersion: v1
kind: Pod
metadata: {name: stray}
spec:
  containers:
  - name: main
    image: ${busyboxImage}
    command: ["/bin/busybox", "sleep", "3600"]
    volumeMounts: [{name: data, mountPath: /data}]
  volumes:
  - name: data
    persistentVolumeClaim: {claimName: data}
`;
    expect((await kubectl(config, ['apply', '--server-side', '-f', '-'], pod)).code).toBe(0);
    const events = resourceByName('events');
    const deadline = Date.now() + 60_000;
    let message: string | undefined;
    while (message === undefined && Date.now() < deadline) {
      message = fake.store
        .list(events, 'default')
        .map((e) => e as { reason?: string; message?: string; involvedObject?: { name?: string } })
        .find(
          (e) => e.involvedObject?.name === 'stray' && e.reason === 'FailedAttachVolume',
        )?.message;
      if (message === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    expect(message).toMatch(
      /^Multi-Attach error for volume "pvc-[0-9a-f-]+" Volume is already used by pod\(s\) app-/,
    );
    const stray = fake.store.mustGet(pods, 'default', 'stray');
    expect((stray.spec as { nodeName?: string }).nodeName).toBe('node-a');
    expect(stray.status).toMatchObject({
      phase: 'Pending',
      containerStatuses: [{ state: { waiting: { reason: 'ContainerCreating' } } }],
    });
    expect((await kubectl(config, ['delete', 'pod', 'stray'])).code).toBe(0);
  });

  it('refuses, in one line, a claim whose pod is on a node that is gone, and deletes its pod', async () => {
    expect(
      (
        await kubectl(
          config,
          ['apply', '--server-side', '-f', '-'],
          deployment('ghost', 'lost', 'node-gone'),
        )
      ).code,
    ).toBe(0);
    const ghost = serviceOn('ghost', 'lost');
    const quick = new ClusterPorts(
      new Map<string, ClusterConfig>([
        ['lab', { name: 'lab', source: 'kubeconfig', kubeconfig: config, context: 'pes@lab' }],
      ]),
      {
        claims: new Map([
          [
            'lab',
            {
              image: await claimEngineImage(),
              startSeconds: 4,
              repositoryClaim: 'backups',
              repositoryInClaim: 'restic',
            },
          ],
        ]),
      },
    );
    const before = new Set(claimPods.keys());
    const failure = await quick
      .for(ghost)
      .volumeFiles?.open('lost', 'read')
      .then(async (site) => {
        try {
          return await site?.isEmpty();
        } finally {
          await site?.close();
        }
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    if (!isUserError(failure)) throw new Error(`not a UserError: ${String(failure)}`);
    expect(failure.code).toBe('kubernetes-claim-pod-not-started');
    const line = failure.text('en');
    expect(line).toMatch(
      /^Pod pes-backup-lost-[0-9a-f]{6} for volume lost \(namespace default, cluster lab\) did not start within 4 s on node node-gone: Pending\. The pod was deleted; the data is untouched\.$/,
    );
    const made = [...claimPods.entries()].filter(([name]) => !before.has(name));
    expect(made.map(([, p]) => (p.spec['spec'] as { nodeName?: string }).nodeName)).toEqual([
      'node-gone',
    ]);
    await noClaimPodLeft();
    expect(made[0]?.[1].events.at(-1)).toBe('DELETED');
  });

  it('deletes the claim pod after a failed engine run (a wrong password)', async () => {
    const claim = fake.store.mustGet(claims, 'default', 'backups');
    const mountpoint = (await docker.getVolume(DockerKubelet.volumeOf(claim)).inspect()).Mountpoint;
    const wrong = createBackupService({
      engine: createBackupEngine({
        engine: 'restic',
        repository: `${mountpoint}/restic`,
        password: 'not-the-password',
        env: { RESTIC_CACHE_DIR: `${mountpoint}/cache` },
      }),
      ledger: new SqliteBackupLedger(openDatabase(':memory:')),
      log: createLogger({ level: 'silent' }),
      platform: platformOf,
      databasePasswords: new Map(),
    });
    const before = new Set(claimPods.keys());
    await expect(
      wrong.backup(app, { only: undefined, tags: [], job: 'job-5' }, steps, signal()),
    ).rejects.toThrow(/password/i);
    await noClaimPodLeft();
    const made = [...claimPods.entries()].filter(([name]) => !before.has(name));
    expect(made.length).toBeGreaterThan(0);
    for (const [, pod] of made) expect(pod.events.at(-1)).toBe('DELETED');
  });

  it('deletes the claim pod when the backup is cancelled while restic runs in it, and leaves no lock', async () => {
    await inApp('app', 'dd if=/dev/urandom of=/data/big bs=1M count=96 2>/dev/null');
    const controller = new AbortController();
    const running = nextRunningClaimPod();
    // restic's own progress: it runs, and holds its lock, when the cancel comes.
    const backup = backups.backup(
      app,
      { only: undefined, tags: [], job: 'job-6' },
      (step) => {
        const done = step.bytesDone ?? 0;
        if (step.phase === 'backup' && done > 0 && done < (step.bytesTotal ?? 0) / 2) {
          controller.abort(new Error('cancelled by the test'));
        }
      },
      controller.signal,
    );
    const pod = await running;
    await expect(backup).rejects.toThrow('cancelled by the test');
    await noClaimPodLeft();
    expect(claimPods.get(pod)?.events.at(-1)).toBe('DELETED');
    const claim = fake.store.mustGet(claims, 'default', 'backups');
    const mountpoint = (await docker.getVolume(DockerKubelet.volumeOf(claim)).inspect()).Mountpoint;
    expect(readdirSync(`${mountpoint}/restic/locks`)).toEqual([]);
    await inApp('app', 'rm /data/big');
  });
});

it('keeps the password out of every claim pod stored and every request, on every path', () => {
  expect(claimPods.size).toBeGreaterThan(3);
  for (const [, pod] of claimPods) expect(JSON.stringify(pod.spec)).not.toContain(password);
  for (const r of fake.requests) {
    expect(`${r.path}?${r.query} ${r.body}`).not.toContain(password);
  }
});

it('a start-up sweep leaves a claim pod of this process alone', async () => {
  const { openClaimPod } = await import('../../../src/platforms/kubernetes/claim-pod.ts');
  const { ClusterClients } = await import('../../../src/platforms/kubernetes/client.ts');
  const clients = await new ClusterClients(
    new Map<string, ClusterConfig>([
      ['lab', { name: 'lab', source: 'kubeconfig', kubeconfig: config, context: 'pes@lab' }],
    ]),
  ).get('lab');
  // Made by this process and in use (as a job's pod is while `pes serve` starts).
  const left = await openClaimPod(
    clients,
    { image: await claimEngineImage(), startSeconds: 90 },
    { namespace: 'default', claim: 'data', purpose: 'backup' },
  );
  expect(liveClaimPods()).toEqual([left.name]);
  const appPod = await runningPod('app');
  // This process's own pod is in use: left alone.
  expect(await ports.sweepClaimPods([app], isProcessAlive)).toEqual([]);
  expect(liveClaimPods()).toEqual([left.name]);
  // (A dead owner's pod goes: test/integration/pes-serve-claim-sweep.test.ts.)
  await left.delete();
  await noClaimPodLeft();
  expect(await runningPod('app')).toBe(appPod);
});

it('measures a claim in its pod exactly as the bot measures the same files here', async () => {
  const { measureTree } = await import('../../../src/backup/tree-walk.ts');
  const claim = fake.store.mustGet(claims, 'default', 'data');
  const mountpoint = (await docker.getVolume(DockerKubelet.volumeOf(claim)).inspect()).Mountpoint;
  const files = ports.for(app).volumeFiles;
  const site = await files?.open('data', 'read');
  if (site === undefined) throw new Error('no site');
  try {
    const samplesBefore = new Date(Date.now() + 60_000);
    const inPod = await site.measure({ samplesBefore });
    const here = await measureTree(mountpoint, { samplesBefore });
    expect(inPod.figures).toEqual(here.figures);
    expect(inPod.samples).toEqual(here.samples);
    expect(inPod.samples.length).toBeGreaterThan(0);
  } finally {
    await site.close();
  }
  await noClaimPodLeft();
});

describe('restore --to on a cluster', () => {
  const claimSize = (name: string): string | undefined =>
    (
      fake.store.mustGet(claims, 'default', name).spec as {
        resources?: { requests?: Record<string, string> };
      }
    ).resources?.requests?.['storage'];

  it('makes the new claim like the claim the snapshot came from, not the service’s first', async () => {
    const manifest = deployment('pair', 'big', 'node-a').replace(
      '{requests: {storage: 1Gi}}',
      '{requests: {storage: 3Gi}}',
    );
    expect((await kubectl(config, ['apply', '--server-side', '-f', '-'], manifest)).code).toBe(0);
    await inApp('pair', 'echo big > /data/one');
    expect(claimSize('big')).toBe('3Gi');
    expect(claimSize('data')).toBe('1Gi');
    const report = await backups.backup(
      serviceOn('pair', 'big'),
      { only: undefined, tags: [], job: 'job-to-1' },
      steps,
      signal(),
    );
    const id = report.sources[0]?.snapshotId ?? '';
    const plan = await backups.planRestore(
      serviceOn('pair', 'big'),
      id.slice(0, 8),
      undefined,
      signal(),
      {
        to: 'big-copy',
      },
    );
    await backups.restore(serviceOn('pair', 'big'), plan, { job: 'job-to-2' }, steps, signal());
    expect(claimSize('big-copy')).toBe('3Gi');
    // The restore names the snapshot's source, which the platform makes the claim like.
    const labels = (
      fake.store.mustGet(claims, 'default', 'big-copy').metadata as {
        labels?: Record<string, string>;
      }
    ).labels;
    expect(
      Object.entries(labels ?? {}).filter(([k, v]) => k.includes('source') && v === 'volume_big'),
    ).toHaveLength(1);
    // A service whose first claim is a smaller one: the new claim is still like the source's.
    const both = { ...serviceOn('both', 'big'), volumes: ['data', 'big'] };
    await ports
      .for(both)
      .volumeFiles?.create('big-copy-2', { 'pes.source': 'volume:big', 'pes.service': 'both' });
    expect(claimSize('big-copy-2')).toBe('3Gi');
    await noClaimPodLeft();
  });

  it('refuses the repository’s claim, a drill’s scratch claim and another service’s claim, nothing changed', async () => {
    const scratch = `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: left-scratch, labels: {${scratchLabel}: drill}}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: held}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
`;
    expect((await kubectl(config, ['apply', '--server-side', '-f', '-'], scratch)).code).toBe(0);
    const pair = serviceOn('pair', 'big');
    const claimsBefore = JSON.stringify(fake.store.list(claims, 'default'));
    for (const [to, code] of [
      ['backups', 'backup-target-repository'],
      ['left-scratch', 'backup-target-scratch'],
      ['held', 'backup-target-of-service'],
    ] as const) {
      const refused = await backups
        .planRestore(pair, 'latest', undefined, signal(), { to, force: true })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(isUserError(refused) ? refused.code : refused, `--to ${to}`).toBe(code);
    }
    expect(JSON.stringify(fake.store.list(claims, 'default'))).toBe(claimsBefore);
    await noClaimPodLeft();
  });
});
