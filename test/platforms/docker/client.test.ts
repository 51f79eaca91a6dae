import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/core/errors.ts';
import { InFlight } from '../../../src/platforms/docker/in-flight.ts';
import {
  connectDocker,
  mutateDocker,
  parseDockerHost,
  requestDocker,
  resolveDockerHost,
  toDockerError,
} from '../../../src/platforms/docker/client.ts';

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`connect ${code} /some/where`), { code });
}

/** The shape docker-modem gives an HTTP error status from the engine. */
function engineError(statusCode: number, json: unknown): Error {
  return Object.assign(new Error(`(HTTP code ${statusCode}) unexpected`), { statusCode, json });
}

function catching(run: () => unknown): unknown {
  try {
    return run();
  } catch (error) {
    return error;
  }
}

function userError(value: unknown): UserError {
  expect(value).toBeInstanceOf(UserError);
  return value as UserError;
}

describe('resolveDockerHost', () => {
  it('prefers the configuration, then DOCKER_HOST, then the default socket', () => {
    const env = { DOCKER_HOST: 'unix:///env.sock' };
    expect(resolveDockerHost('tcp://10.0.0.1:2375', env)).toBe('tcp://10.0.0.1:2375');
    expect(resolveDockerHost(undefined, env)).toBe('unix:///env.sock');
    expect(resolveDockerHost(undefined, {})).toBe('unix:///var/run/docker.sock');
    expect(resolveDockerHost('', { DOCKER_HOST: '' })).toBe('unix:///var/run/docker.sock');
  });
});

describe('parseDockerHost', () => {
  it('reads unix sockets and tcp addresses', () => {
    expect(parseDockerHost('unix:///run/d.sock')).toMatchObject({
      host: 'unix:///run/d.sock',
      options: { socketPath: '/run/d.sock', host: undefined, protocol: 'http' },
    });
    expect(parseDockerHost('tcp://127.0.0.1:2375')).toMatchObject({
      host: 'tcp://127.0.0.1:2375',
      options: { socketPath: undefined, host: '127.0.0.1', port: 2375, protocol: 'http' },
    });
    expect(parseDockerHost('tcp://docker.local').options.port).toBe(2375);
    expect(parseDockerHost('tcp://[::1]:2375').options.host).toBe('::1');
  });

  it('reads tcp:// with TLS from DOCKER_TLS_VERIFY and DOCKER_CERT_PATH', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pes-certs-'));
    for (const name of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(dir, name), name);
    const endpoint = parseDockerHost('tcp://docker.local', {
      DOCKER_TLS_VERIFY: '1',
      DOCKER_CERT_PATH: dir,
    });
    expect(endpoint.host).toBe('tcp://docker.local:2376');
    expect(endpoint.options).toMatchObject({ protocol: 'https', host: 'docker.local', port: 2376 });
    expect(endpoint.options.ca).toEqual(Buffer.from('ca.pem'));
    expect(endpoint.options.cert).toEqual(Buffer.from('cert.pem'));
    expect(endpoint.options.key).toEqual(Buffer.from('key.pem'));
    // Without DOCKER_CERT_PATH the files are the Docker CLI's default, ~/.docker.
    const home = mkdtempSync(join(tmpdir(), 'pes-home-'));
    const error = userError(
      catching(() => parseDockerHost('tcp://h:2376', { DOCKER_TLS_VERIFY: '1', HOME: home })),
    );
    expect(error.code).toBe('docker-tls-files');
    expect(error.params).toEqual({ file: join(home, '.docker', 'ca.pem'), code: 'ENOENT' });
    // No TLS variable: plain HTTP, whatever the port.
    expect(parseDockerHost('tcp://h:2376', {}).options.protocol).toBe('http');
  });

  it('reads ssh://user@host[:port], authenticated by the ssh-agent', () => {
    expect(parseDockerHost('ssh://ops@box.example:2222', { SSH_AUTH_SOCK: '/run/agent' })).toEqual({
      host: 'ssh://ops@box.example:2222',
      options: expect.objectContaining({
        protocol: 'ssh',
        host: 'box.example',
        port: 2222,
        username: 'ops',
        sshOptions: { agent: '/run/agent', hostVerifier: expect.any(Function) as unknown },
        socketPath: undefined,
      }) as unknown,
    });
    // Without a user, ssh's own default: the local user name.
    expect(parseDockerHost('ssh://box', {}).host).toBe(`ssh://${userInfo().username}@box:22`);
  });

  it.each([
    ['unix://relative.sock', 'unix://relative.sock', 'the socket path must be absolute'],
    ['npipe:////./pipe/docker_engine', 'npipe:////./pipe/docker_engine', 'only unix://'],
    ['fd://', 'fd://', 'only unix://'],
    ['docker.local:2375', 'docker.local:2375', 'only unix://'],
    ['/var/run/docker.sock', '/var/run/docker.sock', 'not an address'],
    ['tcp://', 'tcp://', 'no host name'],
    ['tcp://h:2375/v1.41', 'tcp://h:2375/v1.41', 'nothing may follow the host'],
    ['ssh://admin:hunter2@box', 'ssh://admin@box', 'a password in the address is not accepted'],
  ])('refuses %s as a config error naming it', (value, shown, reason) => {
    const error = userError(catching(() => parseDockerHost(value, {})));
    expect(error.code).toBe('docker-host-invalid');
    expect(error.kind).toBe('usage');
    expect(error.text('en')).toContain(`"${shown}"`);
    expect(error.text('en')).toContain(reason);
    expect(error.text('ru')).toContain(`«${shown}»`);
    expect(error.text('en')).not.toContain('hunter2');
  });

  it('builds nothing until the engine is used: a bad address fails there, not before', () => {
    const bad = connectDocker({ host: 'bogus' });
    expect(bad.host).toBe('bogus');
    expect(userError(catching(() => bad.docker)).code).toBe('docker-host-invalid');
    const ssh = connectDocker({ host: 'ssh://ops@127.0.0.1:1' });
    expect(ssh.host).toBe('ssh://ops@127.0.0.1:1');
    expect(ssh.docker.modem).toMatchObject({ protocol: 'ssh', host: '127.0.0.1', port: 1 });
  });

  it('keeps DOCKER_HOST from overriding an explicit address', async () => {
    // docker-modem merges its own reading of the environment under the options it is given.
    const previous = process.env['DOCKER_HOST'];
    process.env['DOCKER_HOST'] = 'tcp://127.0.0.1:1';
    try {
      const connection = connectDocker({ host: 'unix:///nonexistent/pes.sock' });
      const error = await requestDocker(connection, (abortSignal) =>
        connection.docker.listContainers({ abortSignal }),
      ).catch((e: unknown) => e);
      expect(userError(error).params).toEqual({
        socket: 'unix:///nonexistent/pes.sock',
        reason: 'no such socket',
      });
    } finally {
      if (previous === undefined) delete process.env['DOCKER_HOST'];
      else process.env['DOCKER_HOST'] = previous;
    }
  });
});

describe('toDockerError', () => {
  it.each([
    ['ENOENT', 'no such socket'],
    ['ECONNREFUSED', 'connection refused'],
    ['EACCES', 'permission denied'],
    ['ETIMEDOUT', 'timed out'],
    ['ECONNRESET', 'connection reset'],
  ])('maps %s to docker-unreachable: %s', (code, reason) => {
    const error = userError(toDockerError(errno(code), 'unix:///d.sock'));
    expect(error.code).toBe('docker-unreachable');
    expect(error.params).toEqual({ socket: 'unix:///d.sock', reason });
  });

  it("maps an engine error to docker-error with the engine's message", () => {
    const error = userError(toDockerError(engineError(409, { message: 'Conflict. x' }), 'h'));
    expect(error.code).toBe('docker-error');
    expect(error.params).toEqual({ reason: 'Conflict. x' });
    expect(userError(toDockerError(engineError(500, Buffer.from('')), 'h')).params).toEqual({
      reason: 'HTTP 500',
    });
  });

  it('leaves other errors alone', () => {
    const bug = new TypeError('x is undefined');
    expect(toDockerError(bug, 'h')).toBe(bug);
    expect(toDockerError(errno('EMFILE'), 'h')).toBeInstanceOf(Error);
    expect(toDockerError(errno('EMFILE'), 'h')).not.toBeInstanceOf(UserError);
  });
});

describe('requestDocker', () => {
  const connection = { ...connectDocker({ host: 'unix:///x.sock' }), timeoutMs: 50 };

  function hang(signal: AbortSignal): Promise<never> {
    return new Promise((_, reject) => {
      signal.addEventListener('abort', () => {
        reject(new Error('aborted'));
      });
    });
  }

  it('gives up on an engine that does not answer', async () => {
    const error = userError(await requestDocker(connection, hang).catch((e: unknown) => e));
    expect(error.code).toBe('docker-unreachable');
    expect(error.params['reason']).toBe('no answer in 0.05 s');
  });

  it("passes the caller's abort on unchanged", async () => {
    const controller = new AbortController();
    const reason = new Error('cancelled by the user');
    const pending = requestDocker(connection, hang, controller.signal);
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });
});

describe('mutateDocker', () => {
  const connection = connectDocker({ host: 'unix:///nonexistent.sock', timeoutMs: 50 });

  it('stops waiting after the time limit, but keeps the change until it settles', async () => {
    let finish: (value: string) => void = () => undefined;
    const change = new Promise<string>((resolve) => (finish = resolve));
    const inFlight = new InFlight();
    const pending = mutateDocker(connection, () => change, inFlight);
    await expect(pending).rejects.toMatchObject({
      code: 'docker-unreachable',
      params: { reason: 'no answer in 0.05 s' },
    });
    const settled = inFlight.settle(60_000);
    finish('made');
    await expect(settled).resolves.toBe(true);
  });

  it('says when a change has not settled within the limit', async () => {
    const inFlight = new InFlight();
    const never = new Promise<never>(() => undefined);
    await expect(mutateDocker(connection, () => never, inFlight)).rejects.toBeInstanceOf(UserError);
    await expect(inFlight.settle(20)).resolves.toBe(false);
  });

  it('passes an engine error on as the error people read', async () => {
    const engine = Object.assign(new Error('(HTTP code 409) conflict'), {
      statusCode: 409,
      json: { message: 'Conflict. The container name is already in use' },
    });
    await expect(mutateDocker(connection, () => Promise.reject(engine))).rejects.toMatchObject({
      code: 'docker-error',
      params: { reason: 'Conflict. The container name is already in use' },
    });
  });
});
