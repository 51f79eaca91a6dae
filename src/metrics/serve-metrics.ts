/**
 * /metrics for `pes serve`: made before the app (the core counts commands and jobs from the
 * start, and the Mattermost socket is opened through the watch), attached once the state
 * and the adapters exist. Loaded only when `server.metricsToken` is set.
 */
import type { App } from '../app.ts';
import type { AlertCounters } from '../alerts/counters.ts';
import { packageVersion } from '../cli/version.ts';
import type { BotMetrics } from '../core/metrics-port.ts';
import { Metrics } from './metrics.ts';
import { SocketWatch } from './socket-watch.ts';

export interface ServeMetrics {
  readonly registry: Metrics['registry'];
  /** For createApp. */
  readonly appOptions: {
    readonly metrics: BotMetrics;
    readonly mattermostSocket: (url: string) => WebSocket;
  };
  attach(app: App, alerts: AlertCounters | undefined): void;
}

/** matrix-js-sdk's sync states while its /sync long-poll answers (listener.ts reads the same). */
const syncing: readonly (string | null)[] = ['PREPARED', 'SYNCING'];

export function serveMetrics(version = packageVersion()): ServeMetrics {
  const metrics = new Metrics(version);
  const socket = new SocketWatch();
  return {
    registry: metrics.registry,
    appOptions: { metrics: metrics.bot, mattermostSocket: socket.open },
    attach(app, alerts) {
      const { matrix } = app;
      metrics.attach({
        db: app.db,
        catalog: app.config.catalog,
        ...(alerts === undefined ? {} : { alerts }),
        connections: {
          ...(app.mattermost === undefined ? {} : { mattermost: () => socket.up }),
          ...(matrix === undefined
            ? {}
            : { matrix: () => syncing.includes(matrix.client.getSyncState()) }),
        },
      });
    },
  };
}
