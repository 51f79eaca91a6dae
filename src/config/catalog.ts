/**
 * From the validated file to the core's Catalog: fills in names, expands `local:@me` and
 * resolves secret references, collecting every secret value so the core can redact them.
 */
import type {
  Catalog,
  KubernetesWorkloadRef,
  RoleDefinition,
  RoomDefinition,
  ServiceDefinition,
} from '../core/catalog.ts';
import type { Locale } from '../core/i18n.ts';
import { currentUserMember, type ConfigFile } from './schema.ts';
import { resolveSecret, type SecretContext } from './secrets.ts';

export interface CatalogContext extends SecretContext {
  readonly locale: Locale;
  /** Who `local:@me` stands for. */
  readonly username: string;
}

export interface BuiltCatalog {
  readonly catalog: Catalog;
  readonly secrets: ReadonlyMap<string, string>;
  readonly databasePasswords: ReadonlyMap<string, string>;
}

type KubernetesEntry = Extract<ConfigFile['services'][string], { platform: 'kubernetes' }>;

/**
 * A service on a cluster: its placement, the claims and the databases it backs up, and no
 * containers of its own, so the Docker-only verbs find nothing of it and its platform
 * refuses them by name.
 */
function kubernetesService(name: string, def: KubernetesEntry): ServiceDefinition {
  const { cluster, namespace, workload, scale, health, description, volumes } = def;
  // password, via, host and port are refused by the schema (clusterDatabaseRefusals).
  const databases = def.databases.map((db) => ({
    name: db.name,
    engine: db.engine,
    container: '',
    database: db.database,
    user: db.user,
    cluster: {
      ...(db.workload === undefined ? {} : { workload: db.workload }),
      ...(db.container === undefined ? {} : { container: db.container }),
    },
  }));
  // The schema lets exactly one of name and selector through.
  const ref: KubernetesWorkloadRef =
    workload.name !== undefined
      ? { kind: workload.kind, name: workload.name }
      : { kind: workload.kind, selector: workload.selector ?? {} };
  return {
    name,
    ...(description === undefined ? {} : { description }),
    platform: 'kubernetes',
    containers: {},
    scale,
    health,
    // Claims of its namespace, reached by claim pods (src/platforms/kubernetes/claim-site.ts).
    volumes,
    // Dumped in a pod found at each run (src/platforms/kubernetes/database-target.ts).
    databases,
    kubernetes: { cluster, namespace, workload: ref },
  };
}

export function buildCatalog(file: ConfigFile, ctx: CatalogContext): BuiltCatalog {
  const values: string[] = [];
  const reveal = (ref: Parameters<typeof resolveSecret>[0], at: string): string => {
    const value = resolveSecret(ref, at, ctx);
    values.push(value);
    return value;
  };

  const secrets = new Map<string, string>();
  for (const [name, ref] of Object.entries(file.secrets)) {
    secrets.set(name, reveal(ref, `secrets.${name}`));
  }

  const services = new Map<string, ServiceDefinition>();
  const databasePasswords = new Map<string, string>();
  for (const [name, def] of Object.entries(file.services)) {
    if (def.platform === 'kubernetes') {
      services.set(name, kubernetesService(name, def));
      continue;
    }
    const databases = def.databases.map(({ password, ...db }, i) => {
      if (password !== undefined) {
        const at = `services.${name}.databases.${i}.password`;
        databasePasswords.set(`${name}/${db.name}`, reveal(password, at));
      }
      return db;
    });
    services.set(name, { name, ...def, databases });
  }

  const me = `local:${ctx.username}`;
  const roles: RoleDefinition[] = Object.entries(file.roles).map(([name, role]) => ({
    name,
    // A Set: `local:@me` next to the same user written out must not count twice.
    members: [...new Set(role.members.map((m) => (m === currentUserMember ? me : m)))],
    commands: role.commands,
  }));

  const rooms: RoomDefinition[] = Object.entries(file.rooms).map(([name, room]) => ({
    name,
    ...room,
  }));

  return {
    catalog: {
      locale: ctx.locale,
      services,
      roles,
      rooms,
      secrets: [...new Set(values)].filter((v) => v !== ''),
    },
    secrets,
    databasePasswords,
  };
}
