/**
 * The port every platform (docker now, kubernetes later) implements. Commands call these
 * verbs and never branch on the platform.
 */
import type { Readable, Writable } from 'node:stream';
import type { OpenVolume } from '../backup/volume-access.ts';
import type { ServiceDefinition } from './catalog.ts';

export type ContainerState =
  'running' | 'restarting' | 'paused' | 'created' | 'exited' | 'dead' | 'removing';

export type Health = 'healthy' | 'unhealthy' | 'starting' | 'none';

export interface ContainerStatus {
  readonly name: string;
  readonly id: string;
  readonly state: ContainerState;
  readonly health: Health;
  /** Image reference as configured, e.g. `moodle`, and its tag, e.g. `4.5.1`. */
  readonly image: string;
  readonly tag: string;
  /** When the container last started; undefined when it never ran. */
  readonly startedAt: Date | undefined;
  readonly restartCount: number;
}

/**
 * up: every container running and none unhealthy; degraded: some are; down: none are;
 * missing: no container matches the service's selector.
 */
export type ServiceState = 'up' | 'degraded' | 'down' | 'missing';

export interface ServiceStatus {
  readonly service: string;
  readonly state: ServiceState;
  readonly containers: readonly ContainerStatus[];
  /** On a cluster: the workload's replica counts and rollout; undefined when it is missing. */
  readonly workload?: WorkloadSummary | undefined;
  /** On a cluster: each pod, in place of the containers in what people read. */
  readonly pods?: readonly PodSummary[];
}

/** What a workload controller (a Deployment, a StatefulSet) says about its replicas. */
export interface WorkloadSummary {
  readonly kind: string;
  readonly name: string;
  readonly replicas: {
    readonly desired: number;
    readonly updated: number;
    readonly ready: number;
    readonly available: number;
  };
  readonly rollout: { readonly state: 'waiting' | 'done' | 'failed'; readonly message: string };
  /** At 0 with the replicas a stop around a restore kept: that restore never started it. */
  readonly stoppedFrom?: number | undefined;
}

export interface PodSummary {
  readonly name: string;
  /** Pending, Running, Succeeded, Failed, Unknown, or Terminating. */
  readonly phase: string;
  readonly ready: boolean;
  readonly restarts: number;
  readonly images: readonly { readonly container: string; readonly image: string }[];
  readonly node: string | undefined;
  readonly ageSeconds: number | undefined;
}

/** A step of a change, reported as it happens; the command turns it into words. */
export interface StepEvent {
  /** 0..1 over the whole change. */
  readonly fraction: number;
  readonly container: string;
  readonly phase:
    | 'pulling'
    | 'stopping'
    | 'starting'
    | 'creating'
    | 'removing'
    | 'waiting'
    | 'healthy'
    | 'failed'
    | 'rolling-back'
    | 'rolled-back';
}

export type StepReporter = (event: StepEvent) => void;

/** What happened to one container in a change. */
export interface ContainerReport {
  readonly container: string;
  readonly action: 'restarted' | 'created' | 'removed' | 'updated' | 'rolled-back';
  /** How the container ended: its health, or running when the image has no health check. */
  readonly health: Health | 'running' | 'stopped';
  readonly durationMs: number;
}

export interface LogsRequest {
  /** The last N lines of each container. */
  readonly lines: number;
  readonly since: Date | undefined;
  /** Only this container: its replica number or its name. */
  readonly container: string | undefined;
}

export interface ContainerLogs {
  readonly container: string;
  readonly text: string;
}

export interface ScalePlan {
  readonly service: string;
  readonly before: number;
  readonly after: number;
  /** Names of the replicas to create, lowest number first. */
  readonly create: readonly string[];
  /** Names of the replicas to stop and remove, highest number first. */
  readonly remove: readonly string[];
}

/** A new image for a service: another tag of the same image, or an exact digest. */
export type ImageTarget =
  | { readonly kind: 'tag'; readonly tag: string }
  | { readonly kind: 'digest'; readonly image: string; readonly digest: string }
  | { readonly kind: 'reference'; readonly reference: string }
  /** Each container's own reference again: a change only where it now names another image. */
  | { readonly kind: 'current' }
  /** The image each container ran before the last update (rollback). */
  | { readonly kind: 'previous' };

export interface ImageChange {
  readonly container: string;
  /** The reference the container runs now and its image id (sha256:…). */
  readonly from: { readonly reference: string; readonly id: string };
  /** The reference it will run; the id when the image is present locally. */
  readonly to: { readonly reference: string; readonly id: string | undefined };
}

export interface UpdatePlan {
  readonly service: string;
  readonly changes: readonly ImageChange[];
  /** The image must be pulled first (not present locally). */
  readonly pull: boolean;
}

/** A workload rendered from a provisioning template, platform-neutral. */
export interface WorkloadSpec {
  /** The instance name people type, e.g. `files`. */
  readonly name: string;
  readonly template: string;
  readonly image: string;
  readonly env: Readonly<Record<string, string>>;
  readonly command: readonly string[] | undefined;
  readonly volumes: readonly { readonly name: string; readonly target: string }[];
  readonly labels: Readonly<Record<string, string>>;
  readonly healthcheck:
    | {
        readonly test: readonly string[];
        readonly intervalSeconds: number;
        readonly timeoutSeconds: number;
        readonly retries: number;
        readonly startPeriodSeconds: number;
      }
    | undefined;
  /** Network mode or network name; `none` in tests. */
  readonly network: string;
  /** Seconds the workload gets to stop cleanly before it is killed. */
  readonly stopTimeoutSeconds: number;
}

export interface ProvisionPlan {
  readonly instance: string;
  readonly container: string;
  readonly volumes: readonly string[];
  readonly image: string;
  /** The image is not on the host yet and will be pulled first. */
  readonly pull: boolean;
  /** On a cluster: where the instance goes, and the Secret holding its environment. */
  readonly cluster?: {
    readonly name: string;
    readonly namespace: string;
    readonly secret: string | undefined;
  };
}

export interface DeprovisionPlan {
  readonly instance: string;
  readonly containers: readonly string[];
  /** Volumes that will be deleted (only with --delete-data) or kept. */
  readonly volumes: readonly string[];
  readonly deleteData: boolean;
  /**
   * What `containers` and `volumes` name, for the texts: a Docker host's containers and
   * volumes (absent), or a cluster's objects (`Deployment/x`) and PersistentVolumeClaims.
   */
  readonly units?: 'cluster';
}

/**
 * Every verb has a plan that changes nothing (for --dry-run and confirmations) and an apply
 * that follows the plan, reporting steps as it goes and honouring the signal between steps.
 */
export interface Platform {
  readonly name: string;
  status(service: ServiceDefinition, signal?: AbortSignal): Promise<ServiceStatus>;
  logs(
    service: ServiceDefinition,
    request: LogsRequest,
    signal?: AbortSignal,
  ): Promise<ContainerLogs[]>;
  /** Restarts one container at a time, each healthy (or running) before the next. */
  restart(
    service: ServiceDefinition,
    onStep: StepReporter,
    signal?: AbortSignal,
  ): Promise<ContainerReport[]>;
  planScale(service: ServiceDefinition, replicas: number, signal?: AbortSignal): Promise<ScalePlan>;
  scale(
    service: ServiceDefinition,
    plan: ScalePlan,
    onStep: StepReporter,
    signal?: AbortSignal,
  ): Promise<ContainerReport[]>;
  planUpdate(
    service: ServiceDefinition,
    target: ImageTarget,
    signal?: AbortSignal,
  ): Promise<UpdatePlan>;
  /** Recreates each container on the new image; on any failure puts every changed one back. */
  update(
    service: ServiceDefinition,
    plan: UpdatePlan,
    onStep: StepReporter,
    signal?: AbortSignal,
  ): Promise<ContainerReport[]>;
  planProvision(spec: WorkloadSpec, signal?: AbortSignal): Promise<ProvisionPlan>;
  provision(
    spec: WorkloadSpec,
    onStep: StepReporter,
    signal?: AbortSignal,
  ): Promise<ContainerReport[]>;
  planDeprovision(
    instance: string,
    deleteData: boolean,
    signal?: AbortSignal,
  ): Promise<DeprovisionPlan>;
  deprovision(
    plan: DeprovisionPlan,
    onStep: StepReporter,
    signal?: AbortSignal,
  ): Promise<ContainerReport[]>;
  /**
   * A tar of a volume's content, from a short-lived helper that mounts it read-only. `done`
   * rejects when the helper failed (the stream may then have ended early). A volume that
   * does not exist is refused before anything starts.
   */
  readVolume(volume: string, signal?: AbortSignal): Promise<StreamedOutput>;
  /** Empties the volume, then unpacks the tar stream into it; a full disk is a clear error. */
  writeVolume(volume: string, input: Readable, signal?: AbortSignal): Promise<void>;
  /**
   * Runs argv in a running container: no shell, no TTY, stdin and stdout streamed. A non-zero
   * exit is a result, not an error. `stdout` is ended when the command ends and destroyed when
   * the run fails. A cancel closes the streams; the engine cannot kill an exec'd process.
   */
  exec(
    container: string,
    argv: readonly string[],
    options: ExecOptions,
    signal?: AbortSignal,
  ): Promise<ExecResult>;
  /** Stops every running container of the service (for a restore); returns their names. */
  stopService(service: ServiceDefinition, signal?: AbortSignal): Promise<string[]>;
  /** Starts every container of the service and waits until each is healthy or running. */
  startService(service: ServiceDefinition, signal?: AbortSignal): Promise<string[]>;
  /** An empty volume for a restore drill, labelled as scratch; returns its name. */
  createScratchVolume(
    labels: Readonly<Record<string, string>>,
    signal?: AbortSignal,
  ): Promise<string>;
  /** Removes a volume; one that is already gone is fine. */
  removeVolume(name: string, signal?: AbortSignal): Promise<void>;
  /** File-level access to volumes, where the platform has it (file-level backups). */
  readonly volumeFiles?: VolumeFiles;
}

/** A volume's files, for backup engines that read and write them themselves. */
export interface VolumeFiles {
  /**
   * The volume's directory as this process sees it, when it may read and write every file
   * there itself (same host, enough rights); undefined otherwise. A missing volume is refused.
   */
  directory(volume: string, signal?: AbortSignal): Promise<string | undefined>;
  /**
   * The volume's files for an engine (src/backup/volume-access.ts): its directory here when
   * `directory` has one, else a helper next to the volume when the platform can make one;
   * undefined when neither (the tar stream then).
   */
  readonly open: OpenVolume;
  /**
   * Whether the volume exists, and the containers (in any state) that mount it, by name;
   * `reserved` when it is the bot's own: it holds the backup repository, or it is a scratch
   * volume of a drill (a restore `--to` must never write there).
   */
  inspect(
    volume: string,
    signal?: AbortSignal,
  ): Promise<{
    readonly exists: boolean;
    readonly containers: readonly string[];
    readonly reserved?: 'repository' | 'scratch';
  }>;
  /** Creates an empty volume under this name, labelled. */
  create(
    volume: string,
    labels: Readonly<Record<string, string>>,
    signal?: AbortSignal,
  ): Promise<void>;
}

/** Derives the state of a service from its containers. */
export function serviceState(
  containers: readonly ContainerStatus[],
  minRunning: number,
): ServiceState {
  if (containers.length === 0) return 'missing';
  const good = containers.filter((c) => c.state === 'running' && c.health !== 'unhealthy');
  if (good.length === 0) return 'down';
  if (good.length < containers.length || good.length < minRunning) return 'degraded';
  return 'up';
}

/** A stream a platform produces, and whether its producer succeeded (see readVolume). */
export interface StreamedOutput {
  readonly stream: Readable;
  readonly done: Promise<void>;
}

export interface ExecOptions {
  readonly stdin?: Readable;
  /** Where stdout goes; without it, its tail is returned in the result. */
  readonly stdout?: Writable;
  /** `user`, `uid` or `uid:gid` inside the container. */
  readonly user?: string;
  /** Extra environment, e.g. PGPASSWORD: passed to the engine, never on a command line. */
  readonly env?: Readonly<Record<string, string>>;
}

export interface ExecResult {
  readonly exitCode: number;
  /** The tail of stdout, when it was not streamed to `options.stdout`. */
  readonly stdout: string;
  /** The tail of stderr. */
  readonly stderr: string;
}
