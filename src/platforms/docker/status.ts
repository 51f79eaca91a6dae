/** Reads the state of containers from the engine's inspect answer. */
import type { ContainerInspectInfo } from 'dockerode';
import type { ContainerState, ContainerStatus, Health } from '../../core/platform.ts';
import { engineStatus, requestDocker, type DockerConnection } from './client.ts';
import { parseImageReference } from './image-ref.ts';

const containerStates: ReadonlySet<string> = new Set<ContainerState>([
  'running',
  'restarting',
  'paused',
  'created',
  'exited',
  'dead',
  'removing',
]);

const healthStates: ReadonlySet<string> = new Set<Health>([
  'healthy',
  'unhealthy',
  'starting',
  'none',
]);

/** Go's zero time.Time: the engine's way of saying "never". */
const zeroTime = '0001-01-01T00:00:00Z';

/**
 * Inspects one container; undefined when it no longer exists (it can vanish between the
 * list and the inspect, e.g. during a Compose recreate).
 */
export async function inspectContainer(
  connection: DockerConnection,
  id: string,
  signal?: AbortSignal,
): Promise<ContainerStatus | undefined> {
  try {
    const info = await requestDocker(
      connection,
      (abortSignal) => connection.docker.getContainer(id).inspect({ abortSignal }),
      signal,
    );
    return toContainerStatus(info);
  } catch (error) {
    if (isNoSuchContainer(error)) return undefined;
    throw error;
  }
}

export function toContainerStatus(info: ContainerInspectInfo): ContainerStatus {
  const { image, tag } = parseImageReference(info.Config.Image);
  return {
    name: info.Name.replace(/^\//, ''),
    id: info.Id,
    state: toContainerState(info.State.Status),
    health: toHealth(info.State.Health?.Status),
    image,
    tag,
    startedAt: toDate(info.State.StartedAt),
    restartCount: info.RestartCount,
  };
}

function toContainerState(status: string): ContainerState {
  // The API documents exactly these values; a newer engine's unknown one is not "running".
  return containerStates.has(status) ? (status as ContainerState) : 'dead';
}

function toHealth(status: string | undefined): Health {
  return status !== undefined && healthStates.has(status) ? (status as Health) : 'none';
}

function toDate(value: string | undefined): Date | undefined {
  if (value === undefined || value === '' || value === zeroTime) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function isNoSuchContainer(error: unknown): boolean {
  // requestDocker wraps the engine's error; the status stays on the cause.
  const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
  return engineStatus(cause) === 404 || engineStatus(error) === 404;
}
