/**
 * File-level backup and restore of a volume through the bot as a person runs it — `./pes
 * serve` (the launcher, its Node flags and everything it loads), the commands typed at its
 * prompt on a pseudo-terminal — against the physical limit: the same engine run by hand on
 * the same volume's directory (the engine's `Mountpoint`), in the same run, on the same
 * machine, each into a repository of its own:
 *
 *   by hand  cd <mountpoint> && restic backup .        (first, again with nothing changed, and
 *                                                       again after 1 % of the files changed)
 *            empty <mountpoint>; restic restore latest --target <mountpoint>
 *            restic restore latest --target <mountpoint> --include /<one file>
 *   borg     the same with `borg create ::<name> .` and `borg extract` in the mount point.
 *
 * The bot's `restore` also takes a safety backup of the current state and stops and starts
 * the service; by hand does neither. So a restore's figure is its restore phase (from
 * "restoring" to "starting", the progress lines the terminal shows), and the whole command
 * is printed beside it. The bot's peak memory is its own process's VmHWM (proc(5)), read
 * after each phase so that the phase that raised it shows; the engine runs in processes of
 * its own, and the engine's peak by hand is GNU time's maximum resident size.
 *
 * Sizes: 1 GB by default; 10 GB on request (a few minutes per engine and ~30 GB of disk for
 * the volume and the two repositories). 500 files per GB unless BENCH_FILES says otherwise.
 *
 *   npm run bench:backup            (through scripts/test-env.sh; needs root for the mount point)
 *   BENCH_SIZES=1G,10G BENCH_ENGINES=restic,borg npm run bench:backup
 *   BENCH_SIZES_MB=1024 BENCH_FILES=500 npm run bench:backup      (sizes in MB, as before)
 *   BENCH_ROUNDS=5 npm run bench:backup      (rounds of every step; 3)
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort, ServeSession } from './serve-session.ts';

const runFile = promisify(execFile);
const busybox = 'pes-test/busybox:1';
const password = 'bench-password';
type Engine = 'restic' | 'borg';

interface Figures {
  readonly engine: Engine;
  readonly sizeMb: number;
  readonly files: number;
  /** How many times each step after the first backup was taken; the figures are medians. */
  readonly rounds: number;
  readonly hand: Phases;
  readonly bot: Phases;
  /** The files rewritten before each run's third backup, and their bytes. */
  readonly changedFiles: number;
  readonly changedMb: number;
  /** The engine's own peak memory by hand (MB), the largest of its runs. */
  readonly handEngineMb: number;
  /** The bot's peak memory after each phase (VmHWM only grows: the phase that raised it). */
  readonly botPeaks: ReadonlyArray<readonly [string, number]>;
  /** The whole `restore` commands of the bot (safety backup, stop, start, health). */
  readonly botRestoreWholeMs: number;
  readonly botSingleWholeMs: number;
  readonly maxRssMb: number;
  /** What the bot had resident by kind after it started, and at the end. */
  readonly resident: { readonly start: Resident; readonly end: Resident };
}

interface Resident {
  readonly anonMb: number;
  readonly fileMb: number;
  readonly shmemMb: number;
}

interface Phases {
  readonly firstMs: number;
  readonly nextMs: number;
  readonly changedMs: number;
  readonly restoreMs: number;
  readonly singleMs: number;
}

async function docker(...args: string[]): Promise<string> {
  const { stdout } = await runFile('docker', args, { maxBuffer: 1 << 20 });
  return stdout.trim();
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The configuration a person would write for this service; the password by reference. */
function botConfig(engine: Engine, container: string, volume: string, repo: string): string {
  return [
    'locale: en',
    'state: { path: state/pes.db }',
    'log: { level: warn }',
    'backup:',
    `  engine: ${engine}`,
    `  repository: ${JSON.stringify(repo)}`,
    "  password: '${PES_BENCH_PASSWORD}'",
    `  helperImage: ${busybox}`,
    // Engine variables are secret references too: the cache's path comes from the environment.
    '  env:',
    engine === 'restic'
      ? "    RESTIC_CACHE_DIR: '${PES_BENCH_CACHE}'"
      : "    BORG_BASE_DIR: '${PES_BENCH_CACHE}'",
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

async function startBot(dir: string, config: string, cache: string): Promise<ServeSession> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'pes.yaml');
  writeFileSync(file, config);
  const env = {
    ...process.env,
    PES_BENCH_PASSWORD: password,
    PES_BENCH_CACHE: cache,
    PES_PORT: String(await freePort()),
  };
  // As an installed bot starts: Node's compile cache (bin/pes.js) holds every module already
  // stripped of its types. In a checkout being edited, a file changed since its last start
  // misses the cache, and Node then loads its type stripper, whose memory stays (~15 MB
  // more resident, measured here). `help` loads the same modules as `serve`.
  await runFile(join(root, 'pes'), ['--config', file, 'help'], { cwd: dir, env });
  const bot = new ServeSession([join(root, 'pes'), '--config', file, 'serve'], {
    cwd: dir,
    env,
  });
  try {
    await bot.started();
  } catch (error) {
    bot.kill();
    throw error;
  }
  return bot;
}

function emptyDir(dir: string): void {
  for (const name of readdirSync(dir)) rmSync(join(dir, name), { recursive: true, force: true });
}

/** The engine by hand, in the volume's directory, as its documentation shows it. */
function byHand(engine: Engine, repo: string, mountpoint: string) {
  const env =
    engine === 'restic'
      ? { ...process.env, RESTIC_PASSWORD: password, RESTIC_CACHE_DIR: `${repo}.cache` }
      : { ...process.env, BORG_PASSPHRASE: password, BORG_BASE_DIR: `${repo}.base` };
  let n = 0;
  const opts = { env, cwd: mountpoint, maxBuffer: 1 << 24 };
  let peakKb = 0;
  // GNU time prints the maximum resident size (KB) of the engine as the last stderr line.
  const run = async (program: string, args: string[], o: typeof opts) => {
    const out = await runFile('/usr/bin/time', ['-f', '%M', program, ...args], o);
    const kb = Number(out.stderr.trim().split('\n').at(-1));
    if (Number.isFinite(kb)) peakKb = Math.max(peakKb, kb);
    return out;
  };
  return {
    peakMb: () => peakKb / 1024,
    init: () =>
      engine === 'restic'
        ? run('restic', ['-r', repo, 'init', '-q'], opts)
        : run('borg', ['init', '-e', 'repokey-blake2', repo], opts),
    backup: () =>
      engine === 'restic'
        ? run('restic', ['-r', repo, 'backup', '-q', '.'], opts)
        : run('borg', ['create', `${repo}::a${n++}`, '.'], opts),
    restore: (include?: string) => {
      if (engine === 'restic') {
        const args = ['-r', repo, 'restore', 'latest', '--target', mountpoint, '-q'];
        return run(
          'restic',
          include === undefined ? args : [...args, '--include', `/${include}`],
          opts,
        );
      }
      const args = ['extract', `${repo}::a${n - 1}`];
      return run('borg', include === undefined ? args : [...args, `pp:${include}`], opts);
    },
  };
}

/** Rewrites 1 % of the files (at least one) with new random bytes of the same size. */
async function changeOnePercent(
  helper: (...cmd: string[]) => Promise<string>,
  files: number,
  perFileKb: number,
  round: number,
): Promise<{ files: number; mb: number }> {
  const step = 100;
  const count = Math.max(1, Math.floor(files / step));
  await helper(
    'sh',
    '-c',
    `i=${round}; while [ $i -lt ${files} ]; do ` +
      `dd if=/dev/urandom of=/v/d$((i % 20))/f$i bs=1024 count=${perFileKb} conv=notrunc 2>/dev/null; ` +
      `i=$((i+${step})); done`,
  );
  return { files: count, mb: (count * perFileKb) / 1024 };
}

/** Writes dirty pages out, so that no step pays for the one before. */
async function flush(): Promise<void> {
  await runFile('sync', []);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? 0)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

async function measure(
  engine: Engine,
  sizeMb: number,
  files: number,
  rounds: number,
): Promise<Figures> {
  const id = `pesbench${process.pid}${engine}`;
  const volume = `${id}-data`;
  const container = `${id}-app`;
  const dir = mkdtempSync(join(tmpdir(), 'pes-bench-backup-'));
  const helper = (...cmd: string[]): Promise<string> =>
    docker(
      'run',
      '--rm',
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
    );
  try {
    await docker('volume', 'create', '--label', 'pes.test=1', volume);
    const mountpoint = await docker('volume', 'inspect', '-f', '{{.Mountpoint}}', volume);
    const perFileKb = Math.max(1, Math.floor((sizeMb * 1024) / files));
    await helper(
      'sh',
      '-c',
      `i=0; while [ $i -lt ${files} ]; do mkdir -p /v/d$((i % 20)); ` +
        `dd if=/dev/urandom of=/v/d$((i % 20))/f$i bs=1024 count=${perFileKb} 2>/dev/null; i=$((i+1)); done`,
    );
    const one = 'd7/f7';
    const sum = (): Promise<string> =>
      helper('sh', '-c', 'cd /v && find . -type f | sort | xargs md5sum | md5sum');
    let original = await sum();
    const check = async (what: string): Promise<void> => {
      if ((await sum()) !== original) throw new Error(`${what} changed the data`);
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

    // Each on its own repository; the page cache is warm for both after the data was written
    // and summed. Every step is taken `rounds` times, by hand and by the bot in turn (the order swapped every round, so that neither
    // always meets the other's after-effects), each after a `sync`, and the median is kept.
    // The first backup is taken `rounds` times as well, each into new repositories, so that
    // each is a first one: the first round's in the run below, every other one here, by a
    // bot started for it alone, the order swapped every round. One first backup alone was
    // not a figure: borg's varied by a third from one run to the next.
    const firsts = { hand: [] as number[], bot: [] as number[] };
    for (let round = 1; round < rounds; round++) {
      const base = join(dir, `first-${round}`);
      mkdirSync(base);
      const handSide = async (): Promise<void> => {
        const once = byHand(engine, join(base, 'hand'), mountpoint);
        await once.init();
        await flush();
        firsts.hand.push(await timed(() => once.backup()));
      };
      const botSide = async (): Promise<void> => {
        const once = await startBot(
          join(base, 'bot.d'),
          botConfig(engine, container, volume, join(base, 'bot')),
          join(base, engine === 'restic' ? 'bot.cache' : 'bot.base'),
        );
        try {
          await once.run('backups bench', 'bench');
          await flush();
          firsts.bot.push(await timed(() => once.run('backup bench', 'bench: backup done')));
        } finally {
          await once.exit();
        }
      };
      for (const side of round % 2 === 1 ? [botSide, handSide] : [handSide, botSide]) {
        await side();
      }
      rmSync(base, { recursive: true, force: true });
    }

    const hand = byHand(engine, join(dir, 'hand'), mountpoint);
    await hand.init();
    await flush();
    const handFirst = await timed(() => hand.backup());

    const bot = await startBot(
      join(dir, 'bot.d'),
      botConfig(engine, container, volume, join(dir, 'bot')),
      join(dir, engine === 'restic' ? 'bot.cache' : 'bot.base'),
    );
    const botPeaks: Array<[string, number]> = [];
    let startResident: Resident | undefined;
    const peak = (phase: string): void => {
      botPeaks.push([phase, bot.usage().peakMb]);
    };
    try {
      // Steady state: the repository exists (the bot creates it on its first use).
      await bot.run('backups bench', 'bench');
      peak('started');
      startResident = bot.usage().resident;
      await flush();
      const botFirst = await timed(() => bot.run('backup bench', 'bench: backup done'));
      peak('first backup');
      const restore = async (line: string): Promise<{ whole: number; phase: number }> => {
        let phase = 0;
        const whole = await timed(async () => {
          const from = bot.mark;
          bot.type(line);
          await bot.waitFor('Proceed? [y/N]', from);
          const phaseStart = bot.waitFor('restoring volume:', bot.mark);
          const phaseEnd = bot.waitFor('starting the service', bot.mark);
          await bot.run('y', 'bench restored');
          phase = (await phaseEnd) - (await phaseStart);
        });
        return { whole, phase };
      };
      const steps = {
        next: { hand: [] as number[], bot: [] as number[] },
        changed: { hand: [] as number[], bot: [] as number[] },
        restore: { hand: [] as number[], bot: [] as number[], whole: [] as number[] },
        single: { hand: [] as number[], bot: [] as number[], whole: [] as number[] },
      };
      let changed = { files: 0, mb: 0 };
      /** Both sides of one step, in this round's order, each after a sync. */
      const both = async (
        round: number,
        byHandStep: () => Promise<void>,
        botStep: () => Promise<void>,
      ) => {
        const order = round % 2 === 0 ? [byHandStep, botStep] : [botStep, byHandStep];
        for (const step of order) {
          await flush();
          await step();
        }
      };
      for (let round = 0; round < rounds; round++) {
        // The restores of the round before rewrote every file (new inodes and times), which
        // the engines' file caches see as changed: one backup each, not measured, so that
        // "unchanged" is unchanged for both.
        if (round > 0) {
          await hand.backup();
          await bot.run('backup bench', 'bench: backup done');
        }
        await both(
          round,
          async () => void steps.next.hand.push(await timed(() => hand.backup())),
          async () =>
            void steps.next.bot.push(
              await timed(() => bot.run('backup bench', 'bench: backup done')),
            ),
        );
        peak(`next backup ${round + 1}`);
        changed = await changeOnePercent(helper, files, perFileKb, round + 1);
        original = await sum();
        await both(
          round,
          async () => void steps.changed.hand.push(await timed(() => hand.backup())),
          async () =>
            void steps.changed.bot.push(
              await timed(() => bot.run('backup bench', 'bench: backup done')),
            ),
        );
        peak(`1 % changed ${round + 1}`);
        await both(
          round,
          async () => {
            steps.restore.hand.push(
              await timed(async () => {
                emptyDir(mountpoint);
                await hand.restore();
              }),
            );
            await check('the restore by hand');
          },
          async () => {
            const full = await restore('restore bench latest');
            steps.restore.bot.push(full.phase);
            steps.restore.whole.push(full.whole);
            await check('the bot’s restore');
          },
        );
        peak(`full restore ${round + 1}`);
        await both(
          round,
          async () => {
            steps.single.hand.push(
              await timed(async () => {
                rmSync(join(mountpoint, one));
                await hand.restore(one);
              }),
            );
            await check('the single-file restore by hand');
          },
          async () => {
            rmSync(join(mountpoint, one));
            const single = await restore(`restore bench latest --path ${one}`);
            steps.single.bot.push(single.phase);
            steps.single.whole.push(single.whole);
            await check('the bot’s single-file restore');
          },
        );
        peak(`single-file restore ${round + 1}`);
      }
      const end = bot.usage();
      const maxRssMb = end.peakMb;
      await bot.exit();
      return {
        engine,
        sizeMb,
        files,
        rounds,
        hand: {
          firstMs: median([handFirst, ...firsts.hand]),
          nextMs: median(steps.next.hand),
          changedMs: median(steps.changed.hand),
          restoreMs: median(steps.restore.hand),
          singleMs: median(steps.single.hand),
        },
        bot: {
          firstMs: median([botFirst, ...firsts.bot]),
          nextMs: median(steps.next.bot),
          changedMs: median(steps.changed.bot),
          restoreMs: median(steps.restore.bot),
          singleMs: median(steps.single.bot),
        },
        changedFiles: changed.files,
        changedMb: changed.mb,
        handEngineMb: hand.peakMb(),
        botPeaks,
        botRestoreWholeMs: median(steps.restore.whole),
        botSingleWholeMs: median(steps.single.whole),
        maxRssMb,
        resident: { start: startResident ?? end.resident, end: end.resident },
      };
    } catch (error) {
      bot.kill();
      throw error;
    }
  } finally {
    await docker('rm', '-f', container).catch(() => '');
    await docker('volume', 'rm', '-f', volume).catch(() => '');
    rmSync(dir, { recursive: true, force: true });
  }
}

function kinds(r: Resident): string {
  return `${r.anonMb.toFixed(1)} / ${r.fileMb.toFixed(1)} / ${r.shmemMb.toFixed(1)} MB`;
}

function verdict(ok: boolean): string {
  return ok ? 'PASS' : 'MISS';
}

function report(f: Figures): string[] {
  const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
  const line = (what: string, hand: number, bot: number, limit: number): string =>
    `  ${what.padEnd(24)} by hand ${s(hand).padStart(8)} | bot ${s(bot).padStart(8)} | ` +
    `${(bot / hand).toFixed(2)}× (target ≤ ${limit}×) ${verdict(bot <= hand * limit)}`;
  return [
    `${f.engine}, ${f.sizeMb} MB in ${f.files} files (medians of ${f.rounds} alternating rounds; each first backup into new repositories):`,
    line('first backup', f.hand.firstMs, f.bot.firstMs, 1.2),
    line('next backup, unchanged', f.hand.nextMs, f.bot.nextMs, 1.3),
    `  ${'next, 1 % changed'.padEnd(24)} by hand ${s(f.hand.changedMs).padStart(8)} | bot ` +
      `${s(f.bot.changedMs).padStart(8)} | ${(f.bot.changedMs / f.hand.changedMs).toFixed(2)}× ` +
      `(${f.changedFiles} files, ${f.changedMb.toFixed(0)} MB rewritten)`,
    line('full restore (phase)', f.hand.restoreMs, f.bot.restoreMs, 1.2) +
      ` — whole command ${s(f.botRestoreWholeMs)}`,
    `  ${'single-file restore'.padEnd(24)} by hand ${s(f.hand.singleMs).padStart(8)} | bot ` +
      `${s(f.bot.singleMs).padStart(8)} (target ≤ 3 s) ${verdict(f.bot.singleMs <= 3000)}` +
      ` — whole command ${s(f.botSingleWholeMs)}`,
    `  bot peak RSS ${f.maxRssMb.toFixed(1)} MB (target ≤ 120 MB) ${verdict(f.maxRssMb <= 120)}` +
      ` — after ${f.botPeaks.map(([p, mb]) => `${p} ${mb.toFixed(0)}`).join(', ')}`,
    `  bot resident now, anonymous / file-backed / shared: after started ${kinds(f.resident.start)}, ` +
      `at the end ${kinds(f.resident.end)}`,
    `  engine peak RSS by hand ${f.handEngineMb.toFixed(0)} MB (its own processes)`,
  ];
}

/** `1G,10G` or `1024,10240` (MB). */
function parseSizes(text: string): number[] {
  return text.split(',').map((item) => {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([GgMm]?)[Bb]?\s*$/.exec(item);
    if (m === null) throw new Error(`BENCH_SIZES: not a size: ${item}`);
    const value = Number(m[1]);
    return Math.round((m[2] ?? '').toUpperCase() === 'G' ? value * 1024 : value);
  });
}

async function main(): Promise<void> {
  const sizes = parseSizes(process.env['BENCH_SIZES'] ?? process.env['BENCH_SIZES_MB'] ?? '1G');
  const filesFor = (sizeMb: number): number =>
    process.env['BENCH_FILES'] !== undefined
      ? Number(process.env['BENCH_FILES'])
      : Math.max(100, Math.round((500 * sizeMb) / 1024));
  const engines = (process.env['BENCH_ENGINES'] ?? 'restic,borg').split(',') as Engine[];
  const rounds = Number(process.env['BENCH_ROUNDS'] ?? '3');
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('BENCH_ROUNDS: a whole number ≥ 1');
  if (process.getuid?.() !== 0) {
    console.log('needs root: the engines read the volume’s mount point, as the bot does');
    process.exitCode = 2;
    return;
  }
  console.log(
    'file-level backup and restore of a volume: the engine by hand in the volume’s directory ' +
      'vs the bot (./pes serve), in turn, same machine',
  );
  const load = (): string =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  for (const engine of engines) {
    for (const size of sizes) {
      const before = load();
      const figures = await measure(engine, size, filesFor(size), rounds);
      for (const l of report(figures)) console.log(l);
      console.log(`  load average before ${before}, after ${load()} (2 cores shared)`);
    }
  }
}

await main();
