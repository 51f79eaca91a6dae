/**
 * The crash tests' bed: the real `pes serve` (test/helpers/serve.ts) with the fake Mattermost
 * as its messenger, commands typed in a channel as a person types them, the bot killed with
 * SIGKILL at a seeded random moment, started again, and what it left read back from its
 * state file, the engine and the fake.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import { helperLabel, helperOwnerLabel } from '../../src/platforms/docker/helper-container.ts';
import {
  FakeMattermost,
  visibleText,
  type FakeChannel,
  type FakePost,
} from '../fakes/mattermost/index.ts';
import type { FakeUser } from '../fakes/mattermost/state.ts';
import { runPes, tempWorkdir, type CliResult } from './cli.ts';
import type { DockerTestBed } from './docker.ts';
import { freePort, startServe, type Serving } from './serve.ts';
import { waitFor } from './wait.ts';

/** mulberry32: a small PRNG whose whole state is the seed, so a run can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The seed of a crash test file: PES_CRASH_SEED replays a failed run; otherwise a new one.
 * Printed either way, so the line to replay is in the log of a failure.
 */
export function crashSeed(file: string): number {
  const given = process.env['PES_CRASH_SEED'];
  const seed =
    given !== undefined && /^\d+$/.test(given)
      ? Number(given)
      : Math.floor(Math.random() * 2 ** 31);
  process.stdout.write(`${file}: seed ${seed} (replay with PES_CRASH_SEED=${seed})\n`);
  return seed;
}

export interface JobRow {
  readonly id: number;
  readonly command: string;
  readonly text: string;
  readonly state: string;
  readonly progress: number;
  readonly progress_text: string | null;
  readonly result: string | null;
}

export interface CrashBedOptions {
  /** YAML lines of `services:` (indented by two spaces), the service `moodle` among them. */
  readonly services?: readonly string[];
  /** A restic repository (a directory that need not exist yet): backups on. */
  readonly repository?: string;
  /** The alert receiver on, posting to the channel. */
  readonly alerts?: boolean;
  readonly helperImage?: string;
}

export const crashAlertToken = 'crash-alert-token-0123456789abcdef';
const repositoryPassword = 'crash-test-repository-password';

export class CrashBed {
  readonly fake: FakeMattermost;
  readonly admin: FakeUser;
  readonly ops: FakeChannel;
  readonly workdir: { dir: string; config: string };
  readonly port: number;
  #serving: Serving | undefined;
  /** Output of every process started so far, older ones first. */
  #earlier = '';

  private constructor(fake: FakeMattermost, port: number, options: CrashBedOptions) {
    this.fake = fake;
    this.port = port;
    this.admin = fake.data.addUser('anna');
    this.ops = fake.data.addChannel('ops', [fake.bot, this.admin]);
    const lines = [
      'locale: en',
      'state: { path: state/pes.db }',
      'log: { level: warn }',
      `docker: { host: ${JSON.stringify(process.env['DOCKER_HOST'] ?? '')} }`,
      'services:',
      ...(options.services ?? ['  {}']),
      'roles:',
      `  admin: { members: ['mattermost:${this.admin.id}', 'local:@me'], commands: ['*'] }`,
      'mattermost:',
      `  url: ${fake.url}`,
      "  botToken: '${PES_CRASH_BOT_TOKEN}'",
      `  teams: [${fake.data.teamId}]`,
      `  channels: [${this.ops.id}]`,
    ];
    if (options.repository !== undefined) {
      lines.push(
        'backup:',
        '  engine: restic',
        `  repository: ${JSON.stringify(options.repository)}`,
        "  password: '${PES_CRASH_REPO_PASSWORD}'",
        `  helperImage: ${options.helperImage ?? 'pes-test/busybox:1'}`,
        '  prune: false',
      );
    }
    if (options.alerts === true) {
      lines.push(
        'alerts:',
        "  token: '${PES_CRASH_ALERT_TOKEN}'",
        `  defaultRoom: mattermost:${this.ops.id}`,
        // Every group its own root post: a digest would hide which one was lost or doubled.
        '  stormThreshold: 100000',
      );
    }
    this.workdir = tempWorkdir(`${lines.join('\n')}\n`);
    mkdirSync(join(this.workdir.dir, 'state'), { recursive: true });
  }

  static async create(options: CrashBedOptions = {}): Promise<CrashBed> {
    const fake = await new FakeMattermost().start();
    return new CrashBed(fake, await freePort(), options);
  }

  get env(): NodeJS.ProcessEnv {
    return {
      PES_PORT: String(this.port),
      PES_CRASH_BOT_TOKEN: this.fake.bot.token,
      PES_CRASH_REPO_PASSWORD: repositoryPassword,
      PES_CRASH_ALERT_TOKEN: crashAlertToken,
      HOME: process.env['HOME'],
      // restic's cache beside the state, not in the home of whoever runs the tests.
      XDG_CACHE_HOME: join(this.workdir.dir, 'cache'),
    };
  }

  get pid(): number {
    return this.#serving?.child.pid ?? 0;
  }

  /** Everything every `pes serve` of this bed printed. */
  output(): string {
    return this.#earlier + (this.#serving?.output() ?? '');
  }

  /** What the current process printed. */
  currentOutput(): string {
    return this.#serving?.output() ?? '';
  }

  /** Starts `pes serve` and waits until it listens and its Mattermost socket is up. */
  async start(): Promise<void> {
    const authenticated = this.fake.sockets.stats.authentications;
    const serving = startServe(this.workdir, this.env);
    this.#serving = serving;
    const gone = (): boolean => serving.child.exitCode !== null;
    await waitFor(
      () => serving.output().includes('listening') || gone(),
      'pes serve to listen',
      30_000,
    );
    if (gone()) throw new Error(`pes serve exited:\n${serving.output()}`);
    await waitFor(
      () => this.fake.sockets.stats.authentications > authenticated,
      'the bot socket',
      30_000,
    );
  }

  /** SIGKILL: nothing of the bot runs after this returns (its children may). */
  async kill(): Promise<void> {
    const serving = this.#serving;
    if (serving === undefined) return;
    serving.child.kill('SIGKILL');
    await serving.exited;
    this.#earlier += serving.output();
    this.#serving = undefined;
  }

  /**
   * Starts a job with `start`, waits `delayMs()` and kills the bot. When the job was over by
   * then (a machine faster than the one the window was measured on), the bot is started
   * again and the job tried again with half the delay, up to 5 times: a run counts only when
   * the kill lands in the middle of the job.
   */
  async killMidJob(
    start: () => Promise<JobRow>,
    delayMs: () => number,
  ): Promise<{ job: JobRow; atKill: JobRow; pid: number; delayMs: number }> {
    let shrink = 1;
    for (let attempt = 1; ; attempt++) {
      const job = await start();
      const delay = delayMs() * shrink;
      await pause(delay);
      const pid = this.pid;
      await this.kill();
      const atKill = this.jobs().find((j) => j.id === job.id);
      if (atKill?.state === 'running') return { job, atKill, pid, delayMs: delay };
      if (attempt === 5) throw new Error(`job ${job.id} ended before every kill`);
      process.stdout.write(`job ${job.id} ended before the kill; again, sooner\n`);
      shrink /= 2;
      await this.start();
    }
  }

  /** SIGTERM, as at the end of a test. */
  async stop(): Promise<void> {
    const serving = this.#serving;
    if (serving === undefined) return;
    serving.child.kill('SIGTERM');
    await serving.exited;
    this.#earlier += serving.output();
    this.#serving = undefined;
  }

  /** `@pes <text>` posted by the admin in the channel; the post, to find the answers. */
  say(text: string): FakePost {
    return this.fake.say(this.admin, this.ops, `@pes ${text}`);
  }

  /** The bot's posts in the channel, as shown (edits applied). */
  botTexts(): string[] {
    return this.fake.data.botPosts(this.ops.id).map((p) => visibleText(p));
  }

  /**
   * The bot's posts never edited: what it announced, without the progress posts it closed
   * (an interrupted job's progress post is edited to say so, and is not a second announcement).
   */
  announcements(): string[] {
    return this.fake.data
      .botPosts(this.ops.id)
      .filter((p) => p.edit_at === 0)
      .map((p) => visibleText(p));
  }

  /** Waits for a bot post in the thread of `asked` whose text matches; returns its text. */
  async answer(asked: FakePost, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    let found = '';
    await waitFor(
      () => {
        const post = this.fake.data
          .botPosts(this.ops.id)
          .find((p) => p.root_id === asked.id && pattern.test(visibleText(p)));
        found = post === undefined ? '' : visibleText(post);
        return post !== undefined;
      },
      `an answer matching ${String(pattern)} to "${asked.message}"`,
      timeoutMs,
    );
    return found;
  }

  /**
   * Types a command that starts a job, confirms it if the bot asks, and waits for the job to
   * be running (and, when given, for its progress text); returns the job.
   */
  async begin(text: string, command: string, progress?: RegExp): Promise<JobRow> {
    const known = new Set(this.jobs().map((j) => j.id));
    const asked = this.say(text);
    let confirmed = false;
    await waitFor(
      () => {
        if (this.jobs().some((j) => !known.has(j.id) && j.command === command)) return true;
        const prompt = this.fake.data
          .botPosts(this.ops.id)
          .find((p) => p.root_id === asked.id && /confirm [A-Z0-9]{4,}/.test(visibleText(p)));
        if (prompt !== undefined && !confirmed) {
          const code = /confirm ([A-Z0-9]{4,})/.exec(visibleText(prompt))?.[1] ?? '';
          this.fake.say(this.admin, this.ops, `@pes confirm ${code}`, asked.id);
          confirmed = true;
        }
        return false;
      },
      `a ${command} job for "${text}"`,
      30_000,
    );
    return this.running(command, progress);
  }

  /**
   * Runs a command to its end: confirms it when the bot asks, then waits for an answer
   * matching `done`.
   */
  async run(text: string, done: RegExp, timeoutMs = 120_000): Promise<string> {
    const asked = this.say(text);
    const first = await this.answer(
      asked,
      new RegExp(`${done.source}|confirm [A-Z0-9]{4,}`),
      timeoutMs,
    );
    if (done.test(first)) return first;
    const code = /confirm ([A-Z0-9]{4,})/.exec(first)?.[1] ?? '';
    this.fake.say(this.admin, this.ops, `@pes confirm ${code}`, asked.id);
    return this.answer(asked, done, timeoutMs);
  }

  /** Reads the state file as it is now (another process writes it; WAL lets both). */
  read<T>(query: (db: DatabaseSync) => T): T {
    const db = new DatabaseSync(join(this.workdir.dir, 'state/pes.db'), { readOnly: true });
    try {
      return query(db);
    } finally {
      db.close();
    }
  }

  jobs(): JobRow[] {
    return this.read(
      (db) =>
        db
          .prepare(
            'SELECT id, command, text, state, progress, progress_text, result FROM jobs ORDER BY id',
          )
          .all() as unknown as JobRow[],
    );
  }

  /** Waits for the job of `command` to be running and, when given, for its progress text. */
  async running(command: string, progress?: RegExp, timeoutMs = 60_000): Promise<JobRow> {
    let job: JobRow | undefined;
    await waitFor(
      () => {
        job = this.jobs().findLast((j) => j.command === command && j.state === 'running');
        return (
          job !== undefined && (progress === undefined || progress.test(job.progress_text ?? ''))
        );
      },
      `a running ${command} job${progress === undefined ? '' : ` at ${String(progress)}`}`,
      timeoutMs,
    );
    if (job === undefined) throw new Error('unreachable');
    return job;
  }

  /** A one-shot `pes` command beside the running bot (its jobs are not taken as dead). */
  pes(args: readonly string[]): Promise<CliResult> {
    return runPes(['--config', this.workdir.config, ...args], {
      cwd: this.workdir.dir,
      env: this.env,
    });
  }

  /**
   * After the restart: the job's one line in the terminal and its one post in the channel.
   * Waits for the post, then for the outbox to have nothing left for the channel, so that a
   * second post would have been sent by then. The job's own progress post, when it had one,
   * is edited to say it was interrupted too (README "How it behaves"): that edit is not a
   * second announcement, and it must say so.
   */
  async interruptedOnce(job: JobRow): Promise<{ terminal: string; post: string }> {
    const line = `Job ${job.id} (${job.text}) was interrupted`;
    await waitFor(() => this.currentOutput().includes(line), 'the interrupted line', 30_000);
    await waitFor(
      () => this.botTexts().some((t) => t.includes(line)),
      'the interrupted post',
      30_000,
    );
    await waitFor(() => this.outboxPending() === 0, 'the outbox to drain', 30_000);
    const lines = this.output()
      .split('\n')
      .filter((l) => l.includes(line));
    const saying = this.fake.data
      .botPosts(this.ops.id)
      .filter((p) => visibleText(p).includes(line));
    const posts = this.announcements().filter((t) => t.includes(line));
    const progress = saying.filter((p) => p.edit_at !== 0);
    if (lines.length !== 1) throw new Error(`the interrupted line ${lines.length} times`);
    if (posts.length !== 1) throw new Error(`the interrupted post ${posts.length} times`);
    if (progress.length > 1) throw new Error(`${progress.length} progress posts closed`);
    for (const p of progress) {
      if (!/interrupted at \d+ %/.test(visibleText(p))) {
        throw new Error(`an edited post that is no closed progress post: ${visibleText(p)}`);
      }
    }
    return { terminal: lines[0] ?? '', post: posts[0] ?? '' };
  }

  /** Rows of the outbox not yet delivered. */
  outboxPending(): number {
    return this.read((db) => {
      const row = db
        .prepare("SELECT count(*) AS n FROM outbox WHERE state IN ('pending', 'sending')")
        .get() as { n: number } | undefined;
      return row?.n ?? 0;
    });
  }

  /** `audit verify` through the one-shot terminal command; its output when it passes. */
  async auditVerified(): Promise<string> {
    const result = await this.pes(['audit', 'verify']);
    if (result.code !== 0) throw new Error(`audit verify: ${result.stdout}${result.stderr}`);
    return result.stdout;
  }

  /** Kills what still runs and removes the working directory (state, restic's cache). */
  async close(): Promise<void> {
    await this.kill();
    await this.fake.close();
    rmSync(this.workdir.dir, { recursive: true, force: true });
  }
}

/** Waits `ms` (a seeded delay before a kill), never less than 0. */
export async function pause(ms: number): Promise<void> {
  await sleep(Math.max(0, Math.round(ms)));
}

/**
 * Helper containers of `pid` (a bot process): waits until the engine has none left, since
 * the next start removes them in the background.
 */
export async function noHelpersOf(bed: DockerTestBed, pid: number): Promise<void> {
  const owner = `${hostname()}:${pid}`;
  await bed.waitFor(
    `the helpers of ${owner} to be removed`,
    async () => {
      const left = await bed.docker.listContainers({
        all: true,
        filters: { label: [helperLabel, `${helperOwnerLabel}=${owner}`] },
      });
      return left.length === 0 ? true : undefined;
    },
    60_000,
  );
}

/**
 * Waits until no process has `marker` among its arguments or its environment (read from
 * /proc; e.g. `RESTIC_REPOSITORY=<path>`): the programs a
 * killed bot had started (restic, borg) go on by themselves and may still write what the
 * kill cut short; what the bot offers is checked once they are done.
 */
export async function processesGone(marker: string, timeoutMs = 60_000): Promise<void> {
  const running = (): boolean =>
    readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid)
      .some((pid) => {
        try {
          const words = ['cmdline', 'environ'].flatMap((f) =>
            readFileSync(`/proc/${pid}/${f}`, 'utf8').split('\0'),
          );
          return words.includes(marker);
        } catch {
          return false;
        }
      });
  await waitFor(() => !running(), `the processes using ${marker} to end`, timeoutMs);
}
