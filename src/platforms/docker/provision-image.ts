/**
 * Pulls the image of a new workload. A pull streams JSON lines for minutes, so it cannot
 * run under the per-request time limit of requestDocker: it gets a limit of its own, and
 * the engine's failure arrives as an `error` line in the stream, not as an HTTP status.
 */
import { UserError } from '../../core/errors.ts';
import { toDockerError, type DockerConnection } from './client.ts';

/** A large image on a slow line; beyond that, something is stuck. */
const pullTimeoutMs = 30 * 60_000;

export async function pullImage(
  connection: DockerConnection,
  image: string,
  signal?: AbortSignal,
): Promise<void> {
  signal?.throwIfAborted();
  const timeout = AbortSignal.timeout(pullTimeoutMs);
  const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
  try {
    const stream = await connection.docker.pull(image, { abortSignal: combined });
    await readPullStream(stream);
  } catch (error) {
    if (signal?.aborted === true) throw signal.reason;
    if (timeout.aborted) {
      throw new UserError('docker-error', {
        reason: `pulling ${image} took longer than ${pullTimeoutMs / 60_000} min`,
      });
    }
    throw toDockerError(error, connection.host);
  }
}

/** Reads the pull's progress lines to the end; throws the first `error` line. */
async function readPullStream(stream: NodeJS.ReadableStream): Promise<void> {
  let buffer = '';
  for await (const chunk of stream) {
    buffer += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      checkLine(buffer.slice(0, newline));
      buffer = buffer.slice(newline + 1);
    }
  }
  checkLine(buffer);
}

function checkLine(line: string): void {
  if (line.trim() === '') return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return; // a torn or foreign line says nothing about success
  }
  if (typeof parsed === 'object' && parsed !== null && 'error' in parsed) {
    const reason = typeof parsed.error === 'string' ? parsed.error : 'pull failed';
    throw new UserError('docker-error', { reason });
  }
}
