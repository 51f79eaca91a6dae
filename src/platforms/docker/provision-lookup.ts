/**
 * What is already on the engine, for provisioning: the bot's own labels, and lookups that
 * tell "absent" (404) apart from every other failure, which is passed on.
 */
import { UserError } from '../../core/errors.ts';
import { engineStatus, requestDocker, type DockerConnection } from './client.ts';

export const provisionLabels = {
  managed: 'pes.bot/managed',
  template: 'pes.bot/template',
  instance: 'pes.bot/instance',
} as const;

/** The labels that make a container or volume the bot's own, and say whose it is. */
export function ownLabels(template: string, instance: string): Record<string, string> {
  return {
    [provisionLabels.managed]: 'true',
    [provisionLabels.template]: template,
    [provisionLabels.instance]: instance,
  };
}

/** An engine filter for the objects the bot made for one instance. */
export function instanceFilter(instance: string): { label: string[] } {
  return {
    label: [`${provisionLabels.managed}=true`, `${provisionLabels.instance}=${instance}`],
  };
}

/** Runs a lookup; undefined when the engine answers 404 (no such object). */
export async function unlessMissing<T>(
  connection: DockerConnection,
  request: (signal: AbortSignal) => Promise<T>,
  signal?: AbortSignal,
): Promise<T | undefined> {
  try {
    return await requestDocker(connection, request, signal);
  } catch (error) {
    if (error instanceof UserError && engineStatus(error.cause) === 404) return undefined;
    throw error;
  }
}

export interface NamedObject {
  readonly id: string;
  readonly name: string;
}

/** The container with exactly this name, if any. */
export async function containerNamed(
  connection: DockerConnection,
  name: string,
  signal?: AbortSignal,
): Promise<NamedObject | undefined> {
  // Inspecting by name would also match a container whose id starts with the name, and the
  // engine's name filter is an unanchored pattern: list, then compare exactly.
  const listed = await requestDocker(
    connection,
    (abortSignal) =>
      connection.docker.listContainers({ all: true, filters: { name: [name] }, abortSignal }),
    signal,
  );
  const found = listed.find((info) => info.Names.includes(`/${name}`));
  return found === undefined ? undefined : { id: found.Id, name };
}

export async function volumeExists(
  connection: DockerConnection,
  name: string,
  signal?: AbortSignal,
): Promise<boolean> {
  const found = await unlessMissing(
    connection,
    (abortSignal) => connection.docker.getVolume(name).inspect({ abortSignal }),
    signal,
  );
  return found !== undefined;
}

// Network and image inspection in dockerode ignore an abort signal; listing honours it.

export async function networkExists(
  connection: DockerConnection,
  name: string,
  signal?: AbortSignal,
): Promise<boolean> {
  // The name filter matches parts of names too: compare exactly.
  const listed = await requestDocker(
    connection,
    (abortSignal) => connection.docker.listNetworks({ filters: { name: [name] }, abortSignal }),
    signal,
  );
  return listed.some((network) => network.Name === name);
}

export async function imagePresent(
  connection: DockerConnection,
  image: string,
  signal?: AbortSignal,
): Promise<boolean> {
  // Without a tag or digest the engine pulls `latest`, and only that one counts as present.
  const lastPart = image.slice(image.lastIndexOf('/') + 1);
  const reference = lastPart.includes(':') || lastPart.includes('@') ? image : `${image}:latest`;
  const listed = await requestDocker(
    connection,
    (abortSignal) =>
      connection.docker.listImages({ filters: { reference: [reference] }, abortSignal }),
    signal,
  );
  return listed.length > 0;
}

/** The containers and volumes labelled as made by the bot for this instance, sorted. */
export async function instanceObjects(
  connection: DockerConnection,
  instance: string,
  signal?: AbortSignal,
): Promise<{ containers: NamedObject[]; volumes: string[] }> {
  const filters = instanceFilter(instance);
  const [containers, volumes] = await Promise.all([
    requestDocker(
      connection,
      (abortSignal) => connection.docker.listContainers({ all: true, filters, abortSignal }),
      signal,
    ),
    requestDocker(
      connection,
      (abortSignal) => connection.docker.listVolumes({ filters, abortSignal }),
      signal,
    ),
  ]);
  return {
    containers: containers
      .map((info) => ({ id: info.Id, name: ownName(info.Names) ?? info.Id }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    // `Volumes` is null, not [], when the engine has none that match.
    volumes: (volumes.Volumes ?? []).map((v) => v.Name).sort(),
  };
}

/** A container's own name: `Names` also holds its aliases in linking containers (`/web/db`). */
function ownName(names: readonly string[]): string | undefined {
  return names.find((name) => name.lastIndexOf('/') === 0)?.slice(1);
}
