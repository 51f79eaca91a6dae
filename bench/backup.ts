/**
 * Backup and restore of a volume through the bot (parse, permission, job, lock, audit, the
 * helper container, the manifest meter, restic) against the same data piped by hand:
 * `docker run … tar c | restic backup --stdin` and `restic dump … | docker run … tar x`,
 * in the same run, on the same engine, each into a repository of its own. Each size runs in
 * a child process of its own, so its peak RSS (`process.resourceUsage().maxRSS`) is the
 * bot's at that size alone; the piped baseline runs in other processes and is not counted.
 *
 *   npm run bench:backup            (through scripts/test-env.sh)
 *   BENCH_SIZES_MB=100 npm run bench:backup
 *
 * The bot's `restore` also takes a safety backup of the current state and stops and starts
 * the service; the baseline does neither. So two figures are printed for a restore: the
 * whole command, and its restore phase (from "restoring" to "starting"), which is what the
 * baseline does.
 */
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { commands } from '../commands/index.ts';
import { createBackupEngine } from '../src/backup/engines/factory.ts';
import { createBackupService } from '../src/backup/wire.ts';
import { Bot } from '../src/core/bot.ts';
import type { Catalog } from '../src/core/catalog.ts';
import type { ProgressUpdate } from '../src/core/invocation.ts';
import { createLogger } from '../src/core/logger.ts';
import { Registry } from '../src/core/registry.ts';
import { DockerPlatform } from '../src/platforms/docker/docker-platform.ts';
import { SqliteAuditLog } from '../src/store/audit-repo.ts';
import { SqliteBackupLedger } from '../src/store/backup-repo.ts';
import { SqliteConfirmationStore } from '../src/store/confirmations-repo.ts';
import { openDatabase } from '../src/store/database.ts';
import { SqliteJobStore } from '../src/store/jobs-repo.ts';

const run = promisify(execFile);
const busybox = 'pes-test/busybox:1';
const password = 'bench-password';
const filename = 'data.tar';

interface Figures {
  readonly sizeMb: number;
  readonly cliBackupMs: number;
  readonly botBackupMs: number;
  readonly cliRestoreMs: number;
  readonly botRestoreMs: number;
  readonly botRestorePhaseMs: number;
  readonly maxRssMb: number;
}

async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run('docker', args, { maxBuffer: 1 << 20 });
  return stdout.trim();
}

/** `docker run --rm` of busybox with the volume at /v, no network, no log of the stream. */
function helperArgs(volume: string, interactive: boolean, ...cmd: string[]): string[] {
  return [
    'run',
    '--rm',
    ...(interactive ? ['-i'] : []),
    '--network',
    'none',
    '--log-driver',
    'none',
    '--label',
    'pes.test=1',
    '-v',
    `${volume}:/v`,
    busybox,
    ...cmd,
  ];
}

/** Two processes joined by a pipe, as a shell's `a | b` would be, without a shell. */
async function pipe(
  left: readonly [string, readonly string[]],
  right: readonly [string, readonly string[]],
  env: NodeJS.ProcessEnv,
): Promise<void> {
  const a = spawn(left[0], left[1], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const b = spawn(right[0], right[1], { env, stdio: [a.stdout, 'ignore', 'inherit'] });
  const exit = (
    p: { once(event: 'exit', f: (code: number | null) => void): unknown },
    name: string,
  ): Promise<void> =>
    new Promise((resolve, reject) =>
      p.once('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`${name} exited ${code ?? '?'}`)),
      ),
    );
  await Promise.all([exit(a, left[0]), exit(b, right[0])]);
}

/** With BENCH_TRACE=1, the peak RSS so far, on stderr. */
function trace(what: string): void {
  if (process.env['BENCH_TRACE'] === '1') {
    process.stderr.write(
      `${what}: maxRSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB\n`,
    );
  }
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

function createBot(service: string, container: string, volume: string, repository: string): Bot {
  const catalog: Catalog = {
    locale: 'en',
    services: new Map([
      [
        service,
        {
          name: service,
          platform: 'docker',
          containers: { names: [container] },
          scale: { min: 1, max: 1 },
          health: { minRunning: 1, timeoutSeconds: 120 },
          volumes: [volume],
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
  platform.helperImage = busybox;
  const ledger = new SqliteBackupLedger(db);
  const backups = createBackupService({
    engine: createBackupEngine({
      engine: 'restic',
      repository,
      password,
      env: { RESTIC_CACHE_DIR: `${repository}.cache` },
    }),
    ledger,
    log: createLogger({ level: 'silent' }),
    platform: () => platform,
    databasePasswords: new Map(),
  });
  return new Bot({
    catalog,
    registry: new Registry(commands),
    jobs: new SqliteJobStore(db),
    audit: new SqliteAuditLog(db),
    confirmations: new SqliteConfirmationStore(db),
    platform: () => platform,
    backups,
    backupLedger: ledger,
    log: createLogger({ level: 'silent' }),
  });
}

async function invoke(
  bot: Bot,
  text: string,
  progress: (p: ProgressUpdate) => void,
): Promise<void> {
  const outcome = await bot.invoke(
    {
      actorId: 'local:bench',
      room: { id: 'terminal' },
      source: 'terminal',
      text,
      preconfirmed: true,
    },
    { reply: () => undefined, progress, confirm: { kind: 'refuse' } },
  );
  if (outcome.status !== 'ok')
    throw new Error(`${text}: ${outcome.message.text ?? outcome.status}`);
}

interface Round {
  readonly cliBackupMs: number;
  readonly botBackupMs: number;
  readonly cliRestoreMs: number;
  readonly botRestoreMs: number;
  readonly botRestorePhaseMs: number;
}

/** `find … -exec rm`: busybox's find has no -delete; the same as the bot's helper does. */
const emptyVolume = [
  'find',
  '/v',
  '-mindepth',
  '1',
  '-maxdepth',
  '1',
  '-exec',
  'rm',
  '-rf',
  '{}',
  '+',
];

/**
 * One round on fresh repositories (the first backup writes everything, as a first backup
 * does); which side goes first alternates, so neither always finds the page cache warm.
 */
async function measureRound(
  round: number,
  dir: string,
  volume: string,
  container: string,
  check: () => Promise<void>,
): Promise<Round> {
  const cliRepo = join(dir, `cli${round}`);
  const env = { ...process.env, RESTIC_PASSWORD: password, RESTIC_CACHE_DIR: `${cliRepo}.cache` };
  await run('restic', ['-r', cliRepo, 'init', '-q'], { env });
  const bot = createBot('bench', container, volume, join(dir, `bot${round}`));
  // Steady state: the repository exists (the bot creates it on its first use).
  await invoke(bot, 'backups bench', () => undefined);

  const cliBackup = (): Promise<number> =>
    timed(() =>
      pipe(
        ['docker', helperArgs(volume, false, 'tar', 'c', '-f', '-', '-C', '/v', '.')],
        ['restic', ['-r', cliRepo, 'backup', '--stdin', '--stdin-filename', filename, '-q']],
        env,
      ),
    );
  const botBackup = (): Promise<number> =>
    timed(() => invoke(bot, 'backup bench', () => undefined));
  const cliRestore = (): Promise<number> =>
    timed(async () => {
      // As the bot does: the volume is emptied first, then unpacked.
      await docker(...helperArgs(volume, false, ...emptyVolume));
      await pipe(
        ['restic', ['-r', cliRepo, 'dump', 'latest', filename]],
        ['docker', helperArgs(volume, true, 'tar', 'x', '-f', '-', '-C', '/v')],
        env,
      );
    });
  let phaseStart = 0;
  let phaseEnd = 0;
  const botRestore = (): Promise<number> =>
    timed(() =>
      invoke(bot, 'restore bench latest', (p) => {
        if (phaseStart === 0 && p.text.startsWith('restoring')) phaseStart = performance.now();
        if (phaseEnd === 0 && p.text.startsWith('starting')) phaseEnd = performance.now();
      }),
    );
  const cliFirst = round % 2 === 0;
  let cliBackupMs: number;
  let botBackupMs: number;
  if (cliFirst) {
    cliBackupMs = await cliBackup();
    botBackupMs = await botBackup();
  } else {
    botBackupMs = await botBackup();
    cliBackupMs = await cliBackup();
  }
  trace(`round ${round} after backups`);
  let cliRestoreMs: number;
  let botRestoreMs: number;
  if (cliFirst) {
    cliRestoreMs = await cliRestore();
    await check();
    botRestoreMs = await botRestore();
  } else {
    botRestoreMs = await botRestore();
    await check();
    cliRestoreMs = await cliRestore();
  }
  await check();
  trace(`round ${round} after restores`);
  return {
    cliBackupMs,
    botBackupMs,
    cliRestoreMs,
    botRestoreMs,
    botRestorePhaseMs: phaseEnd - phaseStart,
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? 0)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

async function measure(sizeMb: number, rounds: number): Promise<Figures> {
  const id = `pesbench${process.pid}`;
  const volume = `${id}-data`;
  const container = `${id}-app`;
  const dir = mkdtempSync(join(tmpdir(), 'pes-bench-backup-'));
  try {
    await docker('volume', 'create', '--label', 'pes.test=1', volume);
    await docker(
      ...helperArgs(
        volume,
        false,
        'dd',
        'if=/dev/urandom',
        'of=/v/blob',
        'bs=1048576',
        `count=${sizeMb}`,
      ),
    );
    const sum = (): Promise<string> => docker(...helperArgs(volume, false, 'md5sum', '/v/blob'));
    const original = await sum();
    const check = async (): Promise<void> => {
      if ((await sum()) !== original) throw new Error('a restore changed the data');
    };
    await docker(
      'run',
      '-d',
      '--name',
      container,
      '--network',
      'none',
      '--log-driver',
      'none',
      '--label',
      'pes.test=1',
      '-v',
      `${volume}:/data`,
      '--stop-timeout',
      '1',
      'pes-test/app:1',
    );
    const results: Round[] = [];
    for (let round = 0; round < rounds; round++) {
      results.push(await measureRound(round, dir, volume, container, check));
    }
    const m = (key: keyof Round): number => median(results.map((r) => r[key]));
    return {
      sizeMb,
      cliBackupMs: m('cliBackupMs'),
      botBackupMs: m('botBackupMs'),
      cliRestoreMs: m('cliRestoreMs'),
      botRestoreMs: m('botRestoreMs'),
      botRestorePhaseMs: m('botRestorePhaseMs'),
      maxRssMb: process.resourceUsage().maxRSS / 1024,
    };
  } finally {
    await docker('rm', '-f', container).catch(() => '');
    await docker('volume', 'rm', '-f', volume).catch(() => '');
    rmSync(dir, { recursive: true, force: true });
  }
}

function row(f: Figures): string {
  const s = (ms: number): string => (ms / 1000).toFixed(1).padStart(6);
  const r = (a: number, b: number): string => (a / b).toFixed(2).padStart(5);
  return [
    `${String(f.sizeMb).padStart(5)} MB`,
    `backup ${s(f.cliBackupMs)} s piped / ${s(f.botBackupMs)} s bot = ${r(f.botBackupMs, f.cliBackupMs)}`,
    `restore ${s(f.cliRestoreMs)} s piped / ${s(f.botRestorePhaseMs)} s bot phase = ${r(f.botRestorePhaseMs, f.cliRestoreMs)}` +
      ` (whole command ${s(f.botRestoreMs)} s = ${r(f.botRestoreMs, f.cliRestoreMs)})`,
    `peak RSS ${f.maxRssMb.toFixed(0).padStart(4)} MB`,
  ].join(' | ');
}

async function main(): Promise<void> {
  const sizeArg = process.argv.indexOf('--size');
  if (sizeArg >= 0) {
    // A child: one size, figures as one JSON line on stdout.
    const rounds = Number(process.env['BENCH_ROUNDS'] ?? 3);
    const figures = await measure(Number(process.argv[sizeArg + 1]), rounds);
    process.stdout.write(JSON.stringify(figures) + '\n');
    return;
  }
  const sizes = (process.env['BENCH_SIZES_MB'] ?? '100,1024').split(',').map(Number);
  console.log(
    'backup & restore of a volume of random data, medians of BENCH_ROUNDS (default 3) rounds ' +
      'on fresh repositories: piped restic vs the bot (ratio = bot / piped)',
  );
  for (const size of sizes) {
    const { stdout } = await run(
      process.execPath,
      [
        '--disable-warning=ExperimentalWarning',
        process.argv[1] ?? 'bench/backup.ts',
        '--size',
        String(size),
      ],
      { maxBuffer: 1 << 20 },
    );
    console.log(row(JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Figures));
  }
  console.log('targets: ratio ≤ 1.25 both ways, peak RSS ≤ 150 MB');
}

await main();
