/**
 * restart and update of a 3-replica service: through the bot (the whole invocation path:
 * parse, permission, job, lock, audit, Docker API) against the same steps typed as `docker`
 * CLI commands, in the same run on the same engine. Prints medians, the ratio, and the peak
 * memory of this process (which holds the bot).
 *
 *   npm run bench            (starts the private engine through scripts/test-env.sh)
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Bot } from '../src/core/bot.ts';
import type { Catalog } from '../src/core/catalog.ts';
import { createLogger } from '../src/core/logger.ts';
import { Registry } from '../src/core/registry.ts';
import { commands } from '../commands/index.ts';
import { DockerPlatform } from '../src/platforms/docker/docker-platform.ts';
import { SqliteAuditLog } from '../src/store/audit-repo.ts';
import { SqliteConfirmationStore } from '../src/store/confirmations-repo.ts';
import { openDatabase } from '../src/store/database.ts';
import { SqliteJobStore } from '../src/store/jobs-repo.ts';

const run = promisify(execFile);
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 3);
const replicas = 3;
const project = `bench${process.pid}`;
// PID 1 ignores SIGTERM unless it handles it: without the trap every stop would wait out
// the full grace period and the benchmark would measure timeouts, not the bot.
const serviceCmd = ['sh', '-c', 'trap "exit 0" TERM; sleep 3600 & wait'];
const names = Array.from({ length: replicas }, (_, i) => `${project}-app-${i + 1}`);

async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run('docker', args);
  return stdout.trim();
}

async function waitHealthyCli(name: string): Promise<void> {
  for (;;) {
    const state = await docker('inspect', '--format', '{{.State.Health.Status}}', name);
    if (state === 'healthy') return;
    if (state === 'unhealthy') throw new Error(`${name} unhealthy`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function composeLabels(n: number): string[] {
  return [
    '--label',
    'pes.test=1',
    '--label',
    `com.docker.compose.project=${project}`,
    '--label',
    'com.docker.compose.service=app',
    '--label',
    `com.docker.compose.container-number=${n}`,
    '--label',
    'com.docker.compose.oneoff=False',
  ];
}

async function createService(tag: number): Promise<void> {
  for (const [i, name] of names.entries()) {
    await docker(
      'run',
      '-d',
      '--name',
      name,
      '--network',
      'none',
      '--log-driver',
      'none',
      ...composeLabels(i + 1),
      `pes-test/app:${tag}`,
      ...serviceCmd,
    );
  }
  await Promise.all(names.map(waitHealthyCli));
}

async function removeService(): Promise<void> {
  const ids = await docker('ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`);
  if (ids !== '') await docker('rm', '-f', ...ids.split('\n'));
}

/** The steps the bot takes for a rolling restart, one `docker` command at a time. */
async function cliRestart(): Promise<void> {
  for (const name of names) {
    await docker('restart', '-t', '10', name);
    await waitHealthyCli(name);
  }
}

/** The steps of a rolling update that keeps the old container until the new one is healthy. */
async function cliUpdate(tag: number): Promise<void> {
  for (const [i, name] of names.entries()) {
    await docker('rename', name, `${name}.old`);
    await docker('stop', '-t', '10', `${name}.old`);
    await docker(
      'run',
      '-d',
      '--name',
      name,
      '--network',
      'none',
      '--log-driver',
      'none',
      ...composeLabels(i + 1),
      `pes-test/app:${tag}`,
      ...serviceCmd,
    );
    await waitHealthyCli(name);
  }
  for (const name of names) await docker('rm', '-f', `${name}.old`);
}

function createBot(): Bot {
  const catalog: Catalog = {
    locale: 'en',
    services: new Map([
      [
        'app',
        {
          name: 'app',
          platform: 'docker',
          containers: { compose: { project, service: 'app' } },
          scale: { min: 1, max: 5 },
          health: { minRunning: 1, timeoutSeconds: 60 },
          volumes: [],
          databases: [],
        },
      ],
    ]),
    roles: [{ name: 'admin', members: ['local:bench'], commands: ['*'] }],
    rooms: [],
    secrets: [],
  };
  const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'pes-bench-')), 'pes.db'));
  const platform = new DockerPlatform({});
  return new Bot({
    catalog,
    registry: new Registry(commands),
    jobs: new SqliteJobStore(db),
    audit: new SqliteAuditLog(db),
    confirmations: new SqliteConfirmationStore(db),
    platform: () => platform,
    log: createLogger({ level: 'silent' }),
  });
}

async function botRun(bot: Bot, text: string): Promise<void> {
  const outcome = await bot.invoke(
    {
      actorId: 'local:bench',
      room: { id: 'terminal' },
      source: 'terminal',
      text,
      preconfirmed: true,
    },
    { reply: () => undefined, progress: () => undefined, confirm: { kind: 'refuse' } },
  );
  if (outcome.status !== 'ok')
    throw new Error(`${text}: ${outcome.message.text ?? outcome.status}`);
}

async function time(work: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function main(): Promise<void> {
  if (process.env['DOCKER_HOST'] === undefined)
    throw new Error('run through `npm run bench` (it starts the engine)');
  const bot = createBot();
  const results: { what: string; bot: number[]; cli: number[] }[] = [
    { what: `restart (${replicas} replicas)`, bot: [], cli: [] },
    { what: `update 1→2→1 (${replicas} replicas)`, bot: [], cli: [] },
  ];
  const [restart, update] = results;
  if (restart === undefined || update === undefined) return;
  await removeService();
  await createService(1);
  try {
    for (let round = 0; round < rounds; round++) {
      // Alternate the order so that neither side always runs on a warmer engine.
      const pairs: [() => Promise<void>, () => Promise<void>][] = [
        [
          async () => void restart.bot.push(await time(() => botRun(bot, 'restart app'))),
          async () => void restart.cli.push(await time(cliRestart)),
        ],
        [
          async () =>
            void update.bot.push(
              await time(async () => {
                await botRun(bot, 'update app 2');
                await botRun(bot, 'update app 1');
              }),
            ),
          async () =>
            void update.cli.push(
              await time(async () => {
                await cliUpdate(2);
                await cliUpdate(1);
              }),
            ),
        ],
      ];
      for (const [botSide, cliSide] of pairs) {
        if (round % 2 === 0) {
          await botSide();
          await cliSide();
        } else {
          await cliSide();
          await botSide();
        }
      }
    }
  } finally {
    await removeService();
  }
  console.log(`pes-bot benchmark: ${rounds} rounds, medians (docker CLI = baseline)`);
  console.log(
    'operation'.padEnd(32) +
      'bot ms'.padStart(10) +
      'docker CLI ms'.padStart(16) +
      'bot/CLI'.padStart(10),
  );
  for (const r of results) {
    const b = median(r.bot);
    const c = median(r.cli);
    console.log(
      r.what.padEnd(32) +
        b.toFixed(0).padStart(10) +
        c.toFixed(0).padStart(16) +
        (b / c).toFixed(2).padStart(10),
    );
  }
  console.log(
    `peak memory of the bot process (maxRSS): ${(process.resourceUsage().maxRSS / 1024).toFixed(1)} MiB`,
  );
}

await main();
