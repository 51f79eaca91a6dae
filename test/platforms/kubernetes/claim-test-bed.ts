/**
 * The test bed of the claim backup tests: the fake API server with real-process pods
 * (DockerKubelet) of test/fakes/kubernetes, the claim pods' image, claims whose Docker volumes
 * are made and read here as root, a repository claim the bot's own engine reaches through its
 * volume's mount point, and the wait for every claim pod to be gone. Each test file makes one
 * bed per cluster, starts it in beforeAll and closes it in afterAll.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { createBackupEngine } from '../../../src/backup/engines/factory.ts';
import { ResticEngine } from '../../../src/backup/engines/restic.ts';
import type { BackupEngine } from '../../../src/backup/types.ts';
import type { BackupWiring } from '../../../src/backup/wire.ts';
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

export const pods = resourceByName('pods');
export const claims = resourceByName('persistentvolumeclaims');

/** A Deployment `app` in `default` of cluster `lab`, with the one claim `data`. */
export const app: ServiceDefinition = {
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

export const claimManifest = (
  name: string,
  mode = 'ReadWriteOnce',
  storage = '1Gi',
): string => `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: ${name}}
spec:
  accessModes: [${mode}]
  resources: {requests: {storage: ${storage}}}
`;

/** The workload `app`, running as `uid` (its claim pods too, unless engineUser is root). */
export const appDeployment = (uid: number): string => `apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  replicas: 1
  strategy: {type: Recreate}
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      securityContext: {runAsUser: ${uid}, runAsGroup: ${uid}}
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
export const rootLostFound =
  'mkdir /v/lost+found && echo orphan > "/v/lost+found/#12" && chmod 600 "/v/lost+found/#12" && ' +
  'chmod 700 /v/lost+found && chown 1000:1000 /v';

/**
 * The application's files, among them a lost+found of its own deeper down; written long
 * before any backup, so that each may be a drill's sample (run-backup.ts: a minute's margin).
 */
export const appFiles =
  'mkdir -p /v/a/lost+found /v/b && echo kept > /v/a/lost+found/kept && echo f > /v/f.txt && ' +
  'echo g > /v/b/g && chown -R 1000:1000 /v/a /v/b /v/f.txt && ' +
  "touch -d '2020-01-01 00:00:00' /v/a/lost+found/kept /v/f.txt /v/b/g";

const run = promisify(execFile);

export const signal = (): AbortSignal => new AbortController().signal;
export const steps = (): void => undefined;

export type ClaimEngine = 'restic' | 'borg';

export class ClaimTestBed {
  readonly docker = requireTestDocker().docker;
  readonly runId: string;
  readonly labels: Record<string, string>;
  readonly password = `pw-${randomBytes(12).toString('hex')}`;
  /** Set by start(). */
  config = '';
  image = '';
  #kubelet: DockerKubelet | undefined;
  #fake: FakeKubernetes | undefined;

  /** `prefix` starts the run id that labels every container and volume of this bed. */
  constructor(prefix: string) {
    this.runId = `${prefix}${randomBytes(4).toString('hex')}`;
    this.labels = { 'pes.test': '1', 'pes.test.run': this.runId };
  }

  get fake(): FakeKubernetes {
    if (this.#fake === undefined) throw new Error('the bed is not started');
    return this.#fake;
  }

  get kubelet(): DockerKubelet {
    if (this.#kubelet === undefined) throw new Error('the bed is not started');
    return this.#kubelet;
  }

  async start(): Promise<void> {
    this.image = await claimEngineImage();
    this.#kubelet = new DockerKubelet({ docker: this.docker, labels: this.labels, pollMs: 100 });
    this.#fake = await startFakeKubernetes({ kubelet: this.#kubelet, timeScale: 30 });
    this.config = await this.#fake.kubeconfigPath('pes@lab');
  }

  /** Applies manifests server-side with kubectl; fails the test unless it succeeds. */
  async apply(manifests: string): Promise<void> {
    expect(
      (await kubectl(this.config, ['apply', '--server-side', '-f', '-'], manifests)).code,
    ).toBe(0);
  }

  /** Resolves once some pod runs. */
  async podRunning(): Promise<void> {
    const running = (): boolean =>
      this.fake.store
        .list(pods, 'default')
        .some((p) => (p.status as { phase?: string } | undefined)?.phase === 'Running');
    await waitFor(running, 'the app pod to run', 120_000);
  }

  async mountpointOf(claim: string): Promise<string> {
    const volume = DockerKubelet.volumeOf(this.fake.store.mustGet(claims, 'default', claim));
    return (await this.docker.getVolume(volume).inspect()).Mountpoint;
  }

  /** A claim's volume, made now; with files by a root container if `script` is given. */
  async prepare(claim: string, script?: string): Promise<void> {
    const volume = DockerKubelet.volumeOf(this.fake.store.mustGet(claims, 'default', claim));
    await this.docker.createVolume({ Name: volume, Labels: this.labels });
    if (script === undefined) return;
    const prep = await this.docker.createContainer({
      Image: busyboxImage,
      Entrypoint: ['/bin/busybox', 'sh', '-c'],
      Cmd: [script],
      Labels: this.labels,
      HostConfig: {
        NetworkMode: 'none',
        Mounts: [{ Type: 'volume', Source: volume, Target: '/v' }],
      },
    });
    await prep.start();
    expect(((await prep.wait()) as { StatusCode: number }).StatusCode).toBe(0);
    await prep.remove();
  }

  /** What `find` run as root prints for a claim's volume with `args` after its path. */
  async find(claim: string, args: readonly string[]): Promise<string> {
    return (await run('find', [await this.mountpointOf(claim), ...args])).stdout;
  }

  /** Cluster `lab` of this bed, its repository at `repositoryPath` of claim `backups`. */
  cluster(engineUser: 'root' | undefined, repositoryPath: string = 'restic'): ClusterConfig {
    return {
      name: 'lab',
      source: 'kubeconfig',
      kubeconfig: this.config,
      context: 'pes@lab',
      backups: {
        image: this.image,
        startSeconds: 90,
        repositoryClaim: 'backups',
        repositoryPath,
        ...(engineUser === undefined ? {} : { engineUser }),
      },
    };
  }

  ports(engineUser: 'root' | undefined, repositoryPath: string = 'restic'): ClusterPorts {
    return new ClusterPorts(
      new Map<string, ClusterConfig>([['lab', this.cluster(engineUser, repositoryPath)]]),
    );
  }

  /**
   * The bot's own engine on the repository claim's volume, in `<engine>` of it; restic keeps
   * its cache and borg its base folder there too.
   */
  async engine(kind: ClaimEngine): Promise<BackupEngine> {
    const repository = await this.mountpointOf('backups');
    return kind === 'restic'
      ? new ResticEngine({
          repository: `${repository}/restic`,
          password: this.password,
          env: { RESTIC_CACHE_DIR: `${repository}/cache` },
        })
      : createBackupEngine({
          engine: 'borg',
          repository: `${repository}/borg`,
          password: this.password,
          env: { BORG_BASE_DIR: `${repository}/borg-base` },
        });
  }

  /** A backup service's wiring but its platform: one ledger, the services [app]. */
  async wiring(kind: ClaimEngine = 'restic'): Promise<Omit<BackupWiring, 'platform'>> {
    return {
      engine: await this.engine(kind),
      ledger: new SqliteBackupLedger(openDatabase(':memory:')),
      log: createLogger({ level: 'silent' }),
      databasePasswords: new Map<string, string>(),
      services: () => [app],
      checkSubset: '100%',
      healthPollMs: 100,
    };
  }

  liveClaimPods(): string[] {
    return this.fake.store
      .list(pods, 'default')
      .filter(
        (p) =>
          (p.metadata as { labels?: Record<string, string> }).labels?.[claimPodLabel] !== undefined,
      )
      .map((p) => (p.metadata as { name: string }).name);
  }

  /** Resolves once no claim pod is left (each delete is a store event). */
  async noClaimPodLeft(): Promise<void> {
    if (this.liveClaimPods().length === 0) return;
    await new Promise<void>((resolve) => {
      const stop = this.fake.store.subscribe(() => {
        if (this.liveClaimPods().length > 0) return;
        stop();
        resolve();
      });
    });
  }

  /** Stops the fake cluster, removes this bed's containers and volumes, checks the kubelet. */
  async close(): Promise<void> {
    await this.#fake?.close();
    const filters = { label: [`pes.test.run=${this.runId}`] };
    const left = await this.docker.listContainers({ all: true, filters });
    await Promise.all(left.map((c) => this.docker.getContainer(c.Id).remove({ force: true })));
    const { Volumes } = await this.docker.listVolumes({ filters });
    await Promise.all(
      (Volumes ?? []).map((v) => this.docker.getVolume(v.Name).remove({ force: true })),
    );
    expect(this.#kubelet?.errors ?? []).toEqual([]);
  }
}
