/**
 * `pes serve`: the long-running bot. Starts the HTTP server, settles jobs a dead process
 * left behind, and on a TTY offers a chat-like prompt that goes through the same invocation
 * path a messenger uses.
 */
import { createInterface } from 'node:readline/promises';
import { createApp } from '../app.ts';
import { scheduleEntries, scheduleRoom } from '../backup/schedule-entries.ts';
import { BackupScheduler } from '../backup/schedules.ts';
import { SqliteBackupLedger } from '../store/backup-repo.ts';
import { reportInterrupted, type Announce } from './interrupted.ts';
import { leftStateDepsOf, leftStates } from './interrupted-state.ts';
import { scheduleOutput } from './schedule-output.ts';
import type { LoadedConfig } from '../config/load.ts';
import { exitCodes, isUserError } from '../core/errors.ts';
import type { Locale } from '../core/i18n.ts';
import { localize } from '../core/i18n.ts';
import { renderForTerminal } from '../chat/terminal/render.ts';
import { promptConfirm, terminalSink } from '../chat/terminal/sink.ts';
import { startHttpServer } from '../server/http.ts';
import { mattermostRoutes } from '../server/mattermost-routes.ts';
import { metricsRoute } from '../server/metrics-route.ts';
import { storeGauges } from '../store/gauges.ts';
import { startCheckpointer } from '../store/checkpointer.ts';
import { wireAlerts } from '../alerts/wire.ts';
import { isProcessAlive } from '../store/jobs-repo.ts';

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
} as const;

export async function serve(
  config: LoadedConfig,
  options: { lang: Locale | undefined; username: string },
): Promise<number> {
  const app = await createApp(config);
  const locale = options.lang ?? config.catalog.locale;
  const say = (line: string): void => void process.stdout.write(line + '\n');

  const { mattermost, matrix } = app;
  // Messages nobody asked for (interrupted jobs, scheduled results) reach Mattermost and
  // Matrix rooms through the adapters' outboxes; queued now, they are sent once they start.
  const announce: Announce | undefined =
    mattermost === undefined && matrix === undefined
      ? undefined
      : (room, message, key) =>
          room.startsWith('matrix:')
            ? (matrix?.announce(room, message, key) ?? false)
            : (mattermost?.announce(room, message, key) ?? false);
  const interrupted = app.bot.recover(isProcessAlive);
  reportInterrupted(interrupted, {
    say: (message) => say(renderForTerminal(message, { colour: process.stdout.isTTY })),
    locale,
    localeFor: (room) => app.bot.localeFor({ room: { id: room } }),
    announce,
    // What each job that changed a service left it as, read from the platform now.
    states: await leftStates(interrupted, leftStateDepsOf(app)),
  });

  // Helpers of a bot that died mid-stream keep their volumes in use; an engine that is down
  // now is no reason not to start (the sweep is tried again at the next start).
  app.docker
    .removeLeftHelpers(isProcessAlive)
    .then((removed) => {
      if (removed > 0) app.log.info('removed helper containers left behind', { removed });
    })
    .catch((error: unknown) => {
      app.log.warn('could not look for helper containers left behind', { error });
    });

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
  let http;
  try {
    http = await startHttpServer({
      host: config.server.host,
      port: config.server.port,
      onError: (error) => app.log.error('http handler failed', { error }),
      routes: [
        ...(app.mattermost === undefined ? [] : mattermostRoutes(app.mattermost)),
        ...(alerts?.routes ?? []),
        ...(config.server.metricsToken === undefined
          ? []
          : [
              metricsRoute(config.server.metricsToken, [
                storeGauges(app.db),
                ...(alerts === undefined ? [] : [() => alerts.counters.exposition()]),
              ]),
            ]),
      ],
      readiness: {
        check: () => {
          app.db.prepare('SELECT 1').get();
          return Promise.resolve({ state: 'ok' });
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
  app.log.info('listening', { host: config.server.host, port: http.port });
  // From here on the commits of chat answers and alerts never wait for a checkpoint.
  const checkpointer = startCheckpointer(app.db, config.statePath, app.log);
  say(localize(texts.listening, locale, { host: config.server.host, port: http.port }));
  app.mattermost?.start();
  app.matrix?.start();
  alerts?.delivery?.start();
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

  const stopped = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });

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
  scheduler.stop();
  await alerts?.delivery?.stop();
  await app.mattermost?.stop();
  await app.matrix?.stop();
  await http.close();
  checkpointer.stop();
  app.close();
  // Everything is stopped and saved. matrix-js-sdk leaves a referenced timer behind for
  // each request it made (its AbortSignal.timeout ponyfill; up to 80 s for a /sync), which
  // would keep the process alive that long: it may linger 2 s at most, then exits.
  setTimeout(() => process.exit(exitCodes.ok), 2000).unref();
  return exitCodes.ok;
}
