/**
 * Finds, reads, validates and resolves the configuration into what the rest of the bot
 * uses. Every failure is a UserError naming the file, so `pes` can print it and exit 2.
 */
import { existsSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { Catalog } from '../core/catalog.ts';
import { UserError } from '../core/errors.ts';
import { localeFromEnv } from '../core/i18n.ts';
import { resolveBackup, type BackupConfig } from './backup.ts';
import { resolveAlerts, type AlertsConfig } from '../alerts/config.ts';
import { buildCatalog } from './catalog.ts';
import { resolveSecret } from './secrets.ts';
import { resolveMattermost, type MattermostConfig } from './mattermost.ts';
import { resolveMatrix, type MatrixConfig } from './matrix.ts';
import { resolveKubernetes, type KubernetesConfig } from './kubernetes.ts';
import { formatIssues } from './problems.ts';
import { roleCommandProblems, type KnownCommand } from './role-commands.ts';
import { configSchema, portSchema, type ConfigLogLevel } from './schema.ts';
import { approvalCommandProblems, resolvePlugins, type PluginsConfig } from './plugins-schema.ts';
import type { RetentionDays } from '../store/retention.ts';

export interface LoadedConfig {
  /** The absolute path of the file that was loaded. */
  readonly path: string;
  readonly catalog: Catalog;
  /** The SQLite file, absolute (resolved against the working directory), or `:memory:`. */
  readonly statePath: string;
  readonly server: {
    readonly host: string;
    readonly port: number;
    /** Resolved; undefined: no /metrics route. */
    readonly metricsToken: string | undefined;
    /** How long a stop waits for cancelled jobs (`server.stopGraceSeconds`). */
    readonly stopGraceSeconds: number;
  };
  /** Days finished rows are kept in the state database (`state.retention`). */
  readonly retention: RetentionDays;
  /** From the file only; undefined lets the Docker client use DOCKER_HOST or its default. */
  readonly docker: { readonly host: string | undefined; readonly pull: boolean };
  readonly logLevel: ConfigLogLevel;
  /** The top-level `secrets:` map, resolved. */
  readonly secrets: ReadonlyMap<string, string>;
  /** Database passwords, resolved, keyed `<service>/<database name>`. Kept out of the Catalog so
   * that nothing which shows a service can show a password. */
  readonly databasePasswords: ReadonlyMap<string, string>;
  /** The directory of the provisioning templates, absolute (`provision.templates`). */
  readonly templatesDir: string;
  /** The cluster and namespace provisioned instances go to; undefined: Docker. */
  readonly provisionOn?: { readonly cluster: string; readonly namespace: string } | undefined;
  /** The Mattermost front end, secrets resolved; undefined when not configured. */
  readonly mattermost: MattermostConfig | undefined;
  /** The Matrix front end, secrets resolved; undefined when not configured. */
  readonly matrix: MatrixConfig | undefined;
  /** Engine, repository and password of backups, resolved; undefined when not configured. */
  readonly backup: BackupConfig | undefined;
  /** The Alertmanager receiver and alert routing, resolved; undefined when not configured. */
  readonly alerts: AlertsConfig | undefined;
  /** Clusters and the services on them (kubernetes.ts); empty maps when there are none. */
  readonly kubernetes: KubernetesConfig;
  /** Plugin requests and the commands that need approval (plugins-schema.ts). */
  readonly plugins: PluginsConfig;
}

export interface ConfigSource {
  /** The value of `--config`, if given. */
  readonly flag?: string;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /**
   * The commands of the registry (commands/index.ts): every command a role grants must be
   * one of them (role-commands.ts). `pes` and `pes doctor` always give them; absent, roles
   * are not checked.
   */
  readonly commands?: readonly KnownCommand[];
}

/** `--config` > PES_CONFIG > config/pes.yaml > config/pes.example.yaml, relative to cwd. */
export function resolveConfigPath(opts: ConfigSource): string {
  if (opts.flag !== undefined && opts.flag !== '') return resolve(opts.cwd, opts.flag);
  const fromEnv = opts.env['PES_CONFIG'];
  if (fromEnv !== undefined && fromEnv !== '') return resolve(opts.cwd, fromEnv);
  const local = resolve(opts.cwd, 'config/pes.yaml');
  return existsSync(local) ? local : resolve(opts.cwd, 'config/pes.example.yaml');
}

const readReasons: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'it is a directory',
};

function readConfigFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    const reason = readReasons[code] ?? (error instanceof Error ? error.message : String(error));
    throw new UserError('config-unreadable', { path, reason }, { cause: error });
  }
}

/**
 * The one-line `config-invalid` error. The yaml library's messages can hold line breaks
 * (an invalid escape sequence ends with one), and the error must stay one line.
 */
function invalidConfig(path: string, problems: readonly string[], cause?: unknown): UserError {
  const text = problems.map((problem) => problem.replace(/\s*[\r\n]+\s*/g, ' ').trim()).join('; ');
  return new UserError(
    'config-invalid',
    { path, problems: text },
    cause === undefined ? undefined : { cause },
  );
}

/** YAML → plain data; syntax errors carry their line and column. */
function parseYaml(path: string, text: string): unknown {
  const lineCounter = new LineCounter();
  // resolveKnownTags off: YAML 1.1 types (`!!binary`, `!!set`, `!!timestamp`) stay plain
  // strings and mappings, so the schema reports them like any other wrong value. logLevel
  // 'error': the library's warnings (a key that is a collection) would be printed by Node
  // beside the one line `pes` prints; what they are about is reported by the schema.
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    resolveKnownTags: false,
    logLevel: 'error',
  });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((error) => {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      return `line ${line}, column ${col}: ${error.message}`;
    });
    throw invalidConfig(path, problems);
  }
  // An empty file (or only comments) means "all defaults". toJS throws for an alias with
  // no anchor and for aliases that expand too far (the yaml library's guard against
  // "billion laughs" documents): that is the file's fault, so it is reported like one.
  try {
    return doc.toJS() ?? {};
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw invalidConfig(path, [reason], error);
  }
}

/** PES_PORT lets a deployment move the port without editing the file. */
function portFromEnv(env: NodeJS.ProcessEnv, problems: string[]): number | undefined {
  const raw = env['PES_PORT'];
  if (raw === undefined || raw === '') return undefined;
  const parsed = /^\d{1,5}$/.test(raw) ? portSchema.safeParse(Number(raw)) : undefined;
  if (parsed?.success === true) return parsed.data;
  problems.push(`PES_PORT: expected a port number 1..65535, got ${JSON.stringify(raw)}`);
  return undefined;
}

export function loadConfig(opts: ConfigSource & { readonly username?: string }): LoadedConfig {
  const path = resolveConfigPath(opts);
  const data = parseYaml(path, readConfigFile(path));

  // reportInput: the formatter tells a missing key ("required") from a wrong one.
  const result = configSchema.safeParse(data, { reportInput: true });
  const problems = result.success ? [] : formatIssues(result.error.issues);
  if (result.success && opts.commands !== undefined) {
    problems.push(...roleCommandProblems(result.data.roles, opts.commands));
    problems.push(...approvalCommandProblems(result.data.approvals, opts.commands));
  }
  // Kubeconfig files and contexts are checked only when the file itself is valid.
  const kubernetes = result.success
    ? resolveKubernetes(
        result.data.clusters,
        Object.fromEntries(
          Object.entries(result.data.services).flatMap(([name, def]) =>
            def.platform === 'kubernetes' ? [[name, def] as const] : [],
          ),
        ),
        dirname(path),
      )
    : undefined;
  problems.push(...(kubernetes?.problems ?? []));
  const envPort = portFromEnv(opts.env, problems);
  if (!result.success || kubernetes === undefined || problems.length > 0) {
    throw invalidConfig(path, problems);
  }
  const file = result.data;

  const built = buildCatalog(file, {
    configPath: path,
    configDir: dirname(path),
    env: opts.env,
    locale: file.locale ?? localeFromEnv(opts.env),
    username: opts.username ?? userInfo().username,
  });

  const mm = resolveMattermost(file.mattermost, {
    configPath: path,
    configDir: dirname(path),
    env: opts.env,
  });
  const mx = resolveMatrix(file.matrix, {
    configPath: path,
    configDir: dirname(path),
    env: opts.env,
  });
  const backup = resolveBackup(file.backup, {
    configPath: path,
    configDir: dirname(path),
    env: opts.env,
  });
  const alerts = resolveAlerts(file.alerts, {
    configPath: path,
    configDir: dirname(path),
    env: opts.env,
  });
  const metricsToken =
    file.server.metricsToken === undefined
      ? undefined
      : resolveSecret(file.server.metricsToken, 'server.metricsToken', {
          configPath: path,
          configDir: dirname(path),
          env: opts.env,
        });
  // Its tokens join the redaction list, so no message or log line can show them.
  const catalog = {
    ...built.catalog,
    ...(file.timeZone === undefined ? {} : { timeZone: file.timeZone }),
    secrets: [
      ...built.catalog.secrets,
      ...mm.secrets,
      ...mx.secrets,
      ...backup.secrets,
      ...alerts.secrets,
      ...kubernetes.secrets,
      ...(metricsToken === undefined ? [] : [metricsToken]),
    ],
  };

  const statePath =
    file.state.path === ':memory:' ? ':memory:' : resolve(opts.cwd, file.state.path);
  return {
    path,
    catalog,
    statePath,
    server: {
      host: file.server.host,
      port: envPort ?? file.server.port,
      metricsToken,
      stopGraceSeconds: file.server.stopGraceSeconds,
    },
    retention: file.state.retention,
    docker: { host: file.docker.host, pull: file.docker.pull },
    logLevel: file.log.level,
    secrets: built.secrets,
    databasePasswords: built.databasePasswords,
    // Like secret files: relative to the configuration file, so the bot finds its templates
    // whatever the working directory.
    templatesDir: resolve(dirname(path), file.provision.templates),
    provisionOn:
      file.provision.cluster === undefined || file.provision.namespace === undefined
        ? undefined
        : { cluster: file.provision.cluster, namespace: file.provision.namespace },
    mattermost: mm.settings,
    matrix: mx.settings,
    backup: backup.settings,
    alerts: alerts.settings,
    kubernetes: kubernetes.settings,
    plugins: resolvePlugins(file.plugins, file.approvals, file.rooms),
  };
}
