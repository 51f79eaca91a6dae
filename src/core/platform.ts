/**
 * The port every platform (docker now, kubernetes later) implements. Commands call these
 * verbs and never branch on the platform.
 */
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
}

export interface Platform {
  readonly name: string;
  status(service: ServiceDefinition, signal?: AbortSignal): Promise<ServiceStatus>;
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
