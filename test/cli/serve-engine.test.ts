/**
 * `pes serve` when the Docker engine cannot be reached at start: one line in the person's
 * language, no stack trace and no JSON line for it, the bot keeps running, and /readyz tells
 * the engine's state in its body. With the test engine it says nothing and /readyz has `ok`.
 */
import { describe, expect, it } from 'vitest';
import { tempWorkdir } from '../helpers/cli.ts';
import { requireTestDocker } from '../helpers/docker.ts';
import { freePort, startServe } from '../helpers/serve.ts';
import { waitFor } from '../helpers/wait.ts';

const config = (locale: string, dockerHost?: string): string => `
locale: ${locale}
state: { path: state/pes.db }
${dockerHost === undefined ? '' : `docker: { host: '${dockerHost}' }`}
services:
  moodle:
    containers: { compose: { project: pes, service: moodle } }
`;

const missing = 'unix:///nonexistent/pes/docker.sock';

describe('pes serve and the Docker engine', () => {
  it.each([
    [
      'en',
      `Cannot reach the Docker engine at ${missing}: no such socket. The bot is running; commands on services will fail until the engine is back. To check the setup: pes doctor`,
    ],
    [
      'ru',
      `Docker недоступен по адресу ${missing}: no such socket. Бот работает; команды для сервисов будут отвечать ошибкой, пока Docker недоступен. Проверить настройку: pes doctor`,
    ],
  ])(
    'an engine that is not there: one line (%s), running on, /readyz says so',
    async (locale, line) => {
      const w = tempWorkdir(config(locale, missing));
      const port = await freePort();
      const { child, output, exited } = startServe(w, { PES_PORT: String(port) });
      await waitFor(() => output().includes('pes doctor'), 'the line about the engine');
      expect(output().split('\n')).toContain(line);

      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({
        status: 'ready',
        state: 'ok',
        docker: 'unreachable',
        dockerHost: missing,
        dockerDetail: 'no such socket',
      });
      expect(child.exitCode).toBe(null);

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      // The whole run said it once, in that line: no warning, error or stack trace about it.
      const all = output();
      expect(all.split(missing).length - 1).toBe(1);
      expect(all).not.toMatch(/"level":"(warn|error)"/);
      expect(all).not.toMatch(/UserError|\n\s+at /);
    },
  );

  it('a bad DOCKER_HOST is said the same way, naming the value', async () => {
    const w = tempWorkdir(config('en'));
    const port = await freePort();
    const { child, output, exited } = startServe(w, {
      PES_PORT: String(port),
      DOCKER_HOST: 'npipe:////./pipe/docker_engine',
    });
    await waitFor(() => output().includes('pes doctor'), 'the line about the engine');
    expect(output()).toContain(
      'The Docker address "npipe:////./pipe/docker_engine" cannot be used: only unix://, tcp:// and ssh:// are supported. The bot is running;',
    );
    const body = (await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()) as {
      docker: string;
    };
    expect(body.docker).toBe('unreachable');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output()).not.toMatch(/"level":"(warn|error)"|UserError/);
  });

  it('the test engine: nothing said about it, /readyz has ok and its version', async () => {
    requireTestDocker();
    const w = tempWorkdir(config('en'));
    const port = await freePort();
    const { child, output, exited } = startServe(w, {
      PES_PORT: String(port),
      DOCKER_HOST: process.env['DOCKER_HOST'],
    });
    await waitFor(() => output().includes('listening on'), 'the server to listen');
    const body = (await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()) as Record<
      string,
      string
    >;
    expect(body['docker']).toBe('ok');
    expect(body['dockerHost']).toBe(process.env['DOCKER_HOST']);
    expect(body['dockerDetail']).toMatch(/^Docker \S+, API 1\.\d+$/);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output()).not.toContain('pes doctor');
  });
});
