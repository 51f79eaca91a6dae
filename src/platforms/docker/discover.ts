/** Finds the containers that make up a service, running or not. */
import type { ContainerInfo } from 'dockerode';
import type { ContainerSelector } from '../../core/catalog.ts';
import { requestDocker, type DockerConnection } from './client.ts';

export const composeLabels = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  number: 'com.docker.compose.container-number',
  oneoff: 'com.docker.compose.oneoff',
} as const;

/**
 * An update renames the container it replaces to `<name>.pes-old` until the new one is
 * healthy (see update-apply.ts). Such a container is a backup, not a member of the service:
 * it is never listed here, and update/rollback look for it on their own (leftovers.ts).
 */
export const leftoverSuffix = '.pes-old';

export interface DiscoveredContainer {
  readonly id: string;
  readonly name: string;
  /** The Compose replica number, when the container has one. */
  readonly number: number | undefined;
}

/**
 * Lists the containers a selector names, stopped ones included: exact names, and/or the
 * Compose project + service labels. Sorted by replica number, then by name.
 */
export async function findServiceContainers(
  connection: DockerConnection,
  selector: ContainerSelector,
  signal?: AbortSignal,
): Promise<DiscoveredContainer[]> {
  const found = new Map<string, DiscoveredContainer>();
  const names = selector.names ?? [];
  if (names.length > 0) {
    // The engine's name filter is an unanchored regular expression: it narrows the list,
    // the exact comparison happens here.
    const listed = await listContainers(connection, { name: [...names] }, signal);
    const wanted = new Set(names);
    for (const info of listed) {
      const name = primaryName(info);
      if (wanted.has(name)) found.set(info.Id, toDiscovered(info, name));
    }
  }
  if (selector.compose !== undefined) {
    const { project, service } = selector.compose;
    const label = [`${composeLabels.project}=${project}`, `${composeLabels.service}=${service}`];
    for (const info of await listContainers(connection, { label }, signal)) {
      // `docker compose run` containers carry the service's labels too, but are one-off
      // tasks, not replicas of the service.
      if (info.Labels[composeLabels.oneoff]?.toLowerCase() === 'true') continue;
      const name = primaryName(info);
      if (name.endsWith(leftoverSuffix)) continue;
      found.set(info.Id, toDiscovered(info, name));
    }
  }
  return [...found.values()].sort(compareContainers);
}

function listContainers(
  connection: DockerConnection,
  filters: Record<string, string[]>,
  signal?: AbortSignal,
): Promise<ContainerInfo[]> {
  return requestDocker(
    connection,
    (abortSignal) => connection.docker.listContainers({ all: true, filters, abortSignal }),
    signal,
  );
}

/**
 * The container's own name. `Names` also lists the aliases it has in linking containers
 * (`/web/db`); its own name is the one with a single leading slash.
 */
function primaryName(info: ContainerInfo): string {
  return ownName(info.Names) ?? info.Id;
}

/** The own name among a container's `Names`, without its slash; undefined when it has none. */
export function ownName(names: readonly string[]): string | undefined {
  const own = names.find((name) => name.lastIndexOf('/') === 0) ?? names[0];
  return own?.replace(/^\//, '');
}

function toDiscovered(info: ContainerInfo, name: string): DiscoveredContainer {
  const label = info.Labels[composeLabels.number];
  const number = label === undefined ? Number.NaN : Number.parseInt(label, 10);
  return { id: info.Id, name, number: Number.isNaN(number) ? undefined : number };
}

function compareContainers(a: DiscoveredContainer, b: DiscoveredContainer): number {
  const byNumber = (a.number ?? Number.MAX_SAFE_INTEGER) - (b.number ?? Number.MAX_SAFE_INTEGER);
  if (byNumber !== 0) return byNumber;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
