/**
 * Wires the pieces together for one process: state, platforms, commands, the bot. Shared by
 * the one-shot terminal command and `pes serve`.
 */
import type { DatabaseSync } from 'node:sqlite';
import { commands } from '../commands/index.ts';
import { createBackupEngine } from './backup/engines/factory.ts';
import { resolve } from 'node:path';
import { localRepositoryPath } from './backup/engines/restic-local.ts';
import { createBackupService } from './backup/wire.ts';
import { AlertmanagerClient } from './alerts/alertmanager-client.ts';
import { AlertsHub } from './alerts/port.ts';
import { MattermostAdapter } from './chat/mattermost/adapter.ts';
import { PeopleDirectory } from './chat/people/directory.ts';
import type { MatrixAdapter } from './chat/matrix/adapter.ts';
import { Bot } from './core/bot.ts';
import { UserError } from './core/errors.ts';
import { createLogger, makeRedactor, type Logger } from './core/logger.ts';
import type { BotMetrics } from './core/metrics-port.ts';
import type { ServiceDefinition } from './core/catalog.ts';
import type { Platform } from './core/platform.ts';
import { Registry } from './core/registry.ts';
import type { LoadedConfig } from './config/load.ts';
import { DockerPlatform } from './platforms/docker/docker-platform.ts';
import { ClusterPorts } from './platforms/kubernetes/cluster-ports.ts';
import { provisionOn } from './platforms/kubernetes/provision-route.ts';
import { DirectoryTemplateCatalog } from './provision/templates.ts';
import { SqliteAuditLog } from './store/audit-repo.ts';
import { SqliteBackupLedger } from './store/backup-repo.ts';
import { SqliteConfirmationStore } from './store/confirmations-repo.ts';
import { openDatabase } from './store/database.ts';
import { wirePlugins, type PluginWiring } from './plugins/wire.ts';
import { SqliteJobStore } from './store/jobs-repo.ts';

export interface App {
  readonly config: LoadedConfig;
  readonly bot: Bot;
  readonly db: DatabaseSync;
  readonly docker: DockerPlatform;
  /** The platform a service runs on: Docker, or its Kubernetes cluster. */
  platform(service: ServiceDefinition): Platform;
  readonly log: Logger;
  /** The Mattermost front end when configured; `pes serve` starts it. */
  readonly mattermost: MattermostAdapter | undefined;
  /** The Matrix front end when configured; `pes serve` starts it. */
  readonly matrix: MatrixAdapter | undefined;
  /** The alert commands' port; `pes serve` connects the alert delivery to it. */
  readonly alerts: AlertsHub;
  /** Plugin requests and command approvals; `pes serve` runs their housekeeping. */
  readonly plugins: PluginWiring;
  close(): void;
}

export async function createApp(
  config: LoadedConfig,
  options: {
    logLevel?: LoadedConfig['logLevel'] | 'silent';
    /** For /metrics (`pes serve` with `server.metricsToken`): commands and jobs. */
    metrics?: BotMetrics;
    /** Opens the Mattermost WebSocket, so /metrics can tell whether it is up. */
    mattermostSocket?: (url: string) => WebSocket;
  } = {},
): Promise<App> {
  const secrets = [
    ...config.catalog.secrets,
    ...config.secrets.values(),
    ...config.databasePasswords.values(),
  ];
  const log = createLogger({
    level: options.logLevel ?? config.logLevel,
    redact: makeRedactor(secrets),
  });
  const db = openState(config.statePath);
  const docker = new DockerPlatform({ host: config.docker.host, pull: config.docker.pull });
  const clusters = new ClusterPorts(config.kubernetes.clusters, {}, config.provisionOn);
  // Instances of `provision` go to the configured cluster, everything else of Docker stays.
  const onCluster = clusters.provisioning();
  const dockerSide = onCluster === undefined ? docker : provisionOn(docker, onCluster);
  const platform = (service: ServiceDefinition): Platform =>
    service.platform === 'kubernetes' ? clusters.for(service) : dockerSide;
  const backupLedger = new SqliteBackupLedger(db);
  if (config.backup !== undefined) {
    docker.helperImage = config.backup.helperImage;
    const local = localRepositoryPath(config.backup.repository);
    docker.engineHelper = {
      ...config.backup.engineHelper,
      // A repository on a path is mounted into the helper at the same path.
      repositoryPath: local === undefined ? undefined : resolve(local),
    };
  }
  const backups =
    config.backup === undefined
      ? undefined
      : createBackupService({
          engine: createBackupEngine(config.backup),
          ledger: backupLedger,
          log: log.child({ part: 'backup' }),
          platform,
          databasePasswords: config.databasePasswords,
          services: () => config.catalog.services.values(),
        });
  // The alert commands (alerts, silence, silences, unsilence) reach Alertmanager through this.
  const amUrl = config.alerts?.alertmanagerUrl;
  const alerts = new AlertsHub(amUrl === undefined ? undefined : new AlertmanagerClient(amUrl));
  // Names of people and rooms for what people read; each messenger adds its lookups to it.
  const people = new PeopleDirectory({ log: log.child({ part: 'people' }) });
  const plugins = wirePlugins({
    config: config.plugins,
    catalog: config.catalog,
    db,
    log: log.child({ part: 'plugins' }),
  });
  const bot = new Bot({
    catalog: config.catalog,
    registry: new Registry(commands),
    alerts,
    jobs: new SqliteJobStore(db),
    audit: new SqliteAuditLog(db),
    confirmations: new SqliteConfirmationStore(db),
    platform,
    templates: new DirectoryTemplateCatalog(config.templatesDir, config.secrets),
    ...(backups === undefined ? {} : { backups }),
    backupLedger,
    log,
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    people,
    ...(plugins.desk === undefined ? {} : { plugins: plugins.desk }),
    ...(plugins.approvals === undefined ? {} : { approvals: plugins.approvals }),
    ...(plugins.interpret === undefined ? {} : { interpret: plugins.interpret }),
  });
  // An approved plugin request installs through the bot's one path (a job, as the approver).
  plugins.attachInvoke((invocation, sink) => bot.invoke(invocation, sink));
  const mattermost =
    config.mattermost === undefined
      ? undefined
      : new MattermostAdapter({
          settings: config.mattermost,
          bot,
          db,
          people,
          log: log.child({ part: 'mattermost' }),
          ...(options.mattermostSocket === undefined
            ? {}
            : { newWebSocket: options.mattermostSocket }),
        });
  // Loaded only when configured: matrix-js-sdk and its crypto weigh ~40 MB of memory that
  // a bot without Matrix (and every one-shot `pes` command) should not carry.
  const matrix =
    config.matrix === undefined
      ? undefined
      : new (await import('./chat/matrix/adapter.ts')).MatrixAdapter({
          settings: config.matrix,
          bot,
          db,
          people,
          log: log.child({ part: 'matrix' }),
        });
  // Cards and the teachers' answers go out through the messengers configured.
  plugins.notices.attach({ mattermost, matrix });
  return {
    config,
    bot,
    db,
    docker,
    platform,
    log,
    mattermost,
    matrix,
    alerts,
    plugins,
    close: () => db.close(),
  };
}

/** The state database, or the one-line error a person can act on (path, permissions, lock). */
function openState(path: string): DatabaseSync {
  try {
    return openDatabase(path);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UserError('state-unavailable', { path, reason }, { cause: error });
  }
}
