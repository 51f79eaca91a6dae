/**
 * The connection to a Docker engine and the translation of its failures into the errors
 * people see. Everything else in this directory talks to the engine through here.
 */
import Docker from 'dockerode';
import type { DockerOptions } from 'dockerode';
import { UserError } from '../../core/errors.ts';

export const defaultDockerHost = 'unix:///var/run/docker.sock';

/** The Docker CLI's convention for a plain (non-TLS) TCP engine. */
const defaultTcpPort = 2375;

/** One request that takes longer than this counts as an engine that does not answer. */
export const defaultRequestTimeoutMs = 15_000;

export interface DockerConnection {
  readonly docker: Docker;
  /** Where the engine is, as shown to people: `unix:///path` or `tcp://host:port`. */
  readonly host: string;
  readonly timeoutMs: number;
  /** May `update` pull an image that is not present locally (`docker.pull`)? Default no. */
  readonly pull?: boolean | undefined;
}

export interface DockerConnectionOptions {
  /** From the configuration (`docker.host`); else DOCKER_HOST; else the default socket. */
  readonly host?: string | undefined;
  readonly timeoutMs?: number | undefined;
  readonly env?: NodeJS.ProcessEnv;
  readonly pull?: boolean | undefined;
}

interface DockerEndpoint {
  readonly host: string;
  readonly options: DockerOptions;
}

/** Picks the engine address: the configured one, else DOCKER_HOST, else the default socket. */
export function resolveDockerHost(
  configured?: string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const fromEnv = env['DOCKER_HOST'];
  if (configured !== undefined && configured !== '') return configured;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return defaultDockerHost;
}

/**
 * Turns `unix:///path` or `tcp://host:port` (`http://` is the same) into dockerode options.
 * Every option is set, even to undefined, because docker-modem merges its own reading of
 * DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH under whatever it is given.
 */
export function parseDockerHost(address: string): DockerEndpoint {
  const base: DockerOptions = {
    socketPath: undefined,
    host: undefined,
    port: undefined,
    protocol: 'http',
    ca: undefined,
    cert: undefined,
    key: undefined,
    timeout: undefined,
  };
  if (address.startsWith('unix://')) {
    const path = address.slice('unix://'.length);
    if (!path.startsWith('/')) throw unsupported(address, 'the socket path must be absolute');
    return { host: `unix://${path}`, options: { ...base, socketPath: path } };
  }
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw unsupported(displayAddress(address), 'not a valid address');
  }
  if (url.protocol !== 'tcp:' && url.protocol !== 'http:') {
    throw unsupported(displayAddress(address), 'only unix:// and tcp:// are supported');
  }
  if (url.hostname === '') throw unsupported(displayAddress(address), 'no host name');
  const port = url.port === '' ? defaultTcpPort : Number(url.port);
  // URL keeps the brackets of an IPv6 literal; http.request wants the bare address.
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    host: `tcp://${url.hostname}:${port}`,
    options: { ...base, host: hostname, port },
  };
}

/** Creates a client for the engine; it does not connect until the first request. */
export function connectDocker(options: DockerConnectionOptions = {}): DockerConnection {
  const endpoint = parseDockerHost(resolveDockerHost(options.host, options.env));
  let docker: Docker;
  try {
    docker = new Docker(endpoint.options);
  } catch (error) {
    // docker-modem reads DOCKER_HOST even when told the address, and throws on a bad one.
    throw new UserError(
      'docker-unreachable',
      { socket: endpoint.host, reason: 'DOCKER_HOST is not a valid address' },
      { cause: error },
    );
  }
  return {
    docker,
    host: endpoint.host,
    timeoutMs: options.timeoutMs ?? defaultRequestTimeoutMs,
    pull: options.pull === true,
  };
}

/**
 * Runs one request with the connection's time limit and the caller's signal, and turns
 * transport and engine failures into UserErrors. A caller's abort is passed on as is.
 */
export async function requestDocker<T>(
  connection: DockerConnection,
  request: (signal: AbortSignal) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  signal?.throwIfAborted();
  const timeout = AbortSignal.timeout(connection.timeoutMs);
  const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
  try {
    return await request(combined);
  } catch (error) {
    if (signal?.aborted === true) throw signal.reason;
    if (timeout.aborted) {
      throw new UserError(
        'docker-unreachable',
        { socket: connection.host, reason: `no answer in ${connection.timeoutMs / 1000} s` },
        { cause: error },
      );
    }
    throw toDockerError(error, connection.host);
  }
}

const socketReasons: Readonly<Record<string, string>> = {
  ENOENT: 'no such socket',
  ENOTDIR: 'no such socket',
  ECONNREFUSED: 'connection refused',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ETIMEDOUT: 'timed out',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  ENOTFOUND: 'unknown host',
  EAI_AGAIN: 'unknown host',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

/**
 * Maps an error from dockerode: socket-level failures → docker-unreachable, an HTTP error
 * status from the engine → docker-error with the engine's own message. Anything else is
 * returned unchanged (it is a bug or a cancellation, not something to explain to people).
 */
export function toDockerError(error: unknown, host: string): unknown {
  if (!(error instanceof Error) || error instanceof UserError) return error;
  const status = engineStatus(error);
  if (status !== undefined) {
    return new UserError(
      'docker-error',
      { reason: engineMessage(error, status) },
      { cause: error },
    );
  }
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== undefined && code in socketReasons) {
    return new UserError(
      'docker-unreachable',
      { socket: host, reason: socketReasons[code] ?? code },
      { cause: error },
    );
  }
  return error;
}

/** The HTTP status of an engine error (docker-modem sets `statusCode`), if it is one. */
export function engineStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('statusCode' in error)) return undefined;
  const status = error.statusCode;
  return typeof status === 'number' ? status : undefined;
}

function engineMessage(error: Error, status: number): string {
  // docker-modem puts the engine's JSON body (`{"message": …}`) on `json`.
  const body = 'json' in error ? error.json : undefined;
  if (typeof body === 'object' && body !== null && 'message' in body) {
    const message = body.message;
    if (typeof message === 'string' && message !== '') return message;
  }
  return `HTTP ${status}`;
}

function unsupported(address: string, reason: string): UserError {
  return new UserError('docker-unreachable', { socket: address, reason });
}

/** An address fit to show: user name and password, if any, are left out. */
function displayAddress(address: string): string {
  return address.replace(/^([a-z]+:\/\/)[^@/]*@/i, '$1');
}
