/**
 * `logs` on Docker: the last lines of each container of a service, stdout and stderr in the
 * order the engine stored them.
 */
import type { IncomingMessage } from 'node:http';
import { addAbortSignal, Readable } from 'node:stream';
import type { ServiceDefinition } from '../../core/catalog.ts';
import { UserError } from '../../core/errors.ts';
import type { ContainerLogs, LogsRequest } from '../../core/platform.ts';
import { engineStatus, requestDocker, type DockerConnection } from './client.ts';
import { findServiceContainers, type DiscoveredContainer } from './discover.ts';
import { FrameDemuxer, TailBuffer } from './log-stream.ts';

/** Per container: enough for thousands of ordinary lines, small enough for many replicas. */
export const maxLogBytes = 1024 * 1024;

/** The first line of a log whose older lines were cut to stay within maxLogBytes. */
export const truncatedMark = '[…]';

export async function readLogs(
  connection: DockerConnection,
  service: ServiceDefinition,
  request: LogsRequest,
  signal?: AbortSignal,
  maxBytes = maxLogBytes,
): Promise<ContainerLogs[]> {
  const found = await findServiceContainers(connection, service.containers, signal);
  if (found.length === 0) throw new UserError('service-vanished', { service: service.name });
  const chosen =
    request.container === undefined ? found : [pick(service, found, request.container)];
  const logs = await Promise.all(
    chosen.map((container) => readContainerLog(connection, container, request, maxBytes, signal)),
  );
  const present = logs.filter((l): l is ContainerLogs => l !== undefined);
  // Every container went away between the listing and the reading (a Compose recreate).
  if (present.length === 0) throw new UserError('service-vanished', { service: service.name });
  return present;
}

/** `--container`: the exact name first, then the Compose replica number. */
function pick(
  service: ServiceDefinition,
  found: readonly DiscoveredContainer[],
  wanted: string,
): DiscoveredContainer {
  const byName = found.find((c) => c.name === wanted);
  if (byName !== undefined) return byName;
  if (/^\d{1,6}$/.test(wanted)) {
    const byNumber = found.find((c) => c.number === Number(wanted));
    if (byNumber !== undefined) return byNumber;
  }
  throw new UserError('unknown-container', {
    service: service.name,
    container: wanted,
    known: found
      .map((c) => (c.number === undefined ? c.name : `${c.number} (${c.name})`))
      .join(', '),
  });
}

async function readContainerLog(
  connection: DockerConnection,
  container: DiscoveredContainer,
  request: LogsRequest,
  maxBytes: number,
  signal?: AbortSignal,
): Promise<ContainerLogs | undefined> {
  try {
    const info = await requestDocker(
      connection,
      (abortSignal) => connection.docker.getContainer(container.id).inspect({ abortSignal }),
      signal,
    );
    const driver = info.HostConfig.LogConfig?.Type;
    if (driver === 'none') {
      throw new UserError('logs-unavailable', { container: container.name, driver });
    }
    const query: Record<string, string | number | boolean> = {
      follow: false,
      stdout: true,
      stderr: true,
      timestamps: false,
      tail: request.lines,
    };
    // The engine takes a Unix time in seconds.
    if (request.since !== undefined) query['since'] = Math.floor(request.since.getTime() / 1000);
    const text = await requestDocker(
      connection,
      async (abortSignal) => {
        const body = await openLogStream(connection, container.id, query, abortSignal);
        return readBody(addAbortSignal(abortSignal, body), info.Config.Tty, maxBytes);
      },
      signal,
    );
    return { container: container.name, text };
  } catch (error) {
    if (isNoSuchContainer(error)) return undefined;
    throw error;
  }
}

/**
 * Opens the logs endpoint as a stream. dockerode's `logs({follow: false})` would buffer the
 * whole answer (so a huge log is held in memory before any limit applies) and then try to
 * parse it as JSON, turning the log of a TTY container that prints `{"a":1}` into an object.
 */
function openLogStream(
  connection: DockerConnection,
  id: string,
  query: Record<string, string | number | boolean>,
  abortSignal: AbortSignal,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    connection.docker.modem.dial(
      {
        path: `/containers/${encodeURIComponent(id)}/logs?`,
        method: 'GET',
        isStream: true,
        abortSignal,
        statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
        options: query,
      },
      (error, result) => {
        if (error !== null) reject(withEngineMessage(error));
        else if (result instanceof Readable) resolve(result as IncomingMessage);
        else reject(new Error('the engine answered the logs request without a stream'));
      },
    );
  });
}

/**
 * In stream mode docker-modem leaves the engine's JSON body off the error and only puts its
 * message into the error text, `(HTTP code 501) unexpected - <message> `: put it back where
 * client.ts looks for it, so that people see the engine's words instead of "HTTP 501".
 */
function withEngineMessage(error: Error): Error {
  const json = 'json' in error ? error.json : undefined;
  if (engineStatus(error) === undefined || (json !== null && json !== undefined)) return error;
  const message = /^\(HTTP code \d+\) [^-]*- (.*)$/s.exec(error.message)?.[1]?.trim() ?? '';
  return message === '' ? error : Object.assign(error, { json: { message } });
}

async function readBody(body: Readable, tty: boolean, maxBytes: number): Promise<string> {
  const kept = new TailBuffer(maxBytes);
  // With a TTY the engine sends the raw output: there is one stream and no framing.
  const demuxer = tty ? undefined : new FrameDemuxer();
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (demuxer === undefined) kept.push(chunk);
    else for (const frame of demuxer.push(chunk)) kept.push(frame.data);
  }
  const { text, truncated } = kept.text();
  const lines = text.replace(/\r\n/g, '\n').replace(/\n$/, '');
  return truncated ? `${truncatedMark}\n${lines}` : lines;
}

function isNoSuchContainer(error: unknown): boolean {
  // requestDocker wraps the engine's error; the status stays on the cause.
  const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
  return engineStatus(cause) === 404 || engineStatus(error) === 404;
}
