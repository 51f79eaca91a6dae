/**
 * update and rollback on Docker: the plan (what each container runs now and will run) and
 * its application (update-apply.ts), or, after an interrupted update, putting the set-aside
 * containers back (leftovers.ts).
 */
import type { ContainerInspectInfo } from 'dockerode';
import type { ServiceDefinition } from '../../core/catalog.ts';
import { UserError } from '../../core/errors.ts';
import type {
  ContainerReport,
  ImageChange,
  ImageTarget,
  StepReporter,
  UpdatePlan,
} from '../../core/platform.ts';
import type { DockerConnection } from './client.ts';
import { inspectContainerInfo } from './container-ops.ts';
import { findImage } from './image-ops.ts';
import { findServiceContainers } from './discover.ts';
import { parseImageReference, untagged } from './image-ref.ts';
import { findLeftovers, restoreLeftovers, type Leftover } from './leftovers.ts';
import { previousImageLabel, recreateAll } from './update-apply.ts';

export async function planUpdate(
  connection: DockerConnection,
  service: ServiceDefinition,
  target: ImageTarget,
  signal?: AbortSignal,
): Promise<UpdatePlan> {
  const leftovers = await findLeftovers(connection, service, signal);
  if (leftovers.length > 0) {
    if (target.kind !== 'previous') throw interrupted(service, leftovers);
    return planRestore(connection, service, leftovers, signal);
  }
  const found = await findServiceContainers(connection, service.containers, signal);
  if (found.length === 0) throw new UserError('service-vanished', { service: service.name });
  const infos = await Promise.all(found.map((c) => inspectContainerInfo(connection, c.id, signal)));
  if (target.kind === 'previous') {
    const unrecorded = infos.filter((i) => i.Config.Labels[previousImageLabel] === undefined);
    if (unrecorded.length > 0) {
      throw new UserError('nothing-to-roll-back', {
        service: service.name,
        containers: unrecorded.map(nameOf).join(', '),
      });
    }
  }
  const changes: ImageChange[] = [];
  for (const info of infos) {
    const from = { reference: info.Config.Image, id: info.Image };
    const to = await resolveTarget(connection, info, target, signal);
    if (to.reference !== from.reference || to.id !== from.id) {
      changes.push({ container: nameOf(info), from, to });
    }
  }
  const missing = [
    ...new Set(changes.filter((c) => c.to.id === undefined).map((c) => c.to.reference)),
  ];
  if (missing.length > 0 && connection.pull !== true) {
    throw new UserError('image-missing', { image: missing.join(', ') });
  }
  return { service: service.name, changes, pull: missing.length > 0 };
}

export async function applyUpdate(
  connection: DockerConnection,
  service: ServiceDefinition,
  plan: UpdatePlan,
  onStep: StepReporter,
  signal?: AbortSignal,
): Promise<ContainerReport[]> {
  const leftovers = await findLeftovers(connection, service, signal);
  if (leftovers.length > 0) {
    // Only a plan back to exactly the set-aside containers (rollback's) may run now.
    if (!restores(plan, leftovers)) throw interrupted(service, leftovers);
    return restoreLeftovers(connection, service, leftovers, onStep);
  }
  if (plan.changes.length === 0) return [];
  return recreateAll(connection, service, plan, onStep, signal);
}

async function resolveTarget(
  connection: DockerConnection,
  info: ContainerInspectInfo,
  target: ImageTarget,
  signal?: AbortSignal,
): Promise<ImageChange['to']> {
  if (target.kind === 'previous') return resolvePrevious(connection, info, signal);
  const reference = targetReference(info, target);
  const image = await findImage(connection, reference, signal);
  return { reference, id: image?.Id };
}

function targetReference(info: ContainerInspectInfo, target: ImageTarget): string {
  switch (target.kind) {
    case 'current':
    case 'previous':
      // 'previous' is resolved from the container's label (resolvePrevious).
      return info.Config.Image;
    case 'reference':
      return target.reference;
    case 'digest':
      return `${target.image}@${target.digest}`;
    case 'tag': {
      const { image, tag } = parseImageReference(info.Config.Image);
      if (tag === untagged) throw new UserError('image-not-tagged', { container: nameOf(info) });
      return `${image}:${target.tag}`;
    }
  }
}

/**
 * The label holds the reference and the image id the container ran. The exact image is
 * what counts: the reference is used when it still names that image, else the id itself.
 */
async function resolvePrevious(
  connection: DockerConnection,
  info: ContainerInspectInfo,
  signal?: AbortSignal,
): Promise<ImageChange['to']> {
  const label = info.Config.Labels[previousImageLabel] ?? '';
  const at = label.lastIndexOf('@');
  const reference = at === -1 ? label : label.slice(0, at);
  const id = at === -1 ? '' : label.slice(at + 1);
  const byReference = await findImage(connection, reference, signal);
  if (byReference !== undefined && byReference.Id === id) return { reference, id };
  const byId = /^sha256:[0-9a-f]{64}$/.test(id)
    ? await findImage(connection, id, signal)
    : undefined;
  if (byId !== undefined) return { reference: id, id };
  throw new UserError('previous-image-gone', {
    container: nameOf(info),
    image: `${reference} (${id.slice(7, 19)})`,
  });
}

async function planRestore(
  connection: DockerConnection,
  service: ServiceDefinition,
  leftovers: readonly Leftover[],
  signal?: AbortSignal,
): Promise<UpdatePlan> {
  const current = await findServiceContainers(connection, service.containers, signal);
  const changes: ImageChange[] = [];
  for (const leftover of leftovers) {
    const replacement = current.find((c) => c.name === leftover.original);
    const info =
      replacement === undefined
        ? undefined
        : await inspectContainerInfo(connection, replacement.id, signal);
    changes.push({
      container: leftover.original,
      // No container under that name: the update stopped before it made one.
      from: { reference: info?.Config.Image ?? '—', id: info?.Image ?? '' },
      to: { reference: leftover.reference, id: leftover.imageId },
    });
  }
  return { service: service.name, changes, pull: false };
}

function restores(plan: UpdatePlan, leftovers: readonly Leftover[]): boolean {
  return (
    plan.changes.length === leftovers.length &&
    leftovers.every((l) =>
      plan.changes.some((c) => c.container === l.original && c.to.id === l.imageId),
    )
  );
}

function interrupted(service: ServiceDefinition, leftovers: readonly Leftover[]): UserError {
  return new UserError('update-interrupted', {
    service: service.name,
    containers: leftovers.map((l) => l.name).join(', '),
  });
}

function nameOf(info: ContainerInspectInfo): string {
  return info.Name.replace(/^\//, '');
}
