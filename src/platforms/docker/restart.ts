/**
 * `restart` on Docker: a rolling restart, one container at a time in replica order, each
 * healthy (or, without a health check, still running after a settle time) before the next is
 * touched, so that a service with several replicas keeps serving throughout.
 */
import type { ServiceDefinition } from '../../core/catalog.ts';
import { UserError } from '../../core/errors.ts';
import type { ContainerReport, StepEvent, StepReporter } from '../../core/platform.ts';
import { engineStatus, mutateDocker, requestDocker, type DockerConnection } from './client.ts';
import { findServiceContainers, type DiscoveredContainer } from './discover.ts';
import { waitHealthy, type WaitOptions } from './wait-healthy.ts';

/** The engine's own default when a container sets no StopTimeout (`docker stop -t`). */
const defaultStopSeconds = 10;

/** Where in a container's share of the progress each phase begins. */
const phaseOffsets = { stopping: 0, starting: 0.3, waiting: 0.4, healthy: 1 } as const;

export interface RestartOptions {
  /** Passed on to waitHealthy (tests shorten the settle time). */
  readonly wait?: Pick<WaitOptions, 'settleMs' | 'pollMs'>;
}

export async function restartService(
  connection: DockerConnection,
  service: ServiceDefinition,
  onStep: StepReporter,
  signal?: AbortSignal,
  options: RestartOptions = {},
): Promise<ContainerReport[]> {
  const containers = await findServiceContainers(connection, service.containers, signal);
  if (containers.length === 0) throw new UserError('service-vanished', { service: service.name });
  const reports: ContainerReport[] = [];
  for (const [index, container] of containers.entries()) {
    // Between containers is the one safe place to stop: every container is either restarted
    // and healthy, or not touched at all.
    signal?.throwIfAborted();
    const step = (phase: keyof typeof phaseOffsets): void => {
      const fraction = (index + phaseOffsets[phase]) / containers.length;
      onStep({ fraction, container: container.name, phase } satisfies StepEvent);
    };
    const started = Date.now();
    try {
      step('stopping');
      await stopContainer(connection, container);
      step('starting');
      await startContainer(connection, container);
      step('waiting');
      const health = await waitHealthy(connection, container.id, container.name, {
        ...options.wait,
        timeoutMs: service.health.timeoutSeconds * 1000,
        signal,
      });
      step('healthy');
      reports.push({
        container: container.name,
        action: 'restarted',
        health,
        durationMs: Date.now() - started,
      });
    } catch (error) {
      if (signal?.aborted === true) throw error;
      onStep({ fraction: index / containers.length, container: container.name, phase: 'failed' });
      if (error instanceof UserError && error.code === 'container-unhealthy') {
        throw halted(service, containers, index, error);
      }
      throw error;
    }
  }
  return reports;
}

/** Names the container that failed health, those already restarted and those not touched. */
function halted(
  service: ServiceDefinition,
  containers: readonly DiscoveredContainer[],
  index: number,
  error: UserError,
): UserError {
  const names = (list: readonly DiscoveredContainer[]): string =>
    list.length === 0 ? '—' : list.map((c) => c.name).join(', ');
  return new UserError(
    'restart-halted',
    {
      service: service.name,
      container: containers[index]?.name ?? '',
      reason: error.params['reason'] ?? '',
      restarted: names(containers.slice(0, index)),
      untouched: names(containers.slice(index + 1)),
    },
    { cause: error },
  );
}

/**
 * Stops with the container's own grace period (Compose's stop_grace_period becomes its
 * StopTimeout), and gives the request that long on top of the usual time limit. The job's
 * signal is not passed on, and the request is never aborted (client.ts, mutateDocker): a
 * cancel, or a stop the engine carried out after the client gave up on it, must not leave a
 * container stopped that was running.
 */
async function stopContainer(
  connection: DockerConnection,
  container: DiscoveredContainer,
): Promise<void> {
  const handle = connection.docker.getContainer(container.id);
  const info = await requestDocker(connection, (abortSignal) => handle.inspect({ abortSignal }));
  // The engine reports it, but @types/dockerode leaves it out of the inspect type.
  const configured: unknown = (info.Config as { StopTimeout?: unknown }).StopTimeout;
  const grace = typeof configured === 'number' ? configured : defaultStopSeconds;
  const patient = { ...connection, timeoutMs: connection.timeoutMs + grace * 1000 };
  await mutateDocker(patient, () => ignoreNotModified(handle.stop({ t: grace })));
}

async function startContainer(
  connection: DockerConnection,
  container: DiscoveredContainer,
): Promise<void> {
  const handle = connection.docker.getContainer(container.id);
  await mutateDocker(connection, () => ignoreNotModified(handle.start()));
}

/** 304 is the engine's "already stopped" / "already started": the state we wanted. */
async function ignoreNotModified(request: Promise<unknown>): Promise<void> {
  try {
    await request;
  } catch (error) {
    if (engineStatus(error) !== 304) throw error;
  }
}
