/**
 * The plugin requests and approvals of one process, from the configuration: the directory
 * (HTTP + cache), the stores, the desk, the command approvals, plain words, and the notices
 * that reach the messengers once their adapters exist.
 */
import type { DatabaseSync } from 'node:sqlite';
import {
  approvalHousekeeping,
  cardName,
  type CommandApprovals,
  type Rerun,
} from '../core/approval-flow.ts';
import type { Catalog } from '../core/catalog.ts';
import type { Locale, Text } from '../core/i18n.ts';
import type { Platform } from '../core/platform.ts';
import type { ServiceDefinition } from '../core/catalog.ts';
import type { Logger } from '../core/logger.ts';
import type { Message } from '../core/message.ts';
import type { Notices } from '../core/notices.ts';
import type { PluginsConfig } from '../config/plugins-schema.ts';
import { SqliteApprovalStore } from '../store/approvals-repo.ts';
import { SqlitePluginJournal } from '../store/plugin-journal-repo.ts';
import { SqliteDirectoryCache, SqliteRequestStore } from '../store/plugins-repo.ts';
import { PluginDesk } from './desk.ts';
import { DirectoryClient } from './directory-client.ts';
import { PluginDirectory } from './directory.ts';
import { approvedInstaller } from './install/approved-install.ts';
import { downloadOrigins, httpDownload, type Download } from './install/download.ts';
import { Installer } from './install/installer.ts';
import { recoverPluginJobs } from './install/journal-recovery.ts';
import { pluginPackage } from './install/package-adapter.ts';
import type { PluginPackage } from './install/package-port.ts';
import { RequestOutcome } from './install/request-outcome.ts';
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
  /**
   * Lets an approved request install: given the bot's invoke, once the bot exists. Until
   * then (and without a `plugins:` section) approving says installing is not available.
   */
  attachInvoke(invoke: Rerun): void;
  /**
   * At start-up: puts the site back after plugin jobs the bot died under, where that is safe
   * (src/plugins/install/journal-recovery.ts); what was done or is left to do, by job id,
   * also posted to the approvers' room.
   */
  recoverJobs(options: {
    readonly platform: (service: ServiceDefinition) => Platform;
    readonly running: (jobId: number) => boolean;
  }): Promise<Map<number, Text>>;
}

export function wirePlugins(options: {
  readonly config: PluginsConfig;
  readonly catalog: Catalog;
  readonly db: DatabaseSync;
  readonly log: Logger;
  readonly notices?: RoutedNotices;
  readonly now?: () => Date;
  /** Tests: the package checks and the download (the real ones otherwise). */
  readonly pkg?: PluginPackage;
  readonly download?: Download;
}): PluginWiring {
  const { config, catalog, db, log } = options;
  const notices = options.notices ?? new RoutedNotices(log);
  const now = options.now ?? (() => new Date());
  const requests = new SqliteRequestStore(db, { now });
  const journal = new SqlitePluginJournal(db, { now });
  // Refusals name what people call it: a plugin request by its number, others by their id.
  const store = new SqliteApprovalStore(db, {
    now,
    numberOf: (a) => (a.subject.startsWith('plugin-request:') ? Number(a.subject.slice(15)) : a.id),
  });
  const localeOf = (room: string): Locale =>
    catalog.rooms.find((r) => r.address === room)?.locale ?? catalog.locale;
  let desk: PluginDesk | undefined;
  const settings = config.desk;
  if (settings !== undefined) {
    const directory = new PluginDirectory(
      new DirectoryClient(
        settings.directoryUrl === undefined ? {} : { baseUrl: settings.directoryUrl },
      ),
      new SqliteDirectoryCache(db),
      now,
    );
    const install = settings.install ?? {
      webUser: 'www-data',
      php: 'php',
      databaseVolume: undefined,
      maxDownloadBytes: 100 * 1024 * 1024,
      downloadTimeoutMs: 300_000,
      downloadOrigins: [],
    };
    const outcome = new RequestOutcome({
      requests,
      approvals: store,
      notices,
      localeOf,
      editCard: (request, revision) => desk?.showCard(request, revision),
    });
    const verbs = new Installer({
      journal,
      settings: {
        service: settings.service,
        root: settings.root,
        ...(settings.container === undefined ? {} : { container: settings.container }),
        webUser: install.webUser,
        php: install.php,
        databaseVolume: install.databaseVolume,
      },
      directory,
      pkg: options.pkg ?? pluginPackage,
      download:
        options.download ??
        httpDownload({
          maxBytes: install.maxDownloadBytes,
          timeoutMs: install.downloadTimeoutMs,
          origins: downloadOrigins(settings.directoryUrl, install.downloadOrigins ?? []),
        }),
      outcome,
    });
    desk = new PluginDesk({
      settings,
      catalog,
      directory,
      requests,
      approvals: store,
      notices,
      verbs,
      localeOf,
      now,
    });
  }
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
    recoverJobs: async ({ platform, running }) => {
      if (settings === undefined) return new Map();
      const install = settings.install;
      const said = await recoverPluginJobs({
        journal,
        services: catalog.services,
        platform,
        running,
        settings: {
          root: settings.root,
          ...(settings.container === undefined ? {} : { container: settings.container }),
          webUser: install?.webUser ?? 'www-data',
          php: install?.php ?? 'php',
        },
      });
      const room = settings.policy.room;
      if (room !== undefined) {
        for (const [jobId, text] of said) {
          const locale = localeOf(room);
          notices.post(
            room,
            { severity: 'warning', text: text[locale] },
            `plugin-recovery:${jobId}:${now().toISOString()}`,
          );
        }
      }
      return said;
    },
    attachInvoke: (invoke) => {
      if (desk === undefined || settings === undefined) return;
      desk.attachInstaller(approvedInstaller({ service: settings.service, invoke, notices }));
    },
  };
}
