/**
 * Which sources of a Docker service run their programs in one of the service's own
 * containers: a database dumped and restored by exec (`via: exec`, the default) or a command
 * with a `container`. The engine runs no exec in a stopped container, so a restore puts
 * those back before it stops the service, the rest after the stop (run-restore.ts).
 */
import type { ServiceDefinition } from '../core/catalog.ts';
import type { ServiceContainer } from './plan.ts';

/** Source id → the container its programs run in, for each source that runs in one. */
export function execContainers(service: ServiceDefinition): Map<string, string> {
  const found = new Map<string, string>();
  for (const db of service.databases) {
    // A cluster database's pod is matched by its workload (restoredBeforeStop).
    if (db.cluster !== undefined || db.via === 'tcp') continue;
    found.set(`${db.engine}:${db.name}`, db.container);
  }
  for (const def of service.backup?.commands ?? []) {
    if (def.container !== undefined) found.set(`command:${def.name}`, def.container);
  }
  return found;
}

/**
 * Whether the engine would take `ref` for one of `containers`: its name, its id, or a prefix
 * of its id (at least the 12 digits `docker ps` shows).
 */
export function isOneOf(ref: string, containers: readonly ServiceContainer[]): boolean {
  const prefix = /^[0-9a-f]{12,64}$/.test(ref);
  return containers.some((c) => c.name === ref || (prefix && c.id.startsWith(ref)));
}
