/**
 * Puts containers back as they were before an update touched them, and says what each one
 * is now. Runs without the caller's signal: a cancel is what may have brought us here, and a
 * half-done restore is worse than a finished one.
 *
 * What the engine holds is only looked at once every change the update asked for has settled
 * (in-flight.ts): a request the update stopped waiting for may still make, rename or stop a
 * container. The new container is then found both by name and by the label the update puts
 * on it (its id may never have reached us), so that nothing it made is left behind.
 */
import type { ContainerInspectInfo } from 'dockerode';
import type { ServiceDefinition } from '../../core/catalog.ts';
import { UserError } from '../../core/errors.ts';
import type { StepReporter } from '../../core/platform.ts';
import { requestDocker, type DockerConnection } from './client.ts';
import {
  hasEngineStatus,
  inspectContainerInfo,
  removeContainer,
  renameContainer,
  startContainer,
  stopContainer,
  stopSecondsOf,
} from './container-ops.ts';
import { reasonParams } from './failure-reason.ts';
import type { InFlight } from './in-flight.ts';
import {
  describeRestored,
  describeUnrestored,
  unchanged,
  type StateText,
} from './update-states.ts';
import { waitHealthy } from './wait-healthy.ts';

/** On each container an update creates: the id of the container it replaces. */
export const replacesLabel = 'pes.bot/replaces';

/** A container the update has begun to change. */
export interface Changed {
  readonly name: string;
  /** The old container, now or soon `<name>.pes-old`. */
  readonly oldId: string;
  readonly wasRunning: boolean;
}

export interface RollBack {
  /** Every container of the update's plan, in plan order. */
  readonly planned: readonly string[];
  readonly changed: readonly Changed[];
  readonly failedAt: string;
  /** What stopped the update: a failure, or the cancel's reason. */
  readonly cause: unknown;
  readonly cancelled: boolean;
  readonly inFlight: InFlight;
}

/** How long a rollback waits for changes still under way before it looks anyway. */
function settleLimitMs(connection: DockerConnection): number {
  return 2 * connection.timeoutMs;
}

/** Puts back every changed container, newest first; returns the error to throw. */
export async function rollBackAll(
  connection: DockerConnection,
  service: ServiceDefinition,
  rollBack: RollBack,
  onStep: StepReporter,
): Promise<UserError> {
  const { changed, cause } = rollBack;
  const settled = await rollBack.inFlight.settle(settleLimitMs(connection));
  const states = new Map<string, StateText>();
  let allBack = settled;
  for (const [index, entry] of [...changed].reverse().entries()) {
    const fraction = (index + 1) / changed.length;
    onStep({ fraction: index / changed.length, container: entry.name, phase: 'rolling-back' });
    try {
      states.set(entry.name, await restoreOne(connection, service, entry));
      onStep({ fraction, container: entry.name, phase: 'rolled-back' });
    } catch {
      allBack = false;
      states.set(entry.name, await describeUnrestored(connection, entry, replacementsOf));
      onStep({ fraction, container: entry.name, phase: 'failed' });
    }
  }
  if (!settled) {
    // A change is still under way: what is described may not be what stays.
    const current = states.get(rollBack.failedAt);
    if (current !== undefined) {
      states.set(rollBack.failedAt, {
        ru: `${current.ru}; запрос к Docker всё ещё без ответа — проверьте: status ${service.name}`,
        en: `${current.en}; a request to Docker is still unanswered, check: status ${service.name}`,
      });
    }
  }
  const list = rollBack.planned.map((name) => ({ name, state: states.get(name) ?? unchanged }));
  const params = {
    service: service.name,
    container: rollBack.failedAt,
    ...reasonParams(cause),
    statesRu: list.map((c) => `${c.name}: ${c.state.ru}`).join('; '),
    statesEn: list.map((c) => `${c.name}: ${c.state.en}`).join('; '),
  };
  if (!allBack) return new UserError('update-rollback-failed', params, { cause });
  if (rollBack.cancelled) return new UserError('update-cancelled', params, { cause });
  return new UserError('update-rolled-back', params, { cause });
}

async function restoreOne(
  connection: DockerConnection,
  service: ServiceDefinition,
  entry: Changed,
): Promise<StateText> {
  for (const holder of await replacementsOf(connection, entry)) {
    await stopContainer(connection, holder.Id, stopSecondsOf(holder));
    // Without its volumes: the anonymous ones it mounts are the old container's.
    await removeContainer(connection, holder.Id);
  }
  const old = await inspectContainerInfo(connection, entry.oldId);
  if (nameOf(old) !== entry.name) await renameContainer(connection, entry.oldId, entry.name);
  if (entry.wasRunning) {
    await startContainer(connection, entry.oldId);
    // It was healthy before; its health now is reported, not a reason to stop putting the
    // others back.
    await waitHealthy(connection, entry.oldId, entry.name, {
      timeoutMs: service.health.timeoutSeconds * 1000,
    }).catch(() => undefined);
  }
  return describeRestored(await inspectContainerInfo(connection, entry.oldId), entry.wasRunning);
}

/**
 * The containers the update made in place of this one: whatever holds its name and is not
 * the old container, and whatever carries the label with the old container's id.
 */
export async function replacementsOf(
  connection: DockerConnection,
  entry: Changed,
): Promise<ContainerInspectInfo[]> {
  const found = new Map<string, ContainerInspectInfo>();
  const holder = await inspectContainerInfo(connection, entry.name).catch((error: unknown) => {
    if (hasEngineStatus(error, 404)) return undefined;
    throw error;
  });
  if (holder !== undefined && holder.Id !== entry.oldId) found.set(holder.Id, holder);
  const labelled = await requestDocker(connection, (abortSignal) =>
    connection.docker.listContainers({
      all: true,
      filters: { label: [`${replacesLabel}=${entry.oldId}`] },
      abortSignal,
    }),
  );
  for (const { Id } of labelled) {
    if (Id === entry.oldId || found.has(Id)) continue;
    // Gone between the list and the look: nothing to put back.
    const info = await inspectContainerInfo(connection, Id).catch((error: unknown) => {
      if (hasEngineStatus(error, 404)) return undefined;
      throw error;
    });
    if (info !== undefined) found.set(Id, info);
  }
  return [...found.values()];
}

export function nameOf(info: ContainerInspectInfo): string {
  return info.Name.replace(/^\//, '');
}
