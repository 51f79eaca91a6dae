/**
 * scale on Docker, Compose style: the plan (which replicas are created or removed, by
 * number) and the checks before anything changes; scale-apply.ts does the work.
 */
import type { ServiceDefinition } from '../../core/catalog.ts';
import { UserError } from '../../core/errors.ts';
import type { ContainerReport, ScalePlan, StepReporter } from '../../core/platform.ts';
import { requestDocker, type DockerConnection } from './client.ts';
import { findServiceContainers, type DiscoveredContainer } from './discover.ts';
import { findLeftovers } from './leftovers.ts';
import { scaleDown, scaleUp } from './scale-apply.ts';
import { replicasToCreate, replicasToRemove } from './scale-names.ts';

export async function planScale(
  connection: DockerConnection,
  service: ServiceDefinition,
  replicas: number,
  signal?: AbortSignal,
): Promise<ScalePlan> {
  const existing = await currentReplicas(connection, service, signal);
  const before = existing.length;
  const taken = await allContainerNames(connection, signal);
  const create = replicasToCreate(existing, composeOf(service), replicas - before, (name) =>
    taken.has(name),
  );
  const remove = replicasToRemove(existing, before - replicas);
  return {
    service: service.name,
    before,
    after: replicas,
    create: create.map((r) => r.name),
    remove: remove.map((r) => r.name),
  };
}

export async function applyScale(
  connection: DockerConnection,
  service: ServiceDefinition,
  plan: ScalePlan,
  onStep: StepReporter,
  signal?: AbortSignal,
): Promise<ContainerReport[]> {
  const existing = await currentReplicas(connection, service, signal);
  if (existing.length !== plan.before) {
    throw new UserError('plan-stale', {
      container: service.name,
      whyRu: `контейнеров теперь ${existing.length}, а не ${plan.before}`,
      whyEn: `it has ${existing.length} containers now, not ${plan.before}`,
    });
  }
  if (plan.create.length === 0)
    return scaleDown(connection, service, plan, existing, onStep, signal);
  const taken = await allContainerNames(connection, signal);
  const replicas = replicasToCreate(existing, composeOf(service), plan.create.length, (name) =>
    taken.has(name),
  );
  const names = replicas.map((r) => r.name).join(', ');
  if (names !== plan.create.join(', ')) {
    throw new UserError('plan-stale', {
      container: service.name,
      whyRu: `новые реплики теперь назывались бы ${names}`,
      whyEn: `the new replicas would now be named ${names}`,
    });
  }
  return scaleUp(connection, service, replicas, existing, onStep, signal);
}

/** The service's containers; refuses what scale cannot or must not work on. */
async function currentReplicas(
  connection: DockerConnection,
  service: ServiceDefinition,
  signal?: AbortSignal,
): Promise<DiscoveredContainer[]> {
  composeOf(service);
  const leftovers = await findLeftovers(connection, service, signal);
  if (leftovers.length > 0) {
    throw new UserError('update-interrupted', {
      service: service.name,
      containers: leftovers.map((l) => l.name).join(', '),
    });
  }
  const found = await findServiceContainers(connection, service.containers, signal);
  if (found.length === 0) throw new UserError('service-vanished', { service: service.name });
  return found;
}

/** Replicas exist only for a Compose service: a name list would not find new ones. */
function composeOf(service: ServiceDefinition): { project: string; service: string } {
  const compose = service.containers.compose;
  if (compose === undefined) throw new UserError('scale-needs-compose', { service: service.name });
  return compose;
}

async function allContainerNames(
  connection: DockerConnection,
  signal?: AbortSignal,
): Promise<Set<string>> {
  const all = await requestDocker(
    connection,
    (abortSignal) => connection.docker.listContainers({ all: true, abortSignal }),
    signal,
  );
  return new Set(all.flatMap((info) => info.Names.map((n) => n.replace(/^\//, ''))));
}
