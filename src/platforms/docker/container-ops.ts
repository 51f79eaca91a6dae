/**
 * The container operations scale and update are made of, each one engine request with a
 * time limit and errors people can read. Looking (inspect) takes the caller's signal;
 * changing (create, start, stop, rename, remove) never does and is never aborted
 * (client.ts, mutateDocker): the caller checks its signal between these steps, so a cancel
 * never leaves a change the engine may still make after it. `inFlight` keeps a change whose
 * caller stopped waiting (the time limit) until it settles.
 */
import type { ContainerInspectInfo, NetworkConnectOptions } from 'dockerode';
import { engineStatus, mutateDocker, requestDocker, type DockerConnection } from './client.ts';
import type { ContainerSpec } from './container-spec.ts';
import type { InFlight } from './in-flight.ts';

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
  inFlight?: InFlight,
): Promise<string> {
  const container = await mutateDocker(
    connection,
    () => connection.docker.createContainer(spec.create),
    inFlight,
  );
  try {
    for (const { network, endpoint } of spec.connect) {
      const options: NetworkConnectOptions = { Container: container.id, EndpointConfig: endpoint };
      await mutateDocker(
        connection,
        () => connection.docker.getNetwork(network).connect(options) as Promise<unknown>,
        inFlight,
      );
    }
  } catch (error) {
    // A half-made container must not be left behind under the service's name.
    await removeContainer(connection, container.id, {}, inFlight).catch(() => undefined);
    throw error;
  }
  return container.id;
}

export async function startContainer(
  connection: DockerConnection,
  id: string,
  inFlight?: InFlight,
): Promise<void> {
  try {
    await mutateDocker(
      connection,
      () => connection.docker.getContainer(id).start() as Promise<unknown>,
      inFlight,
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
  inFlight?: InFlight,
): Promise<void> {
  const patient = { ...connection, timeoutMs: seconds * 1000 + connection.timeoutMs };
  try {
    await mutateDocker(
      patient,
      () => connection.docker.getContainer(id).stop({ t: seconds }) as Promise<unknown>,
      inFlight,
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
  inFlight?: InFlight,
): Promise<void> {
  await mutateDocker(
    connection,
    () =>
      connection.docker
        .getContainer(id)
        .remove({ force: true, v: options.volumes === true }) as Promise<unknown>,
    inFlight,
  );
}

export async function renameContainer(
  connection: DockerConnection,
  id: string,
  name: string,
  inFlight?: InFlight,
): Promise<void> {
  await mutateDocker(
    connection,
    () => connection.docker.getContainer(id).rename({ name }) as Promise<unknown>,
    inFlight,
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
