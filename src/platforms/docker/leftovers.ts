/**
 * Containers an update set aside as `<name>.pes-old` and did not get to remove or put back
 * (the bot stopped in the middle). They are the exact previous containers, so `rollback`
 * puts them back; until then no update or scale may run on the service.
 */
import type { ContainerInfo } from 'dockerode';
import type { ServiceDefinition } from '../../core/catalog.ts';
import type { ContainerReport, StepReporter } from '../../core/platform.ts';
import { requestDocker, type DockerConnection } from './client.ts';
import {
  inspectContainerInfo,
  nameTaken,
  removeContainer,
  renameContainer,
  startContainer,
  stopContainer,
  stopSecondsOf,
} from './container-ops.ts';
import { composeLabels, leftoverSuffix } from './discover.ts';
import { replacementsOf } from './update-restore.ts';
import { waitHealthy } from './wait-healthy.ts';

export interface Leftover {
  readonly id: string;
  /** Its name now, `<name>.pes-old`. */
  readonly name: string;
  /** The name it had and gets back. */
  readonly original: string;
  readonly reference: string;
  readonly imageId: string;
}

export function leftoverName(name: string): string {
  return `${name}${leftoverSuffix}`;
}

export async function findLeftovers(
  connection: DockerConnection,
  service: ServiceDefinition,
  signal?: AbortSignal,
): Promise<Leftover[]> {
  const ids = new Set<string>();
  const { names, compose } = service.containers;
  for (const name of names ?? []) {
    const candidate = leftoverName(name);
    if (await nameTaken(connection, candidate, signal)) ids.add(candidate);
  }
  if (compose !== undefined) {
    const label = [
      `${composeLabels.project}=${compose.project}`,
      `${composeLabels.service}=${compose.service}`,
    ];
    const listed: ContainerInfo[] = await requestDocker(
      connection,
      (abortSignal) =>
        connection.docker.listContainers({ all: true, filters: { label }, abortSignal }),
      signal,
    );
    for (const info of listed) {
      if (info.Names.some((n) => n.endsWith(leftoverSuffix))) ids.add(info.Id);
    }
  }
  const found: Leftover[] = [];
  for (const id of ids) {
    const info = await inspectContainerInfo(connection, id, signal);
    const name = info.Name.replace(/^\//, '');
    found.push({
      id: info.Id,
      name,
      original: name.slice(0, -leftoverSuffix.length),
      reference: info.Config.Image,
      imageId: info.Image,
    });
  }
  return found.sort((a, b) => (a.original < b.original ? -1 : a.original > b.original ? 1 : 0));
}

/**
 * Puts each leftover back: the container that took its name (if any) is stopped and
 * removed, the leftover gets its name back and is started. Runs to the end even when the
 * caller cancels: stopping half-way would leave the service with fewer containers.
 */
export async function restoreLeftovers(
  connection: DockerConnection,
  service: ServiceDefinition,
  leftovers: readonly Leftover[],
  onStep: StepReporter,
): Promise<ContainerReport[]> {
  const reports: ContainerReport[] = [];
  for (const [index, leftover] of leftovers.entries()) {
    const started = Date.now();
    const step = (phase: Parameters<StepReporter>[0]['phase'], part: number): void =>
      onStep({
        fraction: (index + part) / leftovers.length,
        container: leftover.original,
        phase,
      });
    step('rolling-back', 0);
    // Whatever took its name, and whatever the update made in its place (the label with its
    // id), under that name or not.
    const changed = { name: leftover.original, oldId: leftover.id, wasRunning: true };
    for (const replacement of await replacementsOf(connection, changed)) {
      step('stopping', 0.1);
      await stopContainer(connection, replacement.Id, stopSecondsOf(replacement));
      step('removing', 0.3);
      await removeContainer(connection, replacement.Id);
    }
    await renameContainer(connection, leftover.id, leftover.original);
    step('starting', 0.5);
    await startContainer(connection, leftover.id);
    step('waiting', 0.6);
    const health = await waitHealthy(connection, leftover.id, leftover.original, {
      timeoutMs: service.health.timeoutSeconds * 1000,
    }).catch(() => 'unhealthy' as const);
    step('rolled-back', 1);
    reports.push({
      container: leftover.original,
      action: 'rolled-back',
      health,
      durationMs: Date.now() - started,
    });
  }
  return reports;
}
