/**
 * Stopping and starting a service for a restore, on the Platform's verbs, and waiting until
 * it is healthy again: every container running, each healthy or without a health check.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServiceDefinition } from '../core/catalog.ts';
import { UserError } from '../core/errors.ts';
import type { ServiceStatus } from '../core/platform.ts';
import type { ServiceContainer, ServiceControl } from './plan.ts';

/** The part of the Platform a restore needs. */
export interface StartStopPlatform {
  /**
   * The service's containers as stopService and startService find them (Docker); a
   * platform without such a list has no such method.
   */
  serviceContainers?(
    service: ServiceDefinition,
    signal?: AbortSignal,
  ): Promise<readonly ServiceContainer[]>;
  stopService(service: ServiceDefinition, signal?: AbortSignal): Promise<unknown>;
  startService(service: ServiceDefinition, signal?: AbortSignal): Promise<unknown>;
  status(service: ServiceDefinition, signal?: AbortSignal): Promise<ServiceStatus>;
}

export function isHealthy(service: ServiceDefinition, status: ServiceStatus): boolean {
  const ready = status.containers.filter(
    (c) => c.state === 'running' && (c.health === 'healthy' || c.health === 'none'),
  );
  return (
    status.containers.length > 0 &&
    ready.length === status.containers.length &&
    ready.length >= service.health.minRunning
  );
}

export function platformControl(
  platform: StartStopPlatform,
  options: { readonly pollMs?: number } = {},
): ServiceControl {
  const pollMs = options.pollMs ?? 500;
  return {
    containers: async (service, signal) => platform.serviceContainers?.(service, signal),
    stop: async (service, signal) => {
      await platform.stopService(service, signal);
    },
    start: async (service, signal) => {
      await platform.startService(service, signal);
    },
    waitHealthy: async (service, signal) => {
      const deadline = Date.now() + service.health.timeoutSeconds * 1000;
      for (;;) {
        const status = await platform.status(service, signal);
        if (isHealthy(service, status)) return;
        if (Date.now() >= deadline) {
          throw new UserError('backup-service-unhealthy', {
            service: service.name,
            seconds: service.health.timeoutSeconds,
            state:
              status.containers.map((c) => `${c.name} ${c.state}/${c.health}`).join(', ') ||
              status.state,
          });
        }
        await sleep(pollMs, undefined, { signal });
      }
    },
  };
}
