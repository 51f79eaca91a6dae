/**
 * Recreates a service's containers on a new image one at a time: the old container is
 * renamed `<name>.pes-old` and stopped, a new one with its configuration and the new image
 * takes the name and must become healthy. On any failure, or a cancel, every container
 * changed so far (the current one included) is put back: the new one removed, the old one
 * (the same container, same id) renamed back and started. Only when all are healthy are the
 * old ones removed.
 *
 * A cancel is honoured between engine requests, never by aborting one: the engine may still
 * carry out a request the client gave up on (an aborted `create` that makes its container
 * after the rollback has looked), so each change is let finish and the signal is checked
 * after it. A change whose answer is late beyond the time limit is kept in an InFlight,
 * which the rollback waits for before it looks (update-restore.ts).
 */
import type { ContainerInspectInfo, ImageInspectInfo } from 'dockerode';
import type { ServiceDefinition } from '../../core/catalog.ts';
import { passPointOfNoReturn } from '../../core/context-commit.ts';
import { UserError } from '../../core/errors.ts';
import type {
  ContainerReport,
  ImageChange,
  StepEvent,
  StepReporter,
  UpdatePlan,
} from '../../core/platform.ts';
import type { DockerConnection } from './client.ts';
import {
  createFromSpec,
  hasEngineStatus,
  inspectContainerInfo,
  removeContainer,
  renameContainer,
  startContainer,
  stopContainer,
  stopSecondsOf,
} from './container-ops.ts';
import { findImage, pullImage } from './image-ops.ts';
import { deriveContainerSpec } from './container-spec.ts';
import { InFlight } from './in-flight.ts';
import { leftoverName } from './leftovers.ts';
import { replacesLabel, rollBackAll, type Changed } from './update-restore.ts';
import { waitHealthy } from './wait-healthy.ts';

/** On each container an update made: what it ran before, `<reference>@<image id>`. */
export const previousImageLabel = 'pes.bot/previous-image';

/** Compose (v2.2x) records the image id it created a container from. */
const composeImageLabel = 'com.docker.compose.image';

interface Prepared {
  readonly change: ImageChange;
  readonly info: ContainerInspectInfo;
  readonly toId: string;
  /** The old image, whose defaults the new container must not inherit. */
  readonly oldImage: ImageInspectInfo | undefined;
}

type Step = (phase: StepEvent['phase'], part: number) => void;

export async function recreateAll(
  connection: DockerConnection,
  service: ServiceDefinition,
  plan: UpdatePlan,
  onStep: StepReporter,
  signal?: AbortSignal,
): Promise<ContainerReport[]> {
  const prepared = await prepare(connection, plan, onStep, signal);
  const changed: Changed[] = [];
  const reports: ContainerReport[] = [];
  const inFlight = new InFlight();
  let current = '';
  try {
    for (const [index, target] of prepared.entries()) {
      signal?.throwIfAborted();
      current = target.change.container;
      const step: Step = (phase, part) =>
        onStep({ fraction: (index + part) / prepared.length, container: current, phase });
      reports.push(
        await recreateOne(connection, service, target, { changed, inFlight }, step, signal),
      );
    }
    // The last point where everything can still be put back. Past it the update is done: a
    // cancel from now on changes nothing, the old containers are removed all the same, and
    // the job is told as succeeded (context-commit.ts).
    signal?.throwIfAborted();
    passPointOfNoReturn(signal);
  } catch (error) {
    onStep({ fraction: 1, container: current, phase: 'failed' });
    const cancelled = signal?.aborted === true;
    throw await rollBackAll(
      connection,
      service,
      {
        planned: prepared.map((p) => p.change.container),
        changed,
        failedAt: current,
        // A cancel is what the job reports (job-runner.ts): the rollback's account of each
        // container goes with it as the error that carries the cancel as its cause.
        cause: cancelled ? (signal.reason as unknown) : error,
        cancelled,
        inFlight,
      },
      onStep,
    );
  }
  // Every new container is healthy: the old ones are no longer needed. Their anonymous
  // volumes now belong to the new containers, so they are not removed with them.
  const kept: string[] = [];
  for (const entry of changed) {
    await removeContainer(connection, entry.oldId).catch(() => kept.push(leftoverName(entry.name)));
  }
  if (kept.length > 0) {
    // The update is done, but what is left would block the next one: say so plainly.
    throw new UserError('update-cleanup-failed', {
      service: service.name,
      containers: kept.join(', '),
    });
  }
  return reports;
}

/** Pulls what is missing and checks that nothing changed since the plan; changes nothing. */
async function prepare(
  connection: DockerConnection,
  plan: UpdatePlan,
  onStep: StepReporter,
  signal?: AbortSignal,
): Promise<Prepared[]> {
  const ids = new Map<string, string>();
  for (const change of plan.changes) {
    const reference = change.to.reference;
    if (ids.has(reference)) continue;
    let image = await findImage(connection, reference, signal);
    if (image === undefined && connection.pull === true) {
      onStep({ fraction: 0, container: change.container, phase: 'pulling' });
      await pullImage(connection, reference, signal);
      image = await findImage(connection, reference, signal);
    }
    if (image === undefined) throw new UserError('image-missing', { image: reference });
    if (change.to.id !== undefined && image.Id !== change.to.id) {
      throw stale(change.container, {
        ru: `${reference} теперь указывает на другой образ`,
        en: `${reference} now names another image`,
      });
    }
    ids.set(reference, image.Id);
  }
  const prepared: Prepared[] = [];
  for (const change of plan.changes) {
    const info = await inspectContainerInfo(connection, change.container, signal).catch(
      (error: unknown) => {
        if (!hasEngineStatus(error, 404)) throw error;
        throw stale(change.container, { ru: 'контейнера больше нет', en: 'it is gone' }, error);
      },
    );
    if (info.Image !== change.from.id) {
      throw stale(change.container, {
        ru: 'он работает на другом образе',
        en: 'it runs another image',
      });
    }
    const oldImage = await findImage(connection, info.Image, signal);
    prepared.push({ change, info, toId: ids.get(change.to.reference) ?? '', oldImage });
  }
  return prepared;
}

async function recreateOne(
  connection: DockerConnection,
  service: ServiceDefinition,
  target: Prepared,
  run: { readonly changed: Changed[]; readonly inFlight: InFlight },
  step: Step,
  signal?: AbortSignal,
): Promise<ContainerReport> {
  const started = Date.now();
  const { change, info } = target;
  const { inFlight } = run;
  const name = change.container;
  const entry: Changed = { name, oldId: info.Id, wasRunning: info.State.Running };
  // Recorded before the first change, so that a failure at any point below is undone.
  run.changed.push(entry);
  step('stopping', 0);
  await renameContainer(connection, info.Id, leftoverName(name), inFlight);
  signal?.throwIfAborted();
  await stopContainer(connection, info.Id, stopSecondsOf(info), inFlight);
  signal?.throwIfAborted();
  step('creating', 0.3);
  const labels: Record<string, string> = {
    [previousImageLabel]: `${change.from.reference}@${change.from.id}`,
    // How the rollback finds this container even if the engine's answer never reached us.
    [replacesLabel]: info.Id,
  };
  if (info.Config.Labels[composeImageLabel] !== undefined) labels[composeImageLabel] = target.toId;
  const spec = deriveContainerSpec(info, {
    name,
    image: { reference: change.to.reference, previous: target.oldImage?.Config },
    labels,
    keepAnonymousVolumes: true,
  });
  const id = await createFromSpec(connection, spec, inFlight);
  signal?.throwIfAborted();
  if (!entry.wasRunning) {
    // A stopped container stays stopped: the update changes its image, not its state.
    step('healthy', 1);
    return {
      container: name,
      action: 'updated',
      health: 'stopped',
      durationMs: Date.now() - started,
    };
  }
  step('starting', 0.4);
  await startContainer(connection, id, inFlight);
  signal?.throwIfAborted();
  step('waiting', 0.5);
  const health = await waitHealthy(connection, id, name, {
    timeoutMs: service.health.timeoutSeconds * 1000,
    signal,
  });
  step('healthy', 1);
  return { container: name, action: 'updated', health, durationMs: Date.now() - started };
}

function stale(container: string, why: { ru: string; en: string }, cause?: unknown): UserError {
  return new UserError('plan-stale', { container, whyRu: why.ru, whyEn: why.en }, { cause });
}
