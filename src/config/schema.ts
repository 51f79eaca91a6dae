/**
 * The shape of one configuration file (config/pes.yaml). Every object is strict, so a typo
 * in a key is an error rather than a setting that silently does nothing. Names and other
 * free text that later reach Docker or a command line are checked against patterns here.
 */
import { z } from 'zod';
import { isTimeZone } from '../core/format.ts';
import { isActorId } from '../core/identity.ts';
import { backupSection, databaseAccess, serviceBackup } from './backup-schema.ts';
import { secretRef } from './secrets.ts';
import { alertsSection } from '../alerts/config-schema.ts';
import { matrixSection } from './matrix-schema.ts';
import {
  claimName,
  clusterSchema,
  containerName,
  databaseWorkloadSchema,
  namespaceName,
  workloadSchema,
} from './kubernetes-schema.ts';
import { approvalsSection, pluginReferenceProblems, pluginsSection } from './plugins-schema.ts';

/** A string that must match `re`; the message says in words what is allowed. */
function matching(re: RegExp, expected: string): z.ZodType<string> {
  return z.string().refine((value) => re.test(value), { error: `expected ${expected}` });
}

/** A service, role or room name (also what `pes init` makes names into). */
export const nameRe = /^[a-z][a-z0-9-]{0,39}$/;
const nameText = 'a name of lowercase letters, digits and "-", starting with a letter (≤ 40)';
const name = matching(nameRe, nameText);

// Docker's own rules for container and volume names; compose projects are lowercase.
export const dockerNameRe = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const dockerName = matching(dockerNameRe, 'a Docker name');
const composeProject = matching(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'a Compose project name');
const sqlName = matching(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'an SQL identifier');

/** The unix user running the bot; replaced at load time (see load.ts). */
export const currentUserMember = 'local:@me';

const member = z
  .string()
  .refine((id) => id === currentUserMember || (isActorId(id) && !id.startsWith('system:')), {
    error: 'expected mattermost:<user id>, matrix:@user:server, local:<unix user> or local:@me',
  });

// Lowercase in any script, so that a Russian alias reaches the check against the registry
// (role-commands.ts), which says which name to write instead.
const commandName = matching(/^(\*|\p{Ll}[\p{Ll}0-9-]{0,39})$/u, 'a command name or "*"');

// Room ids as the adapters produce them (see Room in src/core/identity.ts).
const roomAddress = matching(
  /^(terminal|mattermost:[a-z0-9]{1,64}|matrix:[!#][^:\s]{1,255}:[A-Za-z0-9.:-]{1,255})$/,
  'terminal, mattermost:<channel id> or matrix:!room:server',
);

const locale = z.enum(['ru', 'en']);

/** An IANA time zone the runtime knows (`Europe/Moscow`, `UTC`): Intl is the judge. */
const timeZone = z.string().refine(isTimeZone, {
  error: 'expected an IANA time zone such as Europe/Moscow or UTC',
});

const containers = z
  .strictObject({
    names: z.array(dockerName).min(1).optional(),
    compose: z.strictObject({ project: composeProject, service: dockerName }).optional(),
  })
  .refine((c) => c.names !== undefined || c.compose !== undefined, {
    error: 'expected names or compose',
  });

const database = z.strictObject({
  name,
  engine: z.enum(['postgres', 'mysql']),
  container: dockerName,
  database: sqlName,
  user: sqlName,
  password: secretRef.optional(),
  ...databaseAccess,
});

const scale = z
  .strictObject({
    min: z.int().min(0).default(1),
    max: z.int().min(1).default(1),
  })
  .default({ min: 1, max: 1 })
  .superRefine((s, ctx) => {
    if (s.min > s.max)
      ctx.addIssue({ code: 'custom', message: `min ${s.min} is greater than max ${s.max}` });
  });

const health = z
  .strictObject({
    minRunning: z.int().min(0).default(1),
    timeoutSeconds: z.int().min(1).default(60),
  })
  .default({ minRunning: 1, timeoutSeconds: 60 });

/**
 * A service that needs more running replicas than it may ever have is never healthy. Only
 * against a sane scale, so one mistake is not reported twice.
 */
function checkMinRunning(
  s: { scale: { max: number }; health: { minRunning: number } },
  ctx: z.RefinementCtx,
): void {
  if (s.scale.max >= 1 && s.health.minRunning > s.scale.max) {
    ctx.addIssue({
      code: 'custom',
      path: ['health', 'minRunning'],
      message: `must not exceed scale.max (${s.scale.max})`,
    });
  }
}

const dockerService = z
  .strictObject({
    description: z.string().optional(),
    platform: z.literal('docker').default('docker'),
    containers,
    scale,
    health,
    volumes: z.array(dockerName).default([]),
    databases: z.array(database).default([]),
    /** Retention, hooks, schedules, command sources (backup-schema.ts). */
    backup: serviceBackup.optional(),
  })
  .superRefine((s, ctx) => {
    checkMinRunning(s, ctx);
    const seen = new Set<string>();
    s.databases.forEach((db, i) => {
      if (seen.has(db.name)) {
        ctx.addIssue({ code: 'custom', path: ['databases', i, 'name'], message: 'duplicate name' });
      }
      seen.add(db.name);
    });
  });

/**
 * What a database on a cluster refuses, and why: its programs run in its pod through
 * pods/exec, which passes no environment (a password would have to go on the command line,
 * which the API server's audit log keeps), so they use the database's local socket
 * authentication; and they always run there, never over TCP from the bot.
 */
const clusterDatabaseRefusals = {
  password:
    "a database on a cluster is dumped through pods/exec, which passes no environment, and a password on the command line would be kept in the API server's audit log: leave it out and let the database trust its local socket (PostgreSQL: the user over the unix socket, MariaDB: unix_socket as the container's OS user)",
  via: 'a database on a cluster is always dumped inside its pod through pods/exec, over its local socket',
  host: 'a database on a cluster is dumped inside its pod over its local socket: there is no host to name',
  port: 'a database on a cluster is dumped inside its pod over its local socket: there is no port to name',
} as const;

/** A database of a service on a cluster: in the service's own workload, or another one's. */
const clusterDatabase = z
  .strictObject({
    name,
    engine: z.enum(['postgres', 'mysql']),
    database: sqlName,
    user: sqlName,
    /** Another workload of the namespace; absent: the service's own. */
    workload: databaseWorkloadSchema.optional(),
    /** The container in the pod; absent: the pod's first. */
    container: containerName.optional(),
    // Taken only to be refused with the reason (clusterDatabaseRefusals).
    password: z.unknown().optional(),
    via: z.unknown().optional(),
    host: z.unknown().optional(),
    port: z.unknown().optional(),
  })
  .superRefine((db, ctx) => {
    for (const [key, message] of Object.entries(clusterDatabaseRefusals)) {
      if (db[key as keyof typeof clusterDatabaseRefusals] !== undefined) {
        ctx.addIssue({ code: 'custom', path: [key], message });
      }
    }
  });

/** A service on a cluster (kubernetes-schema.ts): its cluster, namespace and workload. */
const kubernetesService = z
  .strictObject({
    description: z.string().optional(),
    platform: z.literal('kubernetes'),
    cluster: name,
    namespace: namespaceName,
    workload: workloadSchema,
    scale,
    health,
    /** Its PersistentVolumeClaims to back up (clusters.<name>.backups says how). */
    volumes: z.array(claimName).default([]),
    /** Dumped in a pod of its workload (or another one's) through pods/exec. */
    databases: z.array(clusterDatabase).default([]),
  })
  .superRefine((s, ctx) => {
    checkMinRunning(s, ctx);
    const seen = new Set<string>();
    s.databases.forEach((db, i) => {
      if (seen.has(db.name)) {
        ctx.addIssue({ code: 'custom', path: ['databases', i, 'name'], message: 'duplicate name' });
      }
      seen.add(db.name);
      // The service's own workload is found by its labels: a workload of the same kind named
      // here may be that very one or another, which cannot be told at load time.
      if (s.workload.selector !== undefined && db.workload?.kind === s.workload.kind) {
        ctx.addIssue({
          code: 'custom',
          path: ['databases', i, 'workload'],
          message: `ambiguous: the service's own ${s.workload.kind} is found by a selector, so a ${db.workload.kind} named here may be the same one: leave workload out for the service's own, or name the service's workload by name`,
        });
      }
    });
  });

// `platform` picks the shape; a service without it is a Docker one, as before clusters.
const service = z.discriminatedUnion('platform', [dockerService, kubernetesService]);

const role = z.strictObject({
  members: z.array(member).default([]),
  commands: z.array(commandName).default([]),
});

const room = z.strictObject({ address: roomAddress, locale: locale.optional() });

const port = z.int().min(1).max(65535);

const mattermostId = matching(
  /^[a-z0-9]{26}$/,
  'a Mattermost id (26 lowercase letters and digits)',
);
const httpUrl = matching(/^https?:\/\/[^\s/]+(\/\S*)?$/, 'an http:// or https:// URL');

/** The Mattermost front end (see README "Mattermost"); secrets only by reference. */
const mattermost = z
  .strictObject({
    url: httpUrl,
    botToken: secretRef,
    slashTokens: z.array(secretRef).default([]),
    actionSecret: secretRef.optional(),
    publicUrl: httpUrl.optional(),
    teams: z.array(mattermostId).default([]),
    channels: z.array(mattermostId).default([]),
  })
  .refine((m) => (m.actionSecret === undefined) === (m.publicUrl === undefined), {
    error: 'buttons need both actionSecret and publicUrl (or neither)',
    path: ['publicUrl'],
  });

/**
 * How many days finished rows of the state database are kept (src/store/retention.ts). The
 * audit log is never pruned; what is still needed (open outbox items, firing alert groups,
 * running jobs, pending confirmations) is kept whatever its age.
 */
const retentionDefaults = {
  outboxDays: 7,
  alertBatchDays: 30,
  alertThreadDays: 30,
  jobDays: 180,
  confirmationDays: 30,
  scheduleRunDays: 180,
};
const days = z.int().min(1).max(36500);
const retention = z.strictObject({
  outboxDays: days.default(retentionDefaults.outboxDays),
  alertBatchDays: days.default(retentionDefaults.alertBatchDays),
  alertThreadDays: days.default(retentionDefaults.alertThreadDays),
  jobDays: days.default(retentionDefaults.jobDays),
  confirmationDays: days.default(retentionDefaults.confirmationDays),
  scheduleRunDays: days.default(retentionDefaults.scheduleRunDays),
});

export const configSchema = z
  .strictObject({
    /** Absent means: from PES_LANG / LANG, else Russian (see localeFromEnv). */
    locale: locale.optional(),
    /** The zone every time shown to people is given in; absent means the host's. */
    timeZone: timeZone.optional(),
    state: z
      .strictObject({
        path: z.string().min(1).default('state/pes.db'),
        retention: retention.default(retentionDefaults),
      })
      .default({ path: 'state/pes.db', retention: retentionDefaults }),
    server: z
      .strictObject({
        host: z.string().min(1).default('127.0.0.1'),
        port: port.default(8080),
        /** Bearer token Prometheus scrapes /metrics with; absent: no /metrics route. */
        metricsToken: secretRef.optional(),
        /** How long a stop waits for cancelled jobs to put back what they changed. */
        stopGraceSeconds: z.int().min(1).max(3600).default(60),
      })
      .default({ host: '127.0.0.1', port: 8080, stopGraceSeconds: 60 }),
    docker: z
      .strictObject({
        host: matching(
          // What the client supports today; TLS and ssh need certificates and keys by reference.
          /^(unix|tcp|http):\/\/\S+$/,
          'a unix://, tcp:// or http:// address',
        ).optional(),
        /** May `update` pull an image that is not present locally? Off: no registry needed. */
        pull: z.boolean().default(false),
      })
      .default({ pull: false }),
    log: z
      .strictObject({ level: z.enum(['debug', 'info', 'warn', 'error']).default('info') })
      .default({ level: 'info' }),
    /** Kubernetes clusters by name (kubernetes-schema.ts); services name one as `cluster`. */
    clusters: z.record(name, clusterSchema).default({}),
    services: z.record(name, service).default({}),
    roles: z.record(name, role).default({}),
    rooms: z.record(name, room).default({}),
    /**
     * Where `provision` finds its templates; relative to this file (see load.ts). With
     * `cluster` and `namespace`, provision and deprovision make their instances there
     * (src/platforms/kubernetes/instances.ts); without them, on Docker.
     */
    provision: z
      .strictObject({
        templates: z.string().min(1).default('templates'),
        cluster: name.optional(),
        namespace: namespaceName.optional(),
      })
      .default({ templates: 'templates' }),
    /** Absent: no Mattermost front end. */
    mattermost: mattermost.optional(),
    /** Absent: no Matrix front end (matrix-schema.ts). */
    matrix: matrixSection.optional(),
    /** Named secrets for later use (tokens, webhook keys); resolved at load like passwords. */
    secrets: z
      .record(matching(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, 'a secret name'), secretRef)
      .default({}),
    /** Absent: no backups (backup-schema.ts). */
    backup: backupSection.optional(),
    /** Absent: no Alertmanager receiver (src/alerts/config-schema.ts). */
    alerts: alertsSection.optional(),
    /** Absent: no plugin requests (plugins-schema.ts). */
    plugins: pluginsSection.optional(),
    /** Commands that need others' approval, per service (plugins-schema.ts). */
    approvals: approvalsSection.optional(),
  })
  .superRefine((file, ctx) => {
    for (const problem of pluginReferenceProblems(file))
      ctx.addIssue({ code: 'custom', ...problem });
    const clusters = Object.keys(file.clusters);
    const { cluster, namespace } = file.provision;
    if ((cluster === undefined) !== (namespace === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['provision', cluster === undefined ? 'cluster' : 'namespace'],
        message: 'expected both cluster and namespace, or neither',
      });
    } else if (cluster !== undefined && !clusters.includes(cluster)) {
      ctx.addIssue({
        code: 'custom',
        path: ['provision', 'cluster'],
        message:
          clusters.length === 0
            ? `unknown cluster "${cluster}" (no clusters are configured)`
            : `unknown cluster "${cluster}" (clusters: ${clusters.join(', ')})`,
      });
    }
    for (const [serviceName, def] of Object.entries(file.services)) {
      if (def.platform !== 'kubernetes' || clusters.includes(def.cluster)) continue;
      ctx.addIssue({
        code: 'custom',
        path: ['services', serviceName, 'cluster'],
        message:
          clusters.length === 0
            ? `unknown cluster "${def.cluster}" (no clusters are configured)`
            : `unknown cluster "${def.cluster}" (clusters: ${clusters.join(', ')})`,
      });
    }
  });

export type ConfigFile = z.output<typeof configSchema>;
export type ConfigLogLevel = ConfigFile['log']['level'];
export { port as portSchema };
