/** What a command gets to do its work. It never learns which messenger it came from. */
import type { AlertsPort } from './alerts.ts';
import type { AuditLog } from './audit.ts';
import type { BackupLedger, BackupService } from './backup.ts';
import type { Catalog, ServiceDefinition } from './catalog.ts';
import type { AnyCommand, CommandResult } from './command.ts';
import type { Actor, Room, Source } from './identity.ts';
import type { Locale, Params, Text } from './i18n.ts';
import type { JobStore } from './jobs.ts';
import type { Logger } from './logger.ts';
import type { Message } from './message.ts';
import type { People } from './people.ts';
import type { Platform } from './platform.ts';
import type { PluginsPort } from './plugins.ts';
import type { ApprovalVerdict } from './approvals.ts';
import type { TemplateCatalog } from './templates.ts';

/** The read side of the registry, for `help`. */
export interface RegistryView {
  list(): readonly AnyCommand[];
  find(name: string): AnyCommand | undefined;
}

export interface CommandContext {
  readonly actor: Actor;
  readonly room: Room;
  readonly source: Source;
  readonly locale: Locale;
  readonly catalog: Catalog;
  readonly registry: RegistryView;
  readonly jobs: JobStore;
  readonly audit: AuditLog;
  /** Alertmanager and the alert posts; refuses with alerts-not-configured when absent. */
  readonly alerts: AlertsPort;
  /** The job this command runs as, when it is a mutating one. */
  readonly jobId: number | undefined;
  readonly signal: AbortSignal;
  readonly log: Logger;
  /** Names for the ids of people and rooms the command shows (ids where none is known). */
  readonly people: People;
  t(text: Text, params?: Params): string;
  /** Whether the actor may run a command: help uses it to show only what is allowed. */
  may(command: string): boolean;
  /** The service definition; throws unknown-service. */
  service(name: string): ServiceDefinition;
  platform(service: ServiceDefinition): Platform;
  /** The provisioning templates. */
  readonly templates: TemplateCatalog;
  /** Backups: refuses with backup-not-configured when there is no `backup:` section. */
  readonly backups: BackupService;
  /** What backups recorded (manifests, last successes); undefined when nothing is kept. */
  readonly backupLedger: BackupLedger | undefined;
  /** Reports progress of the job (0..1) and a short text; shown in place by the front end. */
  progress(fraction: number, text: string): void;
  /** Sends an extra message to the room while the command runs. */
  reply(message: Message): void;
  /** Decides on a pending confirmation; a confirmed one runs its command and returns its result. */
  decide(code: string, decision: 'confirmed' | 'declined'): Promise<CommandResult>;
  /** Moodle plugin requests; refuses with plugins-not-configured when absent. */
  readonly plugins: PluginsPort;
  /** A vote on a command approval; an approved one runs its command and returns its result. */
  approve(id: number, verdict: ApprovalVerdict, reason: string): Promise<CommandResult>;
}
