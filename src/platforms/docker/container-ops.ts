/**
 * The container operations scale and update are made of, each one engine request through
 * requestDocker (time limit, caller's signal, errors people can read).
 */
import type { ContainerInspectInfo, NetworkConnectOptions } from 'dockerode';
import { engineStatus, requestDocker, type DockerConnection } from './client.ts';
import type { ContainerSpec } from './container-spec.ts';

/** Docker's own default grace period for `docker stop` when the container sets none. */
export const defaultStopSeconds = 10;

/** Whether a (wrapped) engine error carries this HTTP status. */
export function hasEngineStatus(error: unknown, status: number): boolean {
  const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
  return engineStatus(cause) === status || engineStatus(error) === status;
}

export function inspectContainerInfo(
  connection: DockerConnection,
  id: string,
  signal?: AbortSignal,
): Promise<ContainerInspectInfo> {
  return requestDocker(
    connection,
    (abortSignal) => connection.docker.getContainer(id).inspect({ abortSignal }),
    signal,
  );
}

/** Creates the container and connects its further networks; returns its id. */
export async function createFromSpec(
  connection: DockerConnection,
  spec: ContainerSpec,
  signal?: AbortSignal,
): Promise<string> {
  const container = await requestDocker(
    connection,
    (abortSignal) => connection.docker.createContainer({ ...spec.create, abortSignal }),
    signal,
  );
  try {
    for (const { network, endpoint } of spec.connect) {
      await requestDocker(
        connection,
        (abortSignal) => {
          // dockerode honours abortSignal here though its types do not list it.
          const options: NetworkConnectOptions & { abortSignal: AbortSignal } = {
            Container: container.id,
            EndpointConfig: endpoint,
            abortSignal,
          };
          return connection.docker.getNetwork(network).connect(options);
        },
        signal,
      );
    }
  } catch (error) {
    // A half-made container must not be left behind under the service's name.
    await removeContainer(connection, container.id).catch(() => undefined);
    throw error;
  }
  return container.id;
}

export async function startContainer(
  connection: DockerConnection,
  id: string,
  signal?: AbortSignal,
): Promise<void> {
  try {
    await requestDocker(
      connection,
      (abortSignal) => connection.docker.getContainer(id).start({ abortSignal }),
      signal,
    );
  } catch (error) {
    // 304: already running, which is what was asked for.
    if (!hasEngineStatus(error, 304)) throw error;
  }
}

/**
 * `docker stop`: SIGTERM (or the container's StopSignal), then SIGKILL after `seconds`. The
 * request may take that long, so its time limit is the grace period plus the usual one.
 */
export async function stopContainer(
  connection: DockerConnection,
  id: string,
  seconds: number,
  signal?: AbortSignal,
): Promise<void> {
  const patient = { ...connection, timeoutMs: seconds * 1000 + connection.timeoutMs };
  try {
    await requestDocker(
      patient,
      (abortSignal) => connection.docker.getContainer(id).stop({ t: seconds, abortSignal }),
      signal,
    );
  } catch (error) {
    // 304: already stopped.
    if (!hasEngineStatus(error, 304)) throw error;
  }
}

/** The grace period the container asks for (`stop_grace_period`, `--stop-timeout`). */
export function stopSecondsOf(info: ContainerInspectInfo): number {
  const configured = (info.Config as { StopTimeout?: number | null }).StopTimeout;
  return typeof configured === 'number' && configured >= 0 ? configured : defaultStopSeconds;
}

/**
 * Removes a container. `volumes` also removes its anonymous volumes; named volumes and
 * binds are never touched by the engine.
 */
export async function removeContainer(
  connection: DockerConnection,
  id: string,
  options: { volumes?: boolean } = {},
  signal?: AbortSignal,
): Promise<void> {
  await requestDocker(
    connection,
    (abortSignal) =>
      connection.docker
        .getContainer(id)
        .remove({ force: true, v: options.volumes === true, abortSignal }),
    signal,
  );
}

export async function renameContainer(
  connection: DockerConnection,
  id: string,
  name: string,
  signal?: AbortSignal,
): Promise<void> {
  await requestDocker(
    connection,
    (abortSignal) => connection.docker.getContainer(id).rename({ name, abortSignal }),
    signal,
  );
}

/** Whether any container (of any service) has this name. */
export async function nameTaken(
  connection: DockerConnection,
  name: string,
  signal?: AbortSignal,
): Promise<boolean> {
  try {
    await inspectContainerInfo(connection, name, signal);
    return true;
  } catch (error) {
    if (hasEngineStatus(error, 404)) return false;
    throw error;
  }
}
