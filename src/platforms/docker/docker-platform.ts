/** The Platform port on a Docker engine (plain containers or Docker Compose). */
import type { ServiceDefinition } from '../../core/catalog.ts';
import {
  serviceState,
  type ContainerStatus,
  type Platform,
  type ServiceStatus,
} from '../../core/platform.ts';
import { connectDocker, type DockerConnection, type DockerConnectionOptions } from './client.ts';
import { findServiceContainers } from './discover.ts';
import { inspectContainer } from './status.ts';

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
}
