/**
 * `GET /metrics` in Prometheus' text exposition format (version 0.0.4), for a scrape with
 * `authorization: {credentials: …}` (a bearer token). Mounted only when the configuration
 * names a token: the figures say how busy the bot is and which rooms it serves.
 */
import { authorized } from '../alerts/auth.ts';
import type { Route } from './http.ts';

/** One family of metrics, already in exposition format (HELP and TYPE lines included). */
export type MetricsSource = () => string;

export function metricsRoute(token: string, sources: readonly MetricsSource[]): Route {
  const credentials = { kind: 'bearer', token } as const;
  return {
    methods: ['GET', 'HEAD'],
    path: '/metrics',
    handle: (req, res) => {
      if (!authorized(req.headers.authorization, credentials)) {
        res.writeHead(401, { 'www-authenticate': 'Bearer', 'content-type': 'text/plain' });
        res.end('unauthorized\n');
        return Promise.resolve();
      }
      const text = sources.map((source) => source()).join('');
      res.writeHead(200, {
        'content-type': 'text/plain; version=0.0.4; charset=utf-8',
        'content-length': Buffer.byteLength(text),
      });
      res.end(req.method === 'HEAD' ? undefined : text);
      return Promise.resolve();
    },
  };
}
