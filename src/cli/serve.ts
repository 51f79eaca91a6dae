/**
 * `pes serve`: the long-running bot. Starts the HTTP server, settles jobs a dead process
 * left behind, and on a TTY offers a chat-like prompt that goes through the same invocation
 * path a messenger uses.
 */
import { createInterface } from 'node:readline/promises';
import { createApp } from '../app.ts';
import { scheduleEntries, scheduleRoom } from '../backup/schedule-entries.ts';
import { BackupScheduler } from '../backup/schedules.ts';
import {
  joinNotes,
  partialBackupNotes,
  sweepPartialBackupsAtStart,
} from '../backup/sweep-partial.ts';
import { SqliteBackupLedger } from '../store/backup-repo.ts';
import { chatPorts, reportInterrupted } from './interrupted.ts';
import { leftStateDepsOf, leftStates } from './interrupted-state.ts';
import { scheduleOutput } from './schedule-output.ts';
import type { LoadedConfig } from '../config/load.ts';
import { decisionCode } from '../core/confirmation-story.ts';
import { exitCodes, isUserError } from '../core/errors.ts';
import type { Locale, Text } from '../core/i18n.ts';
import { localize } from '../core/i18n.ts';
import { routeConsole } from '../core/logger.ts';
import { renderForTerminal } from '../chat/terminal/render.ts';
import { promptConfirm, terminalSink } from '../chat/terminal/sink.ts';
import { startHttpServer } from '../server/http.ts';
import { mattermostRoutes } from '../server/mattermost-routes.ts';
import { metricsRoute } from '../server/metrics-route.ts';
import { startCheckpointer } from '../store/checkpointer.ts';
import { wireAlerts } from '../alerts/wire.ts';
import { isProcessAlive, SqliteJobStore } from '../store/jobs-repo.ts';
import { SqliteAuditLog } from '../store/audit-repo.ts';
import { startRetention } from '../store/retention-timer.ts';
import { flushOutbox, stopJobs } from './serve-stop.ts';
import { engineDownCodes, EngineState } from './engine-state.ts';
import { ClusterPorts } from '../platforms/kubernetes/cluster-ports.ts';

/** How long the start waits for the claim pods' sweep before it takes commands. */
const sweepLimitMs = 15_000;

/** Waits for `work` at most `ms`; the work goes on after it. */
async function withinLimit(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([work, limit]);
  } finally {
    clearTimeout(timer);
  }
}

const texts = {
  listening: {
    ru: 'pes-bot слушает http://{host}:{port}',
    en: 'pes-bot listening on http://{host}:{port}',
  },
  welcome: {
    ru: 'Введите команду (help — список, exit — выход).',
    en: 'Type a command (help for the list, exit to leave).',
  },
  badPort: { ru: 'Порт {port} недоступен: {reason}', en: 'Cannot listen on port {port}: {reason}' },
  hurry: {
    ru: 'Второй сигнал: бот больше не ждёт задачи и останавливается.',
    en: 'A second signal: the bot stops waiting for its jobs and stops now.',
  },
} as const;

/** How long the stop keeps sending what the outbox holds (after the jobs have settled). */
const flushMs = 10_000;

export async function serve(
  config: LoadedConfig,
  options: { lang: Locale | undefined; username: string },
): Promise<number> {
  // Loaded only with a token: prom-client and its collectors are no cost to a bot without.
  const metrics =
    config.server.metricsToken === undefined
      ? undefined
      : (await import('../metrics/serve-metrics.ts')).serveMetrics();
  const app = await createApp(config, metrics?.appOptions ?? {});
  // Libraries that write to the console (the Mattermost WebSocket client) go to the log:
  // stdout is the prompt's and the start lines'.
  routeConsole(app.log.child({ part: 'console' }));
  const locale = options.lang ?? config.catalog.locale;
  const say = (line: string): void => void process.stdout.write(line + '\n');
  const engine = new EngineState(app.docker.connection);

  const { mattermost, matrix } = app;
  // Messages nobody asked for (interrupted jobs, scheduled results) reach Mattermost and
  // Matrix rooms through the adapters' outboxes; queued now, they are sent once they start.
  // The progress posts of interrupted jobs, left at their last percentage by the process
  // that died, are edited through the same outboxes.
  const { announce, closeProgress } = chatPorts(mattermost, matrix);
  const interrupted = app.bot.recover(isProcessAlive);
  // Plugin jobs the bot died under: the site put back where that is safe, else what to run
  // (src/plugins/install/journal-recovery.ts). A note of a job interrupted now joins its
  // notice; one kept from an earlier start is said again here.
  const jobStore = new SqliteJobStore(app.db);
  const pluginNotes = await app.plugins
    .recoverJobs({
      platform: (service) => app.platform(service),
      running: (id) => jobStore.get(id)?.state === 'running',
    })
    .catch((error: unknown) => {
      app.log.error('plugin job recovery failed', { error });
      return new Map<number, Text>();
    });
  const interruptedIds = new Set(interrupted.map((job) => job.id));
  for (const [id, text] of pluginNotes) {
    if (!interruptedIds.has(id))
      say(
        renderForTerminal(
          { severity: 'warning', text: text[locale] },
          { colour: process.stdout.isTTY },
        ),
      );
  }
  reportInterrupted(interrupted, {
    say: (message) => say(renderForTerminal(message, { colour: process.stdout.isTTY })),
    locale,
    localeFor: (room) => app.bot.localeFor({ room: { id: room } }),
    announce,
    closeProgress,
    // What each job that changed a service left it as, read from the platform now; for a
    // backup cut short, that its partial snapshots were forgotten (src/backup/sweep-partial.ts).
    states: joinNotes(
      joinNotes(
        await leftStates(interrupted, leftStateDepsOf(app)),
        partialBackupNotes(await sweepPartialBackupsAtStart(config.backup, app.db, app.log)),
      ),
      new Map([...pluginNotes].filter(([id]) => interruptedIds.has(id))),
    ),
  });

  // Helpers of a bot that died mid-stream keep their volumes in use; an engine that is down
  // now is no reason not to start (the sweep is tried again at the next start).
  app.docker
    .removeLeftHelpers(isProcessAlive)
    .then((removed) => {
      if (removed > 0) app.log.info('removed helper containers left behind', { removed });
    })
    .catch((error: unknown) => {
      // An engine that is down is said once, in one line (engine-state.ts), not logged here.
      if (isUserError(error) && engineDownCodes.has(error.code)) return;
      app.log.warn('could not look for helper containers left behind', { error });
    });
  // The drills' scratch volumes of a process that is gone, by the same rule (scratch-sweep.ts).
  app.docker
    .removeLeftScratchVolumes(isProcessAlive)
    .then((removed) => {
      if (removed.length > 0) app.log.info('removed scratch volumes left behind', { removed });
    })
    .catch((error: unknown) => {
      if (isUserError(error) && engineDownCodes.has(error.code)) return;
      app.log.warn('could not look for scratch volumes left behind', { error });
    });

  // The same for the claim pods of a bot that died mid-backup (Kubernetes): only those of a
  // process that is gone (claim-pod.ts `claimPodLeft`), awaited before any command is taken
  // but for at most `sweepLimitMs`: a cluster that cannot be reached (or answers slowly) is no
  // reason not to start (the pods end by their activeDeadlineSeconds; a sweep still running
  // after the limit deletes nothing a job of this process made).
  // The drills' scratch claims too (of a process on this host that is gone only).
  const clusterPorts = new ClusterPorts(config.kubernetes.clusters);
  const services = [...config.catalog.services.values()];
  await withinLimit(
    Promise.all([
      clusterPorts
        .sweepClaimPods(services, isProcessAlive)
        .then((removed) => {
          if (removed.length > 0) app.log.info('removed claim pods left behind', { removed });
        })
        .catch((error: unknown) => {
          app.log.warn('could not look for claim pods left behind', {
            error: isUserError(error) ? error.text('en') : error,
          });
        }),
      clusterPorts
        .sweepScratchClaims(services, isProcessAlive)
        .then((removed) => {
          if (removed.length > 0) app.log.info('removed scratch claims left behind', { removed });
        })
        .catch((error: unknown) => {
          app.log.warn('could not look for scratch claims left behind', {
            error: isUserError(error) ? error.text('en') : error,
          });
        }),
    ]).then(() => undefined),
    sweepLimitMs,
  );

  // The Alertmanager receiver (alerts.path) and the delivery of alerts to their rooms.
  const alerts =
    config.alerts === undefined
      ? undefined
      : wireAlerts({
          config: config.alerts,
          db: app.db,
          bot: app.bot,
          mattermost: app.mattermost,
          mattermostSettings: config.mattermost,
          matrix: app.matrix,
          hub: app.alerts,
          log: app.log.child({ part: 'alerts' }),
        });
  metrics?.attach(app, alerts?.counters);
  let http;
  try {
    http = await startHttpServer({
      host: config.server.host,
      port: config.server.port,
      onError: (error) => app.log.error('http handler failed', { error }),
      routes: [
        ...(app.mattermost === undefined ? [] : mattermostRoutes(app.mattermost)),
        ...(alerts?.routes ?? []),
        ...(config.server.metricsToken === undefined || metrics === undefined
          ? []
          : [metricsRoute(config.server.metricsToken, metrics.registry)]),
      ],
      readiness: {
        check: async () => {
          app.db.prepare('SELECT 1').get();
          return { state: 'ok', ...(await engine.report()) };
        },
      },
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    process.stderr.write(
      `pes: ${localize(texts.badPort, locale, { port: config.server.port, reason })}\n`,
    );
    app.close();
    return exitCodes.usage;
  }
  // The first SIGINT/SIGTERM starts the stop; a second one cuts its wait short (see below).
  // Set before the bot says it listens: a signal that comes while it still starts its parts
  // must stop it gracefully too, not end it by the signal's default action.
  const hurry = new AbortController();
  const stopped = new Promise<void>((resolve) => {
    const first = (): void => {
      process.off('SIGINT', first);
      process.off('SIGTERM', first);
      const second = (): void => {
        say(localize(texts.hurry, locale));
        hurry.abort();
      };
      process.once('SIGINT', second);
      process.once('SIGTERM', second);
      resolve();
    };
    process.on('SIGINT', first);
    process.on('SIGTERM', first);
  });
  app.log.info('listening', { host: config.server.host, port: http.port });
  // From here on the commits of chat answers and alerts never wait for a checkpoint.
  const checkpointer = startCheckpointer(app.db, config.statePath, app.log);
  // Old finished rows go in small batches, never all at once (src/store/retention.ts).
  const retention = startRetention(app.db, config.retention, app.log.child({ part: 'retention' }));
  say(localize(texts.listening, locale, { host: config.server.host, port: http.port }));
  // Before the prompt: the line must not land on it. The bot runs on either way.
  await engine.announce(say, locale);
  app.mattermost?.start();
  app.matrix?.start();
  alerts?.delivery?.start();
  // Approval reminders and expiries (plugin requests, approvals.commands), once a minute.
  const approvalTimer = setInterval(() => {
    try {
      app.plugins.housekeeping();
    } catch (error) {
      app.log.error('approval housekeeping failed', { error });
    }
  }, 60_000);
  approvalTimer.unref();
  // Backups and drills on their cron schedules (services.<name>.backup.schedule / drill).
  const scheduler = new BackupScheduler({
    entries:
      config.backup === undefined ? [] : scheduleEntries(config.catalog, config.backup.prune),
    invoke: (invocation, sink) => app.bot.invoke(invocation, sink),
    ledger: new SqliteBackupLedger(app.db),
    log: app.log.child({ part: 'scheduler' }),
    room: scheduleRoom(config.catalog),
    locale,
    output: scheduleOutput(app.log, say, announce),
  });
  scheduler.start();

  if (process.stdin.isTTY) {
    const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: 'pes> ' });
    say(localize(texts.welcome, locale));
    const loop = (async () => {
      rl.prompt();
      for await (const line of rl) {
        const text = line.trim().replace(/^(?:\/?pes|!pes)\s+/u, '');
        if (text === 'exit' || text === 'quit' || text === 'выход') break;
        if (text !== '') {
          const sink = terminalSink({
            streams: { out: process.stdout, err: process.stderr },
            locale,
            json: false,
            confirm: promptConfirm(locale, rl),
          });
          try {
            const outcome = await app.bot.invoke(
              {
                actorId: `local:${options.username}`,
                displayName: options.username,
                room: { id: 'terminal' },
                source: 'terminal',
                text,
                locale,
              },
              sink,
            );
            sink.finish();
            say(renderForTerminal(outcome.message, { colour: process.stdout.isTTY }));
            // A decision on a prompt posted in a messenger edits that prompt there too.
            const code = decisionCode(text);
            if (code !== undefined) {
              mattermost?.settlePrompt(code);
              matrix?.settlePrompts();
            }
          } catch (error) {
            // invoke turns every failure into an outcome; this is the last guard for the prompt.
            app.log.error('prompt failed', { error: isUserError(error) ? error.code : error });
          }
        }
        rl.prompt();
      }
      rl.close();
    })();
    await Promise.race([stopped, loop]);
    rl.close();
  } else {
    await stopped;
  }
  // New commands are refused from here on (`bot-stopping`), while the messengers and the
  // HTTP server still answer them so; running jobs are cancelled and waited for.
  scheduler.stop();
  clearInterval(approvalTimer);
  retention.stop();
  const abandoned = await stopJobs({
    runner: app.bot.runner,
    jobs: new SqliteJobStore(app.db),
    audit: new SqliteAuditLog(app.db),
    db: app.db,
    log: app.log,
    graceMs: config.server.stopGraceSeconds * 1000,
    flushMs,
    hurry: hurry.signal,
    services: config.catalog.services,
    platform: (service) => app.platform(service),
    say: (message) => say(renderForTerminal(message, { colour: process.stdout.isTTY })),
    locale,
    localeFor: (room) => app.bot.localeFor({ room: { id: room } }),
    announce,
    closeProgress,
  });
  // What the jobs said last (their results, the interrupted notices) goes out now if it can.
  await flushOutbox({
    db: app.db,
    flushMs,
    hurry: hurry.signal,
    log: app.log,
    rooms: [
      ...(mattermost === undefined ? [] : ['mattermost:']),
      ...(matrix === undefined ? [] : ['matrix:']),
    ],
  });
  await alerts?.delivery?.stop();
  await app.mattermost?.stop();
  await app.matrix?.stop();
  await http.close();
  checkpointer.stop();
  app.close();
  if (abandoned.length > 0) {
    // A job left running still holds promises that would touch the closed database: the
    // process ends here, as the stop promised, rather than when that work gives up.
    process.exit(exitCodes.ok);
  }
  // Everything is stopped and saved. matrix-js-sdk leaves a referenced timer behind for
  // each request it made (its AbortSignal.timeout ponyfill; up to 80 s for a /sync), which
  // would keep the process alive that long: it may linger 2 s at most, then exits.
  setTimeout(() => process.exit(exitCodes.ok), 2000).unref();
  return exitCodes.ok;
}
