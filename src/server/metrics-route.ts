/**
 * `GET /metrics` in Prometheus' text exposition format, as prom-client writes it (src/metrics),
 * for a scrape with `authorization: {credentials: …}` (a bearer token, compared in constant
 * time). Mounted only when the configuration names a token: the figures say how busy the bot
 * is and which rooms and services it serves. A missing or wrong token gets 401 and nothing
 * else.
 */
import { authorized } from '../alerts/auth.ts';
import type { Route } from './http.ts';

/** What a scrape reads: prom-client's Registry has this shape. */
export interface Exposition {
  readonly contentType: string;
  metrics(): Promise<string>;
}

export function metricsRoute(token: string, exposition: Exposition): Route {
  const credentials = { kind: 'bearer', token } as const;
  return {
    methods: ['GET', 'HEAD'],
    path: '/metrics',
    handle: async (req, res) => {
      if (!authorized(req.headers.authorization, credentials)) {
        res.writeHead(401, { 'www-authenticate': 'Bearer', 'content-type': 'text/plain' });
        res.end('unauthorized\n');
        return;
      }
      const text = await exposition.metrics();
      res.writeHead(200, {
        'content-type': exposition.contentType,
        'content-length': Buffer.byteLength(text),
      });
      res.end(req.method === 'HEAD' ? undefined : text);
    },
  };
}
