/** readBody on a real server: limits with and without Content-Length, and a client that leaves. */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BodyTooLarge, readBody } from '../../src/server/body.ts';

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) =>
    server === undefined ? resolve() : server.close(() => resolve()),
  );
  server = undefined;
});

/** A server whose handler reports what readBody did with each request. */
async function serve(limit: number): Promise<{ port: number; outcome: Promise<unknown> }> {
  let settle: (value: unknown) => void = () => undefined;
  const outcome = new Promise<unknown>((resolve) => (settle = resolve));
  server = createServer((req, res) => {
    readBody(req, limit).then(
      (body) => {
        settle(body.toString());
        res.end('ok');
      },
      (error: unknown) => {
        settle(error);
        res.statusCode = 413;
        res.end();
      },
    );
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, outcome };
}

function post(port: number, chunks: readonly string[], options: { abort?: boolean } = {}): void {
  const req = request({ port, host: '127.0.0.1', method: 'POST' }, (res) => res.resume());
  req.on('error', () => undefined);
  for (const chunk of chunks) req.write(chunk);
  if (options.abort === true) setTimeout(() => req.destroy(), 50);
  else req.end();
}

describe('readBody', () => {
  it('returns a chunked body within the limit whole', async () => {
    const { port, outcome } = await serve(100);
    post(port, ['hello ', 'chunked ', 'world']);
    expect(await outcome).toBe('hello chunked world');
  });

  it('refuses a chunked body (no Content-Length) as soon as it passes the limit', async () => {
    const { port, outcome } = await serve(10);
    post(port, ['0123456789', 'x']);
    expect(await outcome).toBeInstanceOf(BodyTooLarge);
  });

  it('fails, rather than waiting for ever, when the client leaves mid-body', async () => {
    const { port, outcome } = await serve(1000);
    post(port, ['partial'], { abort: true });
    expect(await outcome).toBeInstanceOf(Error);
    expect(await outcome).not.toBeInstanceOf(BodyTooLarge);
  });
});
