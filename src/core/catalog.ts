/**
 * The core's view of the configuration: the service catalog and access rules. The config
 * loader (src/config) produces a value of this shape; the core never reads files itself.
 */
import type { Locale } from './i18n.ts';

export interface ContainerSelector {
  /** Exact container names. */
  readonly names?: readonly string[];
  /** Docker Compose labels: com.docker.compose.project / com.docker.compose.service. */
  readonly compose?: { readonly project: string; readonly service: string };
}

/** A Deployment or StatefulSet, by name or by the labels of the one workload that has them. */
export type KubernetesWorkloadRef =
  | { readonly kind: 'Deployment' | 'StatefulSet'; readonly name: string }
  | {
      readonly kind: 'Deployment' | 'StatefulSet';
      readonly selector: Readonly<Record<string, string>>;
    };

/** Where a service on a cluster runs (`platform: kubernetes` in the configuration). */
export interface KubernetesPlacement {
  readonly cluster: string;
  readonly namespace: string;
  readonly workload: KubernetesWorkloadRef;
}

/**
 * A service, on Docker or on a cluster. A service on a cluster has its `kubernetes` part and
 * no container selector, volumes or databases (empty): the verbs that need those are not
 * supported there yet, and its platform says so.
 */
export interface ServiceDefinition {
  readonly name: string;
  readonly description?: string;
  readonly platform: 'docker' | 'kubernetes';
  readonly containers: ContainerSelector;
  /** Set exactly when `platform` is `kubernetes`. */
  readonly kubernetes?: KubernetesPlacement;
  readonly scale: { readonly min: number; readonly max: number };
  readonly health: {
    /** How many containers must be running for the service to count as up. */
    readonly minRunning: number;
    /** Seconds to wait for a container to become healthy after a change. */
    readonly timeoutSeconds: number;
  };
  readonly volumes: readonly string[];
  readonly databases: readonly DatabaseDefinition[];
  /** Retention, hooks, schedules and extra sources of its backups (`services.<name>.backup`). */
  readonly backup?: ServiceBackupDefinition;
}

export interface DatabaseDefinition {
  readonly name: string;
  readonly engine: 'postgres' | 'mysql';
  /** The container (by name) the database runs in. */
  readonly container: string;
  readonly database: string;
  readonly user: string;
  /**
   * How the bot dumps it: `exec` runs pg_dump / mysqldump inside `container` (default);
   * `tcp` runs them on the bot's machine against host:port.
   */
  readonly via?: 'exec' | 'tcp';
  readonly host?: string;
  readonly port?: number;
  /**
   * Set exactly on a service on a cluster: the database is dumped in a pod found at every run
   * (pod names change with each rollout), through pods/exec over its local socket. `container`
   * above is then unused (empty).
   */
  readonly cluster?: ClusterDatabasePlace;
}

/** Where a cluster database runs: the service's own workload unless another is named. */
export interface ClusterDatabasePlace {
  /** Another Deployment or StatefulSet of the service's namespace; absent: the service's own. */
  readonly workload?: { readonly kind: 'Deployment' | 'StatefulSet'; readonly name: string };
  /** The container in its pod; absent: the pod's first container. */
  readonly container?: string;
}

/** `services.<name>.backup` in the configuration; every part is optional. */
export interface ServiceBackupDefinition {
  /** Applied to each source after each backup; none keeps every snapshot. */
  readonly retention?: {
    readonly keepLast?: number;
    readonly keepDaily?: number;
    readonly keepWeekly?: number;
    readonly keepMonthly?: number;
  };
  /**
   * argv commands run in `container` before a backup (e.g. maintenance mode on) and after it
   * (off); the after-commands run even when the backup failed.
   */
  readonly hooks?: {
    readonly container: string;
    readonly user?: string;
    readonly before: readonly (readonly string[])[];
    readonly after: readonly (readonly string[])[];
  };
  /** Cron expressions (5 fields): when to back up, and when to run a restore drill. */
  readonly schedule?: string;
  readonly drill?: string;
  /** Generic sources: a command whose stdout is the backup (and one that takes it back). */
  readonly commands?: readonly CommandSourceDefinition[];
}

export interface CommandSourceDefinition {
  /** The source is `command:<name>`. */
  readonly name: string;
  /** Runs inside this container; without it, on the bot's machine. */
  readonly container?: string;
  readonly user?: string;
  /** Writes the data to stdout. */
  readonly backup: readonly string[];
  /** Reads the data from stdin; without it the source cannot be restored. */
  readonly restore?: readonly string[];
  /** The file name inside the snapshot; default `<name>.out`. */
  readonly filename?: string;
}

export interface RoleDefinition {
  readonly name: string;
  /** Actor ids: mattermost:<user id>, matrix:@user:server, local:<unix user>. */
  readonly members: readonly string[];
  /** Command names this role may run; "*" grants every command. */
  readonly commands: readonly string[];
}

export interface RoomDefinition {
  readonly name: string;
  /** Where the room is: terminal, or a messenger channel/room id. */
  readonly address: string;
  readonly locale?: Locale;
}

export interface Catalog {
  readonly locale: Locale;
  /** The IANA zone times are shown in (config `timeZone`); undefined: the host's. */
  readonly timeZone?: string;
  readonly services: ReadonlyMap<string, ServiceDefinition>;
  readonly roles: readonly RoleDefinition[];
  readonly rooms: readonly RoomDefinition[];
  /** Secret values, so that anything shown to people can be redacted. */
  readonly secrets: readonly string[];
}
