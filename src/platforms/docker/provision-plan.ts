/**
 * Plans for provisioning and deprovisioning. They only read: a dry run and a confirmation
 * show them, and the apply step makes a fresh one, because minutes may pass in between.
 */
import { UserError } from '../../core/errors.ts';
import type { DeprovisionPlan, ProvisionPlan, WorkloadSpec } from '../../core/platform.ts';
import type { DockerConnection } from './client.ts';
import {
  containerNamed,
  imagePresent,
  instanceObjects,
  networkExists,
  volumeExists,
} from './provision-lookup.ts';

/** The container takes the instance name itself: what people type is what `docker ps` shows. */
export function containerNameOf(spec: WorkloadSpec): string {
  return spec.name;
}

/**
 * Refuses when anything of that name exists: the container, any of the volumes (the
 * engine would silently reuse an existing volume, data and all), or anything the bot
 * labelled for this instance before.
 */
export async function planProvision(
  connection: DockerConnection,
  spec: WorkloadSpec,
  signal?: AbortSignal,
): Promise<ProvisionPlan> {
  const container = containerNameOf(spec);
  const volumes = spec.volumes.map((v) => v.name);
  const [existing, volumesFound, owned, network, present] = await Promise.all([
    containerNamed(connection, container, signal),
    Promise.all(volumes.map((name) => volumeExists(connection, name, signal))),
    instanceObjects(connection, spec.name, signal),
    networkExists(connection, spec.network, signal),
    imagePresent(connection, spec.image, signal),
  ]);
  const taken = new Set<string>([
    ...(existing === undefined ? [] : [existing.name]),
    ...volumes.filter((_, i) => volumesFound[i] === true),
    ...owned.containers.map((c) => c.name),
    ...owned.volumes,
  ]);
  if (taken.size > 0) {
    throw new UserError('provision-exists', {
      instance: spec.name,
      names: [...taken].join(', '),
    });
  }
  if (!network) throw new UserError('provision-network-missing', { network: spec.network });
  // The same switch as for `update`: a host may have no registry to pull from.
  if (!present && connection.pull !== true) {
    throw new UserError('provision-image-missing', { image: spec.image });
  }
  return { instance: spec.name, container, volumes, image: spec.image, pull: !present };
}

/**
 * Only what carries the bot's labels for this instance: a container that merely has the
 * same name was not made by the bot and is never touched.
 */
export async function planDeprovision(
  connection: DockerConnection,
  instance: string,
  deleteData: boolean,
  signal?: AbortSignal,
): Promise<DeprovisionPlan> {
  const owned = await instanceObjects(connection, instance, signal);
  if (owned.containers.length === 0 && owned.volumes.length === 0) {
    throw new UserError('unknown-instance', { name: instance });
  }
  if (owned.containers.length === 0 && !deleteData) {
    throw new UserError('deprovision-only-data', {
      name: instance,
      volumes: owned.volumes.join(', '),
    });
  }
  return {
    instance,
    containers: owned.containers.map((c) => c.name),
    volumes: owned.volumes,
    deleteData,
  };
}
