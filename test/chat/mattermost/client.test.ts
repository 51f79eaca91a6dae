import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  MattermostClient,
  MattermostHttpError,
  MattermostNetworkError,
  parseRateLimit,
  parseRetryAfter,
} from '../../../src/chat/mattermost/client.ts';

const now = new Date('2026-01-01T00:00:00Z');

describe('Mattermost REST client', () => {
  it('reads Retry-After as seconds or an HTTP date, and X-RateLimit-*', () => {
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    const limit = parseRateLimit(
      new Headers({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '2' }),
      now,
    );
    expect(limit).toEqual({ remaining: 0, resetAt: new Date(now.getTime() + 2000) });
  });

  it('keeps the status and the wait of a 429 whose body is plain text', async () => {
    const fetch429: typeof fetch = () =>
      Promise.resolve(
        new Response('limit exceeded\n', {
          status: 429,
          headers: {
            'content-type': 'text/plain',
            'retry-after': '2',
            'x-ratelimit-remaining': '0',
          },
        }),
      );
    const client = new MattermostClient({
      url: 'http://127.0.0.1:1',
      token: 't',
      fetch: fetch429,
      now: () => now,
    });
    const error = await client.getMe().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MattermostHttpError);
    expect((error as MattermostHttpError).status).toBe(429);
    expect((error as MattermostHttpError).retryAfterMs).toBe(2000);
  });

  it('sends the token as a bearer and parses JSON', async () => {
    let auth = '';
    const fetchOk: typeof fetch = (_url, init) => {
      auth = new Headers(init?.headers).get('authorization') ?? '';
      return Promise.resolve(Response.json({ id: 'me', username: 'pes' }));
    };
    const client = new MattermostClient({
      url: 'http://127.0.0.1:1/',
      token: 'secret',
      fetch: fetchOk,
    });
    expect((await client.getMe()).username).toBe('pes');
    expect(auth).toBe('BEARER secret');
  });

  it('tells a refused connection (not delivered) from other network errors', async () => {
    // A port that was just free: nothing listens there, so the connection is refused.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const client = new MattermostClient({ url: `http://127.0.0.1:${port}`, token: 't' });
    const error = await client.getMe().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MattermostNetworkError);
    expect((error as MattermostNetworkError).maybeDelivered).toBe(false);
  });
});
