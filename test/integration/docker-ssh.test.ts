/**
 * DOCKER_HOST=ssh://user@host, end to end: docker-modem's ssh agent (through ssh2, in plain
 * JavaScript) logs in with a key from a real ssh-agent and runs `docker system dial-stdio`,
 * here the real docker CLI, which carries the engine API to the test engine. The SSH server is
 * ssh2's own, on 127.0.0.1 (no sshd on the test machines), admitting one user by public key,
 * with its signature checked, as sshd does; the host key is checked against known_hosts.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { timingSafeEqual } from 'node:crypto';
import { Server, utils, type Connection } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isUserError, type UserError } from '../../src/core/errors.ts';
import { connectDocker, requestDocker } from '../../src/platforms/docker/client.ts';
import { requireTestDocker } from '../helpers/docker.ts';
import { waitFor } from '../helpers/wait.ts';

const dir = mkdtempSync(join(tmpdir(), 'pes-ssh-'));
const agentSocket = join(dir, 'agent.sock');
let agent: ChildProcess;
let server: Server;
let port: number;
let hostKeyLine: string;

function keygen(path: string): void {
  const made = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path]);
  if (made.status !== 0) throw new Error(`ssh-keygen: ${made.stderr.toString()}`);
}

/** sshd's public key check: the key is the authorized one, and it signed the session. */
function admit(client: Connection, authorized: ReturnType<typeof utils.parseKey>): void {
  if (authorized instanceof Error) throw authorized;
  // A client that refuses the host key hangs up during the key exchange: sshd logs it.
  client.on('error', () => undefined);
  client.on('authentication', (ctx) => {
    if (ctx.method === 'publickey' && ctx.username === 'ops') {
      const listed = authorized.getPublicSSH();
      const same =
        ctx.key.algo === authorized.type &&
        ctx.key.data.length === listed.length &&
        timingSafeEqual(ctx.key.data, listed);
      // Without a signature the client only asks whether the key would do.
      const signed =
        ctx.signature === undefined ||
        authorized.verify(ctx.blob ?? Buffer.alloc(0), ctx.signature, ctx.hashAlgo);
      if (same && signed) {
        ctx.accept();
        return;
      }
    }
    ctx.reject(['publickey']);
  });
  client.on('ready', () => {
    client.on('session', (acceptSession) => {
      const session = acceptSession();
      session.on('exec', (acceptExec, rejectExec, info) => {
        if (info.command !== 'docker system dial-stdio') {
          rejectExec();
          return;
        }
        const stream = acceptExec();
        const dial = spawn('docker', ['system', 'dial-stdio'], {
          env: { PATH: process.env['PATH'], DOCKER_HOST: process.env['DOCKER_HOST'] },
        });
        stream.pipe(dial.stdin);
        dial.stdout.pipe(stream);
        dial.on('close', (code) => {
          stream.exit(code ?? 1);
          stream.end();
        });
        stream.on('close', () => dial.kill());
      });
    });
  });
}

function sshEnv(knownHosts: string): NodeJS.ProcessEnv {
  const home = mkdtempSync(join(dir, 'home-'));
  spawnSync('mkdir', ['-p', join(home, '.ssh')]);
  writeFileSync(join(home, '.ssh', 'known_hosts'), knownHosts);
  return { HOME: home, SSH_AUTH_SOCK: agentSocket };
}

async function version(env: NodeJS.ProcessEnv, user = 'ops'): Promise<unknown> {
  const connection = connectDocker({ host: `ssh://${user}@127.0.0.1:${port}`, env });
  return requestDocker(connection, () => connection.docker.version());
}

function reasonOf(error: unknown): string {
  expect(isUserError(error)).toBe(true);
  const userError = error as UserError;
  expect(userError.code).toBe('docker-unreachable');
  return String(userError.params['reason']);
}

beforeAll(async () => {
  requireTestDocker();
  keygen(join(dir, 'host'));
  keygen(join(dir, 'user'));
  agent = spawn('ssh-agent', ['-D', '-a', agentSocket], { stdio: 'ignore' });
  await waitFor(() => existsSync(agentSocket), 'the ssh-agent socket');
  const added = spawnSync('ssh-add', [join(dir, 'user')], {
    env: { ...process.env, SSH_AUTH_SOCK: agentSocket },
  });
  if (added.status !== 0) throw new Error(`ssh-add: ${added.stderr.toString()}`);
  const authorized = utils.parseKey(readFileSync(join(dir, 'user.pub')));
  server = new Server({ hostKeys: [readFileSync(join(dir, 'host'))] }, (client) => {
    admit(client, authorized);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  const [type, key] = readFileSync(join(dir, 'host.pub'), 'utf8').split(' ');
  hostKeyLine = `[127.0.0.1]:${port} ${type} ${key}\n`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  agent.kill();
  rmSync(dir, { recursive: true, force: true });
});

describe('DOCKER_HOST=ssh://', () => {
  it('reaches the engine through ssh and docker system dial-stdio', async () => {
    const direct = requireTestDocker();
    const expected = (await direct.docker.version()).ApiVersion;
    const answer = (await version(sshEnv(hostKeyLine))) as { ApiVersion?: string };
    expect(answer.ApiVersion).toBe(expected);
  });

  it('accepts a hashed known_hosts line (ssh-keygen -H) too', async () => {
    const env = sshEnv(hostKeyLine);
    const file = join(env['HOME'] ?? '', '.ssh', 'known_hosts');
    expect(spawnSync('ssh-keygen', ['-H', '-f', file]).status).toBe(0);
    expect(readFileSync(file, 'utf8')).toMatch(/^\|1\|/);
    expect(await version(env)).toHaveProperty('ApiVersion');
  });

  it('refuses a host whose key is not in known_hosts, or is revoked', async () => {
    const other = join(dir, 'other');
    keygen(other);
    const [type, key] = readFileSync(`${other}.pub`, 'utf8').split(' ');
    for (const knownHosts of [
      '',
      `[127.0.0.1]:${port} ${type} ${key}\n`,
      `${hostKeyLine}@revoked * ${hostKeyLine.split(' ').slice(1).join(' ')}`,
    ]) {
      const error = await version(sshEnv(knownHosts)).catch((e: unknown) => e);
      expect(reasonOf(error)).toContain('known_hosts');
    }
  });

  it('says so when the ssh login is refused', async () => {
    const error = await version(sshEnv(hostKeyLine), 'intruder').catch((e: unknown) => e);
    expect(reasonOf(error)).toBe(
      'SSH authentication failed (the key must be in the ssh-agent at SSH_AUTH_SOCK)',
    );
  });
});
