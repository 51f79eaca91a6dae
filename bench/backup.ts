/**
 * Backup and restore of a volume through the bot as a person runs it — `./pes serve` (the
 * launcher, its Node flags and everything it loads), the commands typed at its prompt on a
 * pseudo-terminal — against the same data piped by hand:
 * `docker run … tar c | restic backup --stdin` and `restic dump … | docker run … tar x`,
 * in the same run, on the same engine, each into a repository of its own. The bot's peak
 * memory is its own process's VmHWM (proc(5)): everything it loaded and every buffer, from
 * its start to the end of the round; the piped baseline runs in other processes.
 *
 *   npm run bench:backup            (through scripts/test-env.sh)
 *   BENCH_SIZES_MB=100 BENCH_ROUNDS=1 npm run bench:backup
 *
 * The bot's `restore` also takes a safety backup of the current state and stops and starts
 * the service; the baseline does neither. So two figures are printed for a restore: the
 * whole command, and its restore phase (from "restoring" to "starting"), which is what the
 * baseline does.
 */
import { spawn, execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort, ServeSession } from './serve-session.ts';
import { emptyingCommand } from '../src/platforms/docker/volume-stream.ts';

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

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The configuration a person would write for this service; the password by reference. */
function botConfig(container: string, volume: string, repository: string): string {
  return [
    'locale: en',
    'state: { path: state/pes.db }',
    'log: { level: warn }',
    'backup:',
    '  engine: restic',
    `  repository: ${JSON.stringify(repository)}`,
    "  password: '${PES_BENCH_PASSWORD}'",
    `  helperImage: ${busybox}`,
    'services:',
    '  bench:',
    `    containers: { names: [${JSON.stringify(container)}] }`,
    '    health: { minRunning: 1, timeoutSeconds: 120 }',
    `    volumes: [${JSON.stringify(volume)}]`,
    'roles:',
    "  admin: { members: ['local:@me'], commands: ['*'] }",
    '',
  ].join('\n');
}

/** With BENCH_TRACE=1: the bot's peak memory and CPU time so far, on stderr. */
function trace(what: string, bot: ServeSession): void {
  if (process.env['BENCH_TRACE'] !== '1') return;
  const { peakMb, cpuSeconds } = bot.usage();
  process.stderr.write(
    `${what}: bot peak RSS ${peakMb.toFixed(0)} MB, CPU ${cpuSeconds.toFixed(1)} s\n`,
  );
}

async function startBot(dir: string, config: string): Promise<ServeSession> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'pes.yaml');
  writeFileSync(file, config);
  const bot = new ServeSession([join(root, 'pes'), '--config', file, 'serve'], {
    cwd: dir,
    env: { ...process.env, PES_BENCH_PASSWORD: password, PES_PORT: String(await freePort()) },
  });
  try {
    await bot.started();
  } catch (error) {
    bot.kill();
    throw error;
  }
  return bot;
}

interface Round {
  readonly cliBackupMs: number;
  readonly botBackupMs: number;
  readonly cliRestoreMs: number;
  readonly botRestoreMs: number;
  readonly botRestorePhaseMs: number;
  readonly maxRssMb: number;
}

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
  const bot = await startBot(
    join(dir, `bot${round}.d`),
    botConfig(container, volume, join(dir, `bot${round}`)),
  );
  try {
    // Steady state: the repository exists (the bot creates it on its first use).
    await bot.run('backups bench', 'bench');

    const cliBackup = (): Promise<number> =>
      timed(() =>
        pipe(
          ['docker', helperArgs(volume, false, 'tar', 'c', '-f', '-', '-C', '/v', '.')],
          ['restic', ['-r', cliRepo, 'backup', '--stdin', '--stdin-filename', filename, '-q']],
          env,
        ),
      );
    const botBackup = async (): Promise<number> => {
      const ms = await timed(() => bot.run('backup bench', 'bench: backup done'));
      trace(`round ${round} backup`, bot);
      return ms;
    };
    const cliRestore = (): Promise<number> =>
      timed(async () => {
        // As the bot does: the volume is emptied first, then unpacked.
        await docker(...helperArgs(volume, false, ...emptyingCommand('/v')));
        await pipe(
          ['restic', ['-r', cliRepo, 'dump', 'latest', filename]],
          ['docker', helperArgs(volume, true, 'tar', 'x', '-f', '-', '-C', '/v')],
          env,
        );
      });
    let phaseMs = 0;
    const botRestore = (): Promise<number> =>
      timed(async () => {
        const from = bot.mark;
        bot.type('restore bench latest');
        await bot.waitFor('Proceed? [y/N]', from);
        // The phase markers are the progress lines the terminal shows as the steps change.
        const phaseStart = bot.waitFor('restoring volume:', bot.mark);
        const phaseEnd = bot.waitFor('starting the service', bot.mark);
        await bot.run('y', 'bench restored');
        phaseMs = (await phaseEnd) - (await phaseStart);
        trace(`round ${round} restore`, bot);
      });
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
    const maxRssMb = bot.usage().peakMb;
    await bot.exit();
    return {
      cliBackupMs,
      botBackupMs,
      cliRestoreMs,
      botRestoreMs,
      botRestorePhaseMs: phaseMs,
      maxRssMb,
    };
  } catch (error) {
    bot.kill();
    throw error;
  }
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
    const m = (key: Exclude<keyof Round, 'maxRssMb'>): number => median(results.map((r) => r[key]));
    return {
      sizeMb,
      cliBackupMs: m('cliBackupMs'),
      botBackupMs: m('botBackupMs'),
      cliRestoreMs: m('cliRestoreMs'),
      botRestoreMs: m('botRestoreMs'),
      botRestorePhaseMs: m('botRestorePhaseMs'),
      // The highest of the rounds: each round is a bot process of its own.
      maxRssMb: Math.max(...results.map((r) => r.maxRssMb)),
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
  const sizes = (process.env['BENCH_SIZES_MB'] ?? '100,1024').split(',').map(Number);
  const rounds = Number(process.env['BENCH_ROUNDS'] ?? 3);
  console.log(
    `backup & restore of a volume of random data, medians of ${rounds} rounds (BENCH_ROUNDS) ` +
      'on fresh repositories: piped restic vs the bot (./pes serve; ratio = bot / piped)',
  );
  for (const size of sizes) console.log(row(await measure(size, rounds)));
  console.log('targets: ratio ≤ 1.25 both ways, peak RSS of the bot process ≤ 150 MB');
}

await main();
