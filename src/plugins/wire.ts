/**
 * The plugin requests and approvals of one process, from the configuration: the directory
 * (HTTP + cache), the stores, the desk, the command approvals, plain words, and the notices
 * that reach the messengers once their adapters exist.
 */
import type { DatabaseSync } from 'node:sqlite';
import { approvalHousekeeping, cardName, type CommandApprovals } from '../core/approval-flow.ts';
import type { Catalog } from '../core/catalog.ts';
import type { Locale } from '../core/i18n.ts';
import type { Logger } from '../core/logger.ts';
import type { Message } from '../core/message.ts';
import type { Notices } from '../core/notices.ts';
import type { PluginsConfig } from '../config/plugins-schema.ts';
import { SqliteApprovalStore } from '../store/approvals-repo.ts';
import { SqliteDirectoryCache, SqliteRequestStore } from '../store/plugins-repo.ts';
import { PluginDesk } from './desk.ts';
import { DirectoryClient } from './directory-client.ts';
import { PluginDirectory } from './directory.ts';
import { matchPlainRequest } from './phrases.ts';

/** What a messenger adapter offers for messages nobody asked for. */
export interface NoticeTarget {
  announce(room: string, message: Message, key: string): boolean;
  amend(room: string, message: Message, key: string, revision: string): boolean;
}

/** Notices routed by room: `matrix:…` to Matrix, `mattermost:…` to Mattermost, else logged. */
export class RoutedNotices implements Notices {
  #targets: { mattermost?: NoticeTarget | undefined; matrix?: NoticeTarget | undefined } = {};
  readonly #log: Logger;

  constructor(log: Logger) {
    this.#log = log;
  }

  attach(targets: {
    mattermost?: NoticeTarget | undefined;
    matrix?: NoticeTarget | undefined;
  }): void {
    this.#targets = targets;
  }

  post(room: string, message: Message, key: string): void {
    const target = this.#pick(room);
    if (target === undefined || !target.announce(room, message, key))
      this.#log.info('notice not posted', { room, key });
  }

  edit(room: string, message: Message, key: string, revision: string): void {
    const target = this.#pick(room);
    if (target === undefined || !target.amend(room, message, key, revision))
      this.#log.info('notice not edited', { room, key });
  }

  #pick(room: string): NoticeTarget | undefined {
    if (room.startsWith('matrix:')) return this.#targets.matrix;
    if (room.startsWith('mattermost:')) return this.#targets.mattermost;
    return undefined;
  }
}

/** Plain words → the tokens of plugin-request, or undefined when it is not a request. */
export function interpretPlainWords(text: string): string[] | undefined {
  const found = matchPlainRequest(text);
  return found === undefined
    ? undefined
    : ['plugin-request', '--why', found.text, ...found.reference.split(/\s+/)];
}

export interface PluginWiring {
  /** Reminders and expiries of approvals that are due (every minute in `pes serve`). */
  housekeeping(): void;
  readonly desk: PluginDesk | undefined;
  readonly approvals: CommandApprovals | undefined;
  readonly notices: RoutedNotices;
  readonly interpret: ((text: string) => string[] | undefined) | undefined;
}

export function wirePlugins(options: {
  readonly config: PluginsConfig;
  readonly catalog: Catalog;
  readonly db: DatabaseSync;
  readonly log: Logger;
  readonly notices?: RoutedNotices;
  readonly now?: () => Date;
}): PluginWiring {
  const { config, catalog, db, log } = options;
  const notices = options.notices ?? new RoutedNotices(log);
  const now = options.now ?? (() => new Date());
  const requests = new SqliteRequestStore(db, { now });
  // Refusals name what people call it: a plugin request by its number, others by their id.
  const store = new SqliteApprovalStore(db, {
    now,
    numberOf: (a) => (a.subject.startsWith('plugin-request:') ? Number(a.subject.slice(15)) : a.id),
  });
  const localeOf = (room: string): Locale =>
    catalog.rooms.find((r) => r.address === room)?.locale ?? catalog.locale;
  const desk =
    config.desk === undefined
      ? undefined
      : new PluginDesk({
          settings: config.desk,
          catalog,
          directory: new PluginDirectory(
            new DirectoryClient(
              config.desk.directoryUrl === undefined ? {} : { baseUrl: config.desk.directoryUrl },
            ),
            new SqliteDirectoryCache(db),
            now,
          ),
          requests,
          approvals: store,
          notices,
          localeOf,
          now,
        });
  const approvals =
    config.commandRules.length === 0
      ? undefined
      : { rules: config.commandRules, store, notices, names: new Map<string, string>() };
  return {
    housekeeping: () => {
      desk?.housekeeping();
      if (approvals !== undefined) {
        approvalHousekeeping(approvals, catalog, localeOf, (id) => cardName(approvals, id));
      }
    },
    desk,
    approvals,
    notices,
    interpret: desk === undefined ? undefined : interpretPlainWords,
  };
}
