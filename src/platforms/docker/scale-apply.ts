/**
 * Creating and removing replicas. A new replica is a copy of the first container's whole
 * configuration with its own replica number; scaling down stops the highest numbers
 * gracefully (their StopTimeout, else Docker's 10 s) and removes them.
 *
 * Volumes: a replica removed by scaling down keeps its volumes, named and anonymous alike
 * (as `docker compose down` without `-v` does): a scale must never be what deletes data.
 * `docker volume prune` removes anonymous ones that are no longer wanted. Only replicas this
 * same scale created and then had to take back (they never became healthy) go with theirs.
 *
 * A cancel is honoured between engine requests, never by aborting a create, start or stop:
 * the engine may still carry out a request the client gave up on, e.g. make a replica after
 * the take-back has run (update-apply.ts says more). A request whose answer is late beyond
 * the time limit is waited for (InFlight) before what was made is taken back.
 */
import { randomUUID } from 'node:crypto';
import type { ServiceDefinition } from '../../core/catalog.ts';
import { UserError } from '../../core/errors.ts';
import type { ContainerReport, ScalePlan, StepReporter } from '../../core/platform.ts';
import type { DockerConnection } from './client.ts';
import {
  createFromSpec,
  inspectContainerInfo,
  removeContainer,
  startContainer,
  stopContainer,
  stopSecondsOf,
} from './container-ops.ts';
import { deriveContainerSpec } from './container-spec.ts';
import { composeLabels, type DiscoveredContainer } from './discover.ts';
import { reasonParams } from './failure-reason.ts';
import { findImage } from './image-ops.ts';
import { InFlight } from './in-flight.ts';
import type { NewReplica } from './scale-names.ts';
import { replacesLabel } from './update-restore.ts';
import { waitHealthy } from './wait-healthy.ts';

/**
 * On each replica a scale creates: a token of that one scale. After a failure, a container
 * holding a new replica's name is taken back only when it carries the token: a create that
 * failed with 409 (the name is in use) made nothing, and the holder is someone else's, e.g.
 * a replica `docker compose up --scale` made while the scale waited for its confirmation.
 */
export const scaleLabel = 'pes.bot/scale';

export async function scaleUp(
  connection: DockerConnection,
  service: ServiceDefinition,
  replicas: readonly NewReplica[],
  existing: readonly DiscoveredContainer[],
  onStep: StepReporter,
  signal?: AbortSignal,
): Promise<ContainerReport[]> {
  const first = existing[0];
  if (first === undefined) throw new UserError('service-vanished', { service: service.name });
  const info = await inspectContainerInfo(connection, first.id, signal);
  // The replica must run exactly the first one's image: its reference is used unless the
  // tag has since been moved to another image (a pull without a recreate).
  const current = await findImage(connection, info.Config.Image, signal);
  const image = current?.Id === info.Image ? info.Config.Image : info.Image;
  const created: { name: string; id: string }[] = [];
  const reports: ContainerReport[] = [];
  const inFlight = new InFlight();
  let currentName = '';
  const token = randomUUID();
  try {
    for (const [index, replica] of replicas.entries()) {
      signal?.throwIfAborted();
      currentName = replica.name;
      const started = Date.now();
      const step = (phase: Parameters<StepReporter>[0]['phase'], part: number): void =>
        onStep({ fraction: (index + part) / replicas.length, container: replica.name, phase });
      step('creating', 0);
      const spec = deriveContainerSpec(info, {
        name: replica.name,
        labels: { [composeLabels.number]: String(replica.number) },
        keepAnonymousVolumes: false,
      });
      // A new replica replaces no container, whatever the first one was made for.
      const labels = Object.fromEntries(
        Object.entries(spec.create.Labels ?? {}).filter(([key]) => key !== replacesLabel),
      );
      labels[scaleLabel] = token;
      const id = await createFromSpec(
        connection,
        { ...spec, create: { ...spec.create, Image: image, Labels: labels } },
        inFlight,
      );
      created.push({ name: replica.name, id });
      signal?.throwIfAborted();
      step('starting', 0.2);
      await startContainer(connection, id, inFlight);
      signal?.throwIfAborted();
      step('waiting', 0.4);
      const health = await waitHealthy(connection, id, replica.name, {
        timeoutMs: service.health.timeoutSeconds * 1000,
        signal,
      });
      step('healthy', 1);
      reports.push({
        container: replica.name,
        action: 'created',
        health,
        durationMs: Date.now() - started,
      });
    }
  } catch (error) {
    onStep({ fraction: 1, container: currentName, phase: 'failed' });
    // Without the caller's signal: a cancel must not leave half a scale behind. A create
    // whose answer never came may still have made its replica: once every request has
    // settled, the container holding the replica's name is this scale's if it carries this
    // scale's token; any other holder is left alone.
    await inFlight.settle(2 * connection.timeoutMs);
    if (currentName !== '' && !created.some((c) => c.name === currentName)) {
      const late = await heldByScale(connection, currentName, token);
      if (late !== undefined) created.push({ name: currentName, id: late });
    }
    for (const replica of created.reverse()) {
      onStep({ fraction: 1, container: replica.name, phase: 'removing' });
      await removeContainer(connection, replica.id, { volumes: true }).catch(() => undefined);
    }
    throw new UserError(
      'scale-up-failed',
      {
        service: service.name,
        container: currentName,
        ...reasonParams(error),
        removed: created.length === 0 ? '—' : created.map((c) => c.name).join(', '),
      },
      // A cancel stays the cause, so that the job reports this account of it (job-runner.ts).
      { cause: signal?.aborted === true ? (signal.reason as unknown) : error },
    );
  }
  return reports;
}

/** The id of the container named `name` if this scale (its `token`) made it. */
async function heldByScale(
  connection: DockerConnection,
  name: string,
  token: string,
): Promise<string | undefined> {
  const info = await inspectContainerInfo(connection, name).catch(() => undefined);
  // Read defensively: a failure here must not hide the error being reported.
  const labels = info?.Config.Labels as Readonly<Record<string, string>> | null | undefined;
  return labels?.[scaleLabel] === token ? info?.Id : undefined;
}

export async function scaleDown(
  connection: DockerConnection,
  service: ServiceDefinition,
  plan: ScalePlan,
  existing: readonly DiscoveredContainer[],
  onStep: StepReporter,
  signal?: AbortSignal,
): Promise<ContainerReport[]> {
  const reports: ContainerReport[] = [];
  for (const [index, name] of plan.remove.entries()) {
    const started = Date.now();
    const step = (phase: Parameters<StepReporter>[0]['phase'], part: number): void =>
      onStep({ fraction: (index + part) / plan.remove.length, container: name, phase });
    try {
      signal?.throwIfAborted();
      const replica = existing.find((c) => c.name === name);
      if (replica === undefined) {
        throw new UserError('plan-stale', {
          container: name,
          whyRu: 'его больше нет в сервисе',
          whyEn: 'it is no longer part of the service',
        });
      }
      const info = await inspectContainerInfo(connection, replica.id, signal);
      step('stopping', 0);
      await stopContainer(connection, replica.id, stopSecondsOf(info));
      step('removing', 0.8);
      await removeContainer(connection, replica.id, { volumes: false });
    } catch (error) {
      step('failed', 1);
      throw new UserError(
        'scale-down-failed',
        {
          service: service.name,
          container: name,
          ...reasonParams(error),
          removed: reports.length === 0 ? '—' : reports.map((r) => r.container).join(', '),
        },
        { cause: signal?.aborted === true ? (signal.reason as unknown) : error },
      );
    }
    reports.push({
      container: name,
      action: 'removed',
      health: 'stopped',
      durationMs: Date.now() - started,
    });
  }
  return reports;
}
