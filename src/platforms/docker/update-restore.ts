/**
 * Puts containers back as they were before an update touched them. Runs without the
 * caller's signal: a cancel is what may have brought us here, and a half-done restore is
 * worse than a finished one.
 */
import type { ServiceDefinition } from '../../core/catalog.ts';
import { UserError } from '../../core/errors.ts';
import type { StepReporter } from '../../core/platform.ts';
import type { DockerConnection } from './client.ts';
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
import { waitHealthy } from './wait-healthy.ts';

/** A container the update has begun to change. */
export interface Changed {
  readonly name: string;
  /** The old container, now or soon `<name>.pes-old`. */
  readonly oldId: string;
  readonly wasRunning: boolean;
}

async function restoreOne(
  connection: DockerConnection,
  service: ServiceDefinition,
  entry: Changed,
): Promise<void> {
  // Whatever holds the name and is not the old container is the new one. Its id may never
  // have reached us (a create cut off by a cancel), so it is looked up by name.
  const holder = await inspectContainerInfo(connection, entry.name).catch((error: unknown) => {
    if (hasEngineStatus(error, 404)) return undefined;
    throw error;
  });
  if (holder !== undefined && holder.Id !== entry.oldId) {
    await stopContainer(connection, holder.Id, stopSecondsOf(holder));
    // Without its volumes: the anonymous ones it mounts are the old container's.
    await removeContainer(connection, holder.Id);
  }
  const old = await inspectContainerInfo(connection, entry.oldId);
  if (old.Name.replace(/^\//, '') !== entry.name) {
    await renameContainer(connection, entry.oldId, entry.name);
  }
  if (!entry.wasRunning) return;
  await startContainer(connection, entry.oldId);
  // It was healthy before; its health now is reported by status, not a reason to stop
  // putting the others back.
  await waitHealthy(connection, entry.oldId, entry.name, {
    timeoutMs: service.health.timeoutSeconds * 1000,
  }).catch(() => undefined);
}

/** Puts back every changed container, newest first; returns the error to throw. */
export async function rollBackAll(
  connection: DockerConnection,
  service: ServiceDefinition,
  changed: readonly Changed[],
  failedAt: string,
  cause: unknown,
  onStep: StepReporter,
): Promise<UserError> {
  const restored: string[] = [];
  const notRestored: string[] = [];
  for (const [index, entry] of [...changed].reverse().entries()) {
    const fraction = (index + 1) / changed.length;
    onStep({ fraction: index / changed.length, container: entry.name, phase: 'rolling-back' });
    try {
      await restoreOne(connection, service, entry);
      restored.push(entry.name);
      onStep({ fraction, container: entry.name, phase: 'rolled-back' });
    } catch {
      notRestored.push(entry.name);
      onStep({ fraction, container: entry.name, phase: 'failed' });
    }
  }
  const params = {
    service: service.name,
    container: failedAt,
    ...reasonParams(cause),
    restored: restored.length === 0 ? '—' : restored.join(', '),
  };
  if (notRestored.length > 0) {
    return new UserError(
      'update-rollback-failed',
      { ...params, failed: notRestored.join(', ') },
      { cause },
    );
  }
  return new UserError('update-rolled-back', params, { cause });
}
