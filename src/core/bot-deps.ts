/** What the Bot is built from, and the state of one invocation on its way through. */
import type { AlertsPort } from './alerts.ts';
import type { CommandApprovals } from './approval-flow.ts';
import type { AuditLog } from './audit.ts';
import type { BackupLedger, BackupService } from './backup.ts';
import type { Catalog, ServiceDefinition } from './catalog.ts';
import type { ConfirmationStore } from './confirmations.ts';
import type { Actor } from './identity.ts';
import type { Locale } from './i18n.ts';
import type { Invocation, InvocationSink } from './invocation.ts';
import type { JobStore } from './jobs.ts';
import type { Logger } from './logger.ts';
import type { BotMetrics } from './metrics-port.ts';
import type { People } from './people.ts';
import type { Platform } from './platform.ts';
import type { PluginsPort } from './plugins.ts';
import type { Registry } from './registry.ts';
import type { TemplateCatalog } from './templates.ts';

export interface BotDeps {
  readonly catalog: Catalog;
  readonly registry: Registry;
  readonly jobs: JobStore;
  readonly audit: AuditLog;
  /** For the alert commands; refused (alerts-not-configured) when absent. */
  readonly alerts?: AlertsPort;
  readonly confirmations: ConfirmationStore;
  platform(service: ServiceDefinition): Platform;
  /** For `provision`; none when absent. */
  readonly templates?: TemplateCatalog;
  /** For `backup`, `restore`, `verify`; refused when absent. */
  readonly backups?: BackupService;
  readonly backupLedger?: BackupLedger;
  /** For the plugin commands; refused (plugins-not-configured) when absent. */
  readonly plugins?: PluginsPort;
  /** Commands that need others' approval per service (`approvals.commands`); none when absent. */
  readonly approvals?: CommandApprovals;
  /**
   * Plain words (a teacher's "please install mod_attendance") as the tokens of a command;
   * asked only when the first word is not a command. Undefined: not a request it knows.
   */
  readonly interpret?: (text: string) => string[] | undefined;
  readonly log: Logger;
  /** Commands and jobs counted and timed for /metrics (`pes serve`); nothing when absent. */
  readonly metrics?: BotMetrics;
  /** Names for the ids a person reads (who may confirm, whose job); ids when absent. */
  readonly people?: People;
  readonly now?: () => Date;
  readonly cancelPollMs?: number;
  readonly confirmationTtlMs?: number;
}

export interface Call {
  readonly invocation: Invocation;
  readonly actor: Actor;
  readonly locale: Locale;
  /** The language of answers only the person sees (refusals): their own, when known. */
  readonly privateLocale: Locale;
  readonly sink: InvocationSink;
}
