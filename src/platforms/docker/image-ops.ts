/** Finding and pulling images, for update and scale. */
import type { ImageInspectInfo } from 'dockerode';
import { UserError } from '../../core/errors.ts';
import { engineStatus, requestDocker, type DockerConnection } from './client.ts';
import { hasEngineStatus } from './container-ops.ts';

/** A pull may take long; it is bounded all the same, so a stalled registry fails the job. */
const pullTimeoutMs = 15 * 60_000;

/** The image a reference or id names locally; undefined when it is not here. */
export async function findImage(
  connection: DockerConnection,
  reference: string,
  signal?: AbortSignal,
): Promise<ImageInspectInfo | undefined> {
  try {
    return await requestDocker(
      connection,
      // dockerode's image inspect takes no signal: the wait for it is cut short instead.
      (abortSignal) => untilAborted(connection.docker.getImage(reference).inspect(), abortSignal),
      signal,
    );
  } catch (error) {
    if (hasEngineStatus(error, 404)) return undefined;
    throw error;
  }
}

/** Pulls an image and waits until the engine has it; any failure is a docker-error. */
export async function pullImage(
  connection: DockerConnection,
  reference: string,
  signal?: AbortSignal,
): Promise<void> {
  const patient = { ...connection, timeoutMs: pullTimeoutMs };
  const failed = (why: string): UserError =>
    new UserError('docker-error', { reason: `pull ${reference}: ${why}` });
  await requestDocker(
    patient,
    async (abortSignal) => {
      const stream = await connection.docker
        .pull(reference, { abortSignal })
        .catch((error: unknown) => {
          // The engine answers a registry it cannot reach with a 500 whose text docker-modem
          // leaves in the message only: `(HTTP code 500) server error - Get "…": dial tcp …`.
          if (engineStatus(error) === undefined || !(error instanceof Error)) throw error;
          throw failed(error.message.replace(/^\(HTTP code \d+\)[^-]*- /, '').trim());
        });
      await new Promise<void>((resolve, reject) => {
        connection.docker.modem.followProgress(stream, (error: Error | null) => {
          // An error inside the stream (no such manifest, …) comes with a 200 answer.
          if (error === null) resolve();
          else reject(failed(error.message.trim()));
        });
      });
    },
    signal,
  );
}

function untilAborted<T>(request: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    // requestDocker reports the abort or timeout itself; this error only ends the wait.
    const abort = (): void => {
      reject(new Error('request aborted'));
    };
    signal.addEventListener('abort', abort, { once: true });
    if (signal.aborted) abort();
    void request.then(resolve, reject).finally(() => {
      signal.removeEventListener('abort', abort);
    });
  });
}
