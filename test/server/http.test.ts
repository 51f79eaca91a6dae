import { afterEach, describe, expect, it } from 'vitest';
import { startHttpServer } from '../../src/server/http.ts';

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

async function start(ready: boolean) {
  const errors: unknown[] = [];
  const server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    onError: (e) => errors.push(e),
    readiness: {
      check: () =>
        ready ? Promise.resolve({ state: 'ok' }) : Promise.reject(new Error('db gone')),
    },
  });
  close = () => server.close();
  return { base: `http://127.0.0.1:${server.port}`, errors };
}

describe('HTTP server', () => {
  it('answers liveness and readiness', async () => {
    const { base } = await start(true);
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', state: 'ok' });
  });

  it('is not ready when its state store fails, and says nothing more', async () => {
    const { base } = await start(false);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.text()).toBe('{"status":"not-ready"}');
  });

  it('refuses unknown paths and methods', async () => {
    const { base } = await start(true);
    expect((await fetch(`${base}/admin`)).status).toBe(404);
    const post = await fetch(`${base}/healthz`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });
});
