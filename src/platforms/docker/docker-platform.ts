/**
 * The Platform port on a Docker engine (plain containers or Docker Compose). Each verb lives
 * in a file of its own; this class only binds them to one connection.
 */
import type { ServiceDefinition } from '../../core/catalog.ts';
import {
  serviceState,
  type ContainerLogs,
  type ContainerReport,
  type ContainerStatus,
  type DeprovisionPlan,
  type ImageTarget,
  type LogsRequest,
  type Platform,
  type ProvisionPlan,
  type ScalePlan,
  type ServiceStatus,
  type StepReporter,
  type UpdatePlan,
  type WorkloadSpec,
} from '../../core/platform.ts';
import { connectDocker, type DockerConnection, type DockerConnectionOptions } from './client.ts';
import { findServiceContainers } from './discover.ts';
import { readLogs } from './logs.ts';
import { deprovision, planDeprovision, planProvision, provision } from './provision.ts';
import { restartService } from './restart.ts';
import { applyScale, planScale } from './scale.ts';
import { inspectContainer } from './status.ts';
import { applyUpdate, planUpdate } from './update.ts';
import type { Readable } from 'node:stream';
import type { ExecOptions, ExecResult, StreamedOutput, VolumeFiles } from '../../core/platform.ts';
import { execStream } from './exec-stream.ts';
import { removeLeftHelpers } from './helper-container.ts';
import { removeLeftScratchVolumes } from './scratch-sweep.ts';
import { startService, stopService } from './service-power.ts';
import * as volumes from './volume-stream.ts';
import { dockerVolumeFiles } from './volume-files.ts';
import { ownImage, type EngineHelperSettings } from './engine-helper.ts';

export class DockerPlatform implements Platform {
  readonly name = 'docker';
  readonly connection: DockerConnection;

  /** Takes a connection to share with other users of the engine, or where to connect. */
  constructor(connection: DockerConnection | DockerConnectionOptions = {}) {
    this.connection = 'docker' in connection ? connection : connectDocker(connection);
  }

  async status(service: ServiceDefinition, signal?: AbortSignal): Promise<ServiceStatus> {
    const found = await findServiceContainers(this.connection, service.containers, signal);
    const inspected = await Promise.all(
      found.map((container) => inspectContainer(this.connection, container.id, signal)),
    );
    const containers = inspected.filter((c): c is ContainerStatus => c !== undefined);
    return {
      service: service.name,
      state: serviceState(containers, service.health.minRunning),
      containers,
    };
  }

  logs(
    service: ServiceDefinition,
    request: LogsRequest,
    signal?: AbortSignal,
  ): Promise<ContainerLogs[]> {
    return readLogs(this.connection, service, request, signal);
  }

  restart(
    service: ServiceDefinition,
    onStep: StepReporter,
    signal?: AbortSignal,
  ): Promise<ContainerReport[]> {
    return restartService(this.connection, service, onStep, signal);
  }

  planScale(
    service: ServiceDefinition,
    replicas: number,
    signal?: AbortSignal,
  ): Promise<ScalePlan> {
    return planScale(this.connection, service, replicas, signal);
  }

  scale(
    service: ServiceDefinition,
    plan: ScalePlan,
    onStep: StepReporter,
    signal?: AbortSignal,
  ): Promise<ContainerReport[]> {
    return applyScale(this.connection, service, plan, onStep, signal);
  }

  planUpdate(
    service: ServiceDefinition,
    target: ImageTarget,
    signal?: AbortSignal,
  ): Promise<UpdatePlan> {
    return planUpdate(this.connection, service, target, signal);
  }

  update(
    service: ServiceDefinition,
    plan: UpdatePlan,
    onStep: StepReporter,
    signal?: AbortSignal,
  ): Promise<ContainerReport[]> {
    return applyUpdate(this.connection, service, plan, onStep, signal);
  }

  planProvision(spec: WorkloadSpec, signal?: AbortSignal): Promise<ProvisionPlan> {
    return planProvision(this.connection, spec, signal);
  }

  provision(
    spec: WorkloadSpec,
    onStep: StepReporter,
    signal?: AbortSignal,
  ): Promise<ContainerReport[]> {
    return provision(this.connection, spec, onStep, signal);
  }

  planDeprovision(
    instance: string,
    deleteData: boolean,
    signal?: AbortSignal,
  ): Promise<DeprovisionPlan> {
    return planDeprovision(this.connection, instance, deleteData, signal);
  }

  deprovision(
    plan: DeprovisionPlan,
    onStep: StepReporter,
    signal?: AbortSignal,
  ): Promise<ContainerReport[]> {
    return deprovision(this.connection, plan, onStep, signal);
  }

  /** The image of the helpers that stream volumes (`backup.helperImage`); needs tar, find, rm. */
  helperImage: string = volumes.defaultHelperImage;
  /**
   * Where a volume's mount point is not readable here (a remote engine, the bot not root):
   * the helper that runs the backup engine next to it (engine-helper.ts); none: the tar
   * stream. Without an image, the bot's own image when it runs in a container of this engine.
   */
  engineHelper:
    (Omit<EngineHelperSettings, 'image'> & { readonly image: string | undefined }) | undefined =
    undefined;
  #ownImage: Promise<string | undefined> | undefined;

  async #engineHelper(): Promise<EngineHelperSettings | undefined> {
    const helper = this.engineHelper;
    if (helper === undefined) return undefined;
    const image = helper.image ?? (await (this.#ownImage ??= ownImage(this.connection)));
    return image === undefined ? undefined : { ...helper, image };
  }

  readVolume(volume: string, signal?: AbortSignal): Promise<StreamedOutput> {
    return volumes.readVolume(this.connection, this.helperImage, volume, signal);
  }

  writeVolume(volume: string, input: Readable, signal?: AbortSignal): Promise<void> {
    return volumes.writeVolume(this.connection, this.helperImage, volume, input, signal);
  }

  /** Removes the helpers a bot that died left behind; how many. */
  removeLeftHelpers(isAlive: (pid: number) => boolean, signal?: AbortSignal): Promise<number> {
    return removeLeftHelpers(this.connection, isAlive, signal);
  }

  /** The drills' scratch volumes a process that is gone left (scratch-sweep.ts). */
  removeLeftScratchVolumes(isAlive: (pid: number) => boolean, s?: AbortSignal): Promise<string[]> {
    return removeLeftScratchVolumes(this.connection, isAlive, s);
  }

  exec(c: string, argv: readonly string[], o: ExecOptions, s?: AbortSignal): Promise<ExecResult> {
    return execStream(this.connection, c, argv, o, s);
  }

  /** The service's containers, stopped ones included, as stopService and startService find them. */
  async serviceContainers(
    service: ServiceDefinition,
    signal?: AbortSignal,
  ): Promise<{ id: string; name: string }[]> {
    const found = await findServiceContainers(this.connection, service.containers, signal);
    return found.map(({ id, name }) => ({ id, name }));
  }

  stopService(service: ServiceDefinition, signal?: AbortSignal): Promise<string[]> {
    return stopService(this.connection, service, signal);
  }

  startService(service: ServiceDefinition, signal?: AbortSignal): Promise<string[]> {
    return startService(this.connection, service, signal);
  }

  createScratchVolume(labels: Readonly<Record<string, string>>, s?: AbortSignal): Promise<string> {
    return volumes.createScratchVolume(this.connection, labels, s);
  }

  removeVolume(name: string, signal?: AbortSignal): Promise<void> {
    return volumes.removeVolume(this.connection, name, signal);
  }

  get volumeFiles(): VolumeFiles {
    return dockerVolumeFiles(this.connection, { engineHelper: () => this.#engineHelper() });
  }
}
