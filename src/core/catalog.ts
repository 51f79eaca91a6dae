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

export interface ServiceDefinition {
  readonly name: string;
  readonly description?: string;
  readonly platform: 'docker';
  readonly containers: ContainerSelector;
  readonly scale: { readonly min: number; readonly max: number };
  readonly health: {
    /** How many containers must be running for the service to count as up. */
    readonly minRunning: number;
    /** Seconds to wait for a container to become healthy after a change. */
    readonly timeoutSeconds: number;
  };
  readonly volumes: readonly string[];
  readonly databases: readonly DatabaseDefinition[];
}

export interface DatabaseDefinition {
  readonly name: string;
  readonly engine: 'postgres' | 'mysql';
  /** The container (by name) the database runs in. */
  readonly container: string;
  readonly database: string;
  readonly user: string;
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
  readonly services: ReadonlyMap<string, ServiceDefinition>;
  readonly roles: readonly RoleDefinition[];
  readonly rooms: readonly RoomDefinition[];
  /** Secret values, so that anything shown to people can be redacted. */
  readonly secrets: readonly string[];
}
