/**
 * Stopping and starting a whole service around a restore: its data must not change while it
 * is replaced, and it must be healthy again afterwards.
 */
import type { ServiceDefinition } from '../../core/catalog.ts';
import { UserError } from '../../core/errors.ts';
import type { DockerConnection } from './client.ts';
import {
  inspectContainerInfo,
  startContainer,
  stopContainer,
  stopSecondsOf,
} from './container-ops.ts';
import { findServiceContainers } from './discover.ts';
import { waitHealthy } from './wait-healthy.ts';

/** Stops the running containers, each with its own grace period; returns their names. */
export async function stopService(
  connection: DockerConnection,
  service: ServiceDefinition,
  signal?: AbortSignal,
): Promise<string[]> {
  const containers = await findServiceContainers(connection, service.containers, signal);
  if (containers.length === 0) throw new UserError('service-vanished', { service: service.name });
  // All at once: a restore waits for the slowest grace period, not for their sum. A stop is
  // never aborted (container-ops.ts): one the engine still carried out after a cancel would
  // stop a service the caller has just started again. So a cancel is checked before each
  // stop, and every stop begun is waited for before anything is reported.
  const results = await Promise.allSettled(
    containers.map(async (container) => {
      const info = await inspectContainerInfo(connection, container.id, signal);
      if (!info.State.Running) return undefined;
      signal?.throwIfAborted();
      await stopContainer(connection, container.id, stopSecondsOf(info));
      return container.name;
    }),
  );
  const failed = results.find((r) => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return results
    .map((r) => (r.status === 'fulfilled' ? r.value : undefined))
    .filter((name): name is string => name !== undefined);
}

/**
 * Starts every container of the service, then waits for each to be healthy (or, without a
 * health check, still running after a settle time) within the service's health timeout.
 */
export async function startService(
  connection: DockerConnection,
  service: ServiceDefinition,
  signal?: AbortSignal,
  settleMs?: number,
): Promise<string[]> {
  const containers = await findServiceContainers(connection, service.containers, signal);
  if (containers.length === 0) throw new UserError('service-vanished', { service: service.name });
  // Each start is let finish (container-ops.ts); a cancel is checked between them.
  for (const container of containers) {
    signal?.throwIfAborted();
    await startContainer(connection, container.id);
  }
  await Promise.all(
    containers.map((container) =>
      waitHealthy(connection, container.id, container.name, {
        timeoutMs: service.health.timeoutSeconds * 1000,
        signal,
        ...(settleMs === undefined ? {} : { settleMs }),
      }),
    ),
  );
  return containers.map((c) => c.name);
}
