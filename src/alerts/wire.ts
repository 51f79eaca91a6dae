/**
 * The alert path, wired for `pes serve`: the receiver route and, when Mattermost or Matrix is
 * configured, the delivery into their outboxes. Without either the notifications are still
 * stored (and answered 200), and delivered once one is configured.
 */
import type { DatabaseSync } from 'node:sqlite';
import { actionsPath, type MattermostAdapter } from '../chat/mattermost/adapter.ts';
import type { MattermostSettings } from '../chat/mattermost/types.ts';
import type { MatrixAdapter } from '../chat/matrix/adapter.ts';
import type { Bot } from '../core/bot.ts';
import type { Logger } from '../core/logger.ts';
import { alertmanagerRoutes } from '../server/alertmanager-routes.ts';
import type { Route } from '../server/http.ts';
import { SqliteAlertInbox, SqliteAlertThreads } from '../store/alerts-repo.ts';
import { SqliteOutboxStore } from '../store/outbox-repo.ts';
import type { AlertsConfig } from './config.ts';
import { AlertCounters } from './counters.ts';
import { AlertDelivery } from './delivery.ts';
import { MatrixAlertWriter } from './matrix-writer.ts';
import type { AlertsHub, DeliveryHooks } from './port.ts';

export interface AlertsWiring {
  readonly routes: Route[];
  readonly counters: AlertCounters;
  /** Undefined without Mattermost (nothing to deliver to yet). */
  readonly delivery: AlertDelivery | undefined;
}

export function wireAlerts(options: {
  readonly config: AlertsConfig;
  readonly db: DatabaseSync;
  readonly bot: Bot;
  readonly mattermost: MattermostAdapter | undefined;
  readonly mattermostSettings: MattermostSettings | undefined;
  /** Delivers to `matrix:` rooms when configured. */
  readonly matrix?: MatrixAdapter | undefined;
  /** The bot's alerts port: the Acknowledge and Silence buttons reach the delivery through it. */
  readonly hub: AlertsHub;
  readonly log: Logger;
}): AlertsWiring {
  const { config, db, log } = options;
  const counters = new AlertCounters();
  const inbox = new SqliteAlertInbox(db);
  const mm = options.mattermost;
  const mx = options.matrix;
  const settings = options.mattermostSettings;
  const outbox = new SqliteOutboxStore(db);
  const delivery =
    (mm === undefined || settings === undefined) && mx === undefined
      ? undefined
      : new AlertDelivery({
          config,
          db,
          inbox,
          threads: new SqliteAlertThreads(db),
          outbox,
          kick: () => {
            mm?.dispatcher.kick();
            mx?.dispatcher.kick();
          },
          ...(mx === undefined ? {} : { matrix: new MatrixAlertWriter(outbox) }),
          locale: (room) => options.bot.localeFor({ room: { id: room } }),
          timeZone: options.bot.catalog.timeZone,
          binding: (channel) =>
            settings?.publicUrl === undefined || settings.actionSecret === undefined
              ? undefined
              : {
                  url: settings.publicUrl + actionsPath,
                  secret: settings.actionSecret,
                  channel,
                  root: '',
                },
          counters,
          log,
        });
  // The Acknowledge button runs `alerts ack <id>`, which reaches the delivery through this.
  options.hub.connectDelivery(delivery === undefined ? undefined : deliveryHooks(delivery));
  if (delivery === undefined) {
    log.warn('alerts are stored but not delivered: no mattermost or matrix section in the config');
  }
  const routes = alertmanagerRoutes(config.path, {
    credentials: config.credentials,
    maxBodyBytes: config.maxBodyBytes,
    inbox,
    counters,
    log,
    ...(delivery === undefined ? {} : { stored: () => delivery.kick() }),
  });
  return { routes, counters, delivery };
}

/** What the alert commands (`alerts ack`, `silence`) reach the delivery through. */
export function deliveryHooks(delivery: AlertDelivery): DeliveryHooks {
  return {
    acknowledge: (id, who) => delivery.acknowledge(id, who)?.groupKey,
    noteSilence: (id, until, who) => delivery.silenced(id, until, who) !== undefined,
    noteSilenceMatching: (matchers, until, who) => delivery.silencedMatching(matchers, until, who),
  };
}
