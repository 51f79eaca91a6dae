/**
 * The connection to a Docker engine and the translation of its failures into the errors
 * people see. Everything else in this directory talks to the engine through here.
 */
import { readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
// Before dockerode: see the module's comment.
import './deferred-modules.ts';
import Docker from 'dockerode';
import type { DockerOptions } from 'dockerode';
import { UserError } from '../../core/errors.ts';
import { knownHostsFiles, knownHostsVerifier } from './known-hosts.ts';
import type { InFlight } from './in-flight.ts';

export const defaultDockerHost = 'unix:///var/run/docker.sock';

/** The Docker CLI's conventions for a TCP engine, plain and with TLS. */
const defaultTcpPort = 2375;
const defaultTlsPort = 2376;

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

export interface DockerEndpoint {
  /** The address as shown to people: `unix:///path`, `tcp://host:port`, `ssh://user@host:port`. */
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

/** Why an address is refused, in both languages (the code `docker-host-invalid`). */
const refusals = {
  relative: { ru: 'путь к сокету должен быть абсолютным', en: 'the socket path must be absolute' },
  invalid: { ru: 'это не адрес', en: 'not an address' },
  scheme: {
    ru: 'поддерживаются только unix://, tcp:// и ssh://',
    en: 'only unix://, tcp:// and ssh:// are supported',
  },
  noHost: { ru: 'не указан хост', en: 'no host name' },
  password: {
    ru: 'пароль в адресе не принимается, нужен ssh-agent',
    en: 'a password in the address is not accepted; use ssh-agent',
  },
  path: { ru: 'после хоста не должно быть пути', en: 'nothing may follow the host' },
} as const;

/**
 * Turns an engine address as the Docker CLI documents it into dockerode options:
 * `unix:///path`; `tcp://host[:port]` (`http://` is the same), with TLS when DOCKER_TLS_VERIFY
 * or DOCKER_CERT_PATH is set, its ca.pem, cert.pem and key.pem read from DOCKER_CERT_PATH
 * (default ~/.docker), default port 2376 with TLS and 2375 without; and `ssh://[user@]host[:port]`,
 * which runs `docker system dial-stdio` on the host over SSH (docker-modem's ssh agent, through
 * the pure-JavaScript ssh2), authenticated by the ssh-agent at SSH_AUTH_SOCK.
 * Every option is set, even to undefined, because docker-modem merges its own reading of
 * DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH under whatever it is given.
 * Anything else is a `docker-host-invalid` UserError naming the value (without a password).
 */
export function parseDockerHost(
  address: string,
  env: NodeJS.ProcessEnv = process.env,
): DockerEndpoint {
  const { host, options, tlsDir } = parseAddress(address, env);
  if (tlsDir === undefined) return { host, options };
  return {
    host,
    options: {
      ...options,
      ca: readTlsFile(tlsDir, 'ca.pem'),
      cert: readTlsFile(tlsDir, 'cert.pem'),
      key: readTlsFile(tlsDir, 'key.pem'),
    },
  };
}

/** parseDockerHost without reading the TLS files: where they are is in `tlsDir`. */
function parseAddress(
  address: string,
  env: NodeJS.ProcessEnv,
): DockerEndpoint & { readonly tlsDir?: string } {
  const base: DockerOptions = {
    socketPath: undefined,
    host: undefined,
    port: undefined,
    protocol: 'http',
    ca: undefined,
    cert: undefined,
    key: undefined,
    timeout: undefined,
    username: undefined,
    sshOptions: undefined,
  };
  const shown = displayAddress(address);
  if (address.startsWith('unix://')) {
    const path = address.slice('unix://'.length);
    if (!path.startsWith('/')) throw refused(shown, 'relative');
    return { host: `unix://${path}`, options: { ...base, socketPath: path } };
  }
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw refused(shown, 'invalid');
  }
  if (url.protocol !== 'tcp:' && url.protocol !== 'http:' && url.protocol !== 'ssh:') {
    throw refused(shown, 'scheme');
  }
  if (url.hostname === '') throw refused(shown, 'noHost');
  if (url.pathname !== '' && url.pathname !== '/') throw refused(shown, 'path');
  // URL keeps the brackets of an IPv6 literal; http.request and ssh2 want the bare address.
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (url.protocol === 'ssh:') {
    if (url.password !== '') throw refused(shown, 'password');
    const port = url.port === '' ? 22 : Number(url.port);
    const username = decodeURIComponent(url.username) || userInfo().username;
    return {
      host: `ssh://${username}@${url.hostname}:${port}`,
      options: {
        ...base,
        protocol: 'ssh',
        host: hostname,
        port,
        username,
        sshOptions: {
          agent: env['SSH_AUTH_SOCK'],
          hostVerifier: knownHostsVerifier(hostname, port, knownHostsFiles(env)),
        },
      },
    };
  }
  const tls = nonEmpty(env['DOCKER_TLS_VERIFY']) || nonEmpty(env['DOCKER_CERT_PATH']);
  const port = url.port === '' ? (tls ? defaultTlsPort : defaultTcpPort) : Number(url.port);
  const host = `tcp://${url.hostname}:${port}`;
  if (!tls) return { host, options: { ...base, host: hostname, port } };
  const dir = nonEmpty(env['DOCKER_CERT_PATH'])
    ? (env['DOCKER_CERT_PATH'] ?? '')
    : join(env['HOME'] ?? homedir(), '.docker');
  return { host, options: { ...base, protocol: 'https', host: hostname, port }, tlsDir: dir };
}

/**
 * Creates a client for the engine. Nothing is read or connected here: the address is parsed
 * and dockerode built at the first use of `docker`, so that a bad DOCKER_HOST is an error of
 * the commands that need the engine (and of `pes doctor`), never of `pes help`.
 */
export function connectDocker(options: DockerConnectionOptions = {}): DockerConnection {
  const address = resolveDockerHost(options.host, options.env);
  let docker: Docker | undefined;
  const connect = (): Docker => {
    if (docker !== undefined) return docker;
    const endpoint = parseDockerHost(address, options.env);
    try {
      docker = new Docker(endpoint.options);
    } catch (error) {
      // docker-modem reads DOCKER_HOST (and the files under DOCKER_CERT_PATH) from the
      // process environment even when told the address, and throws on what it cannot read.
      throw new UserError(
        'docker-host-invalid',
        {
          value: displayAddress(process.env['DOCKER_HOST'] ?? address),
          reasonRu: 'его не смог прочитать docker-modem',
          reasonEn: 'docker-modem could not read it',
        },
        { cause: error },
      );
    }
    return docker;
  };
  return {
    get docker(): Docker {
      return connect();
    },
    host: shownHost(address, options.env),
    timeoutMs: options.timeoutMs ?? defaultRequestTimeoutMs,
    pull: options.pull === true,
  };
}

/** The address as parsed when it can be, else as given (without a password). */
function shownHost(address: string, env: NodeJS.ProcessEnv = process.env): string {
  try {
    return parseAddress(address, env).host;
  } catch {
    return displayAddress(address);
  }
}

function nonEmpty(value: string | undefined): boolean {
  return value !== undefined && value !== '';
}

function readTlsFile(dir: string, name: string): Buffer {
  const file = join(dir, name);
  try {
    return readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    throw new UserError('docker-tls-files', { file, code }, { cause: error });
  }
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

/**
 * Runs one request that changes something on the engine (create, start, stop, rename,
 * remove, connect). Unlike requestDocker it is never aborted, neither by a cancel nor by the
 * time limit: an aborted request may still take effect on the engine later, when nobody
 * looks any more (in-flight.ts). A cancel is honoured between such requests, where the state
 * is known. The caller's wait is still bounded: after the time limit it gets
 * docker-unreachable while the request goes on, kept in `inFlight` so that a rollback can
 * wait for it to settle before it looks at the engine.
 */
export async function mutateDocker<T>(
  connection: DockerConnection,
  request: () => Promise<T>,
  inFlight?: InFlight,
): Promise<T> {
  const answer = request();
  // Kept (or at least watched) before anything can make the caller stop waiting for it.
  if (inFlight === undefined) answer.catch(() => undefined);
  else inFlight.keep(answer);
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new UserError('docker-unreachable', {
          socket: connection.host,
          reason: `no answer in ${connection.timeoutMs / 1000} s`,
        }),
      );
    }, connection.timeoutMs);
  });
  try {
    return await Promise.race([answer, limit]);
  } catch (error) {
    throw toDockerError(error, connection.host);
  } finally {
    clearTimeout(timer);
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
  const ssh = sshReason(error);
  if (ssh !== undefined) {
    return new UserError('docker-unreachable', { socket: host, reason: ssh }, { cause: error });
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

/**
 * ssh2 marks its own failures with a `level` (lib/client.js, lib/protocol/kex.js): the ones
 * people can act on are said in words; a socket error falls through to its errno code.
 */
function sshReason(error: Error): string | undefined {
  if (error.message.startsWith('Host denied')) {
    return 'the SSH host key is not in ~/.ssh/known_hosts (add it: ssh-keyscan, or ssh to the host once)';
  }
  const level = 'level' in error ? error.level : undefined;
  if (level === 'client-authentication') {
    return 'SSH authentication failed (the key must be in the ssh-agent at SSH_AUTH_SOCK)';
  }
  if (level === 'agent') return 'the ssh-agent at SSH_AUTH_SOCK cannot be used';
  if (level === 'client-timeout') return 'timed out';
  return undefined;
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

function refused(value: string, why: keyof typeof refusals): UserError {
  return new UserError('docker-host-invalid', {
    value,
    reasonRu: refusals[why].ru,
    reasonEn: refusals[why].en,
  });
}

/** An address fit to show: a password in it, if any, is left out. */
export function displayAddress(address: string): string {
  return address.replace(/^([a-z]+:\/\/)([^@/:]*):[^@/]*@/i, '$1$2@');
}
