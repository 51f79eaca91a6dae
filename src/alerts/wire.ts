/**
 * The alert path, wired for `pes serve`: the receiver route and, when Mattermost is
 * configured, the delivery into its outbox. Without Mattermost the notifications are still
 * stored (and answered 200), and delivered once Mattermost is configured.
 */
import type { DatabaseSync } from 'node:sqlite';
import { actionsPath, type MattermostAdapter } from '../chat/mattermost/adapter.ts';
import type { MattermostSettings } from '../chat/mattermost/types.ts';
import type { Bot } from '../core/bot.ts';
import type { Logger } from '../core/logger.ts';
import { alertmanagerRoutes } from '../server/alertmanager-routes.ts';
import type { Route } from '../server/http.ts';
import { SqliteAlertInbox, SqliteAlertThreads } from '../store/alerts-repo.ts';
import { SqliteOutboxStore } from '../store/outbox-repo.ts';
import type { AlertsConfig } from './config.ts';
import { AlertCounters } from './counters.ts';
import { AlertDelivery } from './delivery.ts';
import type { AlertsHub } from './port.ts';

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
  /** The bot's alerts port: the Acknowledge and Silence buttons reach the delivery through it. */
  readonly hub: AlertsHub;
  readonly log: Logger;
}): AlertsWiring {
  const { config, db, log } = options;
  const counters = new AlertCounters();
  const inbox = new SqliteAlertInbox(db);
  const mm = options.mattermost;
  const settings = options.mattermostSettings;
  const delivery =
    mm === undefined || settings === undefined
      ? undefined
      : new AlertDelivery({
          config,
          db,
          inbox,
          threads: new SqliteAlertThreads(db),
          outbox: new SqliteOutboxStore(db),
          kick: () => mm.dispatcher.kick(),
          locale: (room) => options.bot.localeFor({ room: { id: room } }),
          binding: (channel) =>
            settings.publicUrl === undefined || settings.actionSecret === undefined
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
  options.hub.connectDelivery(
    delivery === undefined
      ? undefined
      : {
          acknowledge: (id, who) => delivery.acknowledge(id, who)?.groupKey,
          noteSilence: (id, until, who) => delivery.silenced(id, until, who) !== undefined,
          noteSilenceMatching: (matchers, until, who) =>
            delivery.silencedMatching(matchers, until, who),
        },
  );
  if (delivery === undefined) {
    log.warn('alerts are stored but not delivered: no mattermost section in the config');
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
