/**
 * A backup cut short by the bot's death, with the real `pes` and the real
 * restic and borg, then:
 * - before any start-up: `restore latest` picks the good backup made before; the partial
 *   snapshot is listed as incomplete;
 * - `pes serve` at its start forgets it and says so in the interrupted job's message;
 * - afterwards it is gone from the repository and from `backups`, and `latest` is the good one.
 * restic: `pes backup` is SIGKILLed while restic reads the stream, and restic saves what it
 * had read when the pipe closed (docs/FIELD-NOTES.md "restic"). borg, measured here, saves
 * nothing in that case (it fails on the closed pipe) except the `.checkpoint` archives it
 * writes every 30 minutes of a long backup; such an archive is planted with the real borg,
 * tagged with a job left running by a dead process. The data comes from a command source on
 * the bot's machine, so no container is needed.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createBackupEngine } from '../../src/backup/engines/factory.ts';
import { archiveComment, archiveName } from '../../src/backup/engines/borg-names.ts';
import type { BackupEngine, Snapshot, SnapshotTags } from '../../src/backup/types.ts';
import { EngineBackupService } from '../../src/backup/service.ts';
import { createLogger } from '../../src/core/logger.ts';
import { service } from '../helpers/catalog.ts';
import { SqliteBackupLedger } from '../../src/store/backup-repo.ts';
import { openDatabase } from '../../src/store/database.ts';
import { SqliteJobStore } from '../../src/store/jobs-repo.ts';
import { pesBin, runPes, tempWorkdir } from '../helpers/cli.ts';
import { freePort, startServe } from '../helpers/serve.ts';
import { waitFor } from '../helpers/wait.ts';
import { engineKinds, repoPassword } from '../helpers/backup-env.ts';

const dirs: string[] = [];

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface Bed {
  readonly w: { dir: string; config: string };
  readonly env: NodeJS.ProcessEnv;
  readonly engine: BackupEngine;
  /** What the engine runs with: repository, password, caches. */
  readonly engineEnv: Readonly<Record<string, string>>;
  /** Makes the source endless (a stream the engine reads until the bot dies). */
  readonly endless: string;
}

function bed(kind: 'restic' | 'borg'): Bed {
  const dir = mkdtempSync(join(tmpdir(), `pes-crash-${kind}-`));
  dirs.push(dir);
  const repository = join(dir, 'repo');
  const endless = join(dir, 'endless');
  const seed = join(dir, 'seed');
  writeFileSync(seed, 'the good data\n'.repeat(1000));
  const cacheEnv: Record<string, string> =
    kind === 'restic'
      ? { RESTIC_CACHE_DIR: join(dir, 'cache') }
      : { BORG_BASE_DIR: join(dir, 'base') };
  const [cacheName = '', cacheValue = ''] = Object.entries(cacheEnv)[0] ?? [];
  // The seed, then, while `endless` exists, data without end, a little at a time. A producer
  // the killed bot left behind (its output going nowhere) ends once the test's folder is gone.
  const script = `cat ${seed}; while [ -e ${endless} ]; do head -c 262144 /dev/urandom; sleep 0.05; done`;
  const w = tempWorkdir(
    [
      'locale: en',
      'state: { path: state/pes.db }',
      // No engine: nothing here needs one, and a `pes serve` on the shared test engine would
      // sweep the helpers other tests are checking.
      'docker: { host: unix:///nonexistent/docker.sock }',
      'backup:',
      `  engine: ${kind}`,
      `  repository: ${JSON.stringify(repository)}`,
      "  password: '${PES_TEST_REPO_PASSWORD}'",
      `  env: { ${cacheName}: '\${PES_TEST_CACHE}' }`,
      'services:',
      '  files:',
      '    containers: { compose: { project: pes-crash-none, service: files } }',
      '    backup:',
      '      commands:',
      `        - { name: data, backup: [sh, -c, ${JSON.stringify(script)}] }`,
      'roles:',
      "  admin: { members: ['local:@me'], commands: ['*'] }",
      '',
    ].join('\n'),
  );
  const env: NodeJS.ProcessEnv = {
    PES_TEST_REPO_PASSWORD: repoPassword,
    PES_TEST_CACHE: cacheValue,
  };
  const engine = createBackupEngine(
    { engine: kind, repository, password: repoPassword, env: cacheEnv },
    { lockWaitSeconds: 1 },
  );
  const engineEnv = {
    ...cacheEnv,
    RESTIC_REPOSITORY: repository,
    RESTIC_PASSWORD: repoPassword,
    BORG_REPO: repository,
    BORG_PASSPHRASE: repoPassword,
  };
  return { w, env, engine, engineEnv, endless };
}

async function pes(b: Bed, args: readonly string[]): Promise<string> {
  const result = await runPes(['--config', b.w.config, ...args], { cwd: b.w.dir, env: b.env });
  expect(result.code, result.stdout + result.stderr).toBe(0);
  return result.stdout;
}

interface JobRow {
  readonly id: number;
  readonly state: string;
  readonly progress_text: string | null;
}

function backupJob(b: Bed): JobRow | undefined {
  const db = openDatabase(join(b.w.dir, 'state/pes.db'));
  try {
    return db
      .prepare(
        "SELECT id, state, progress_text FROM jobs WHERE command = 'backup' ORDER BY id DESC",
      )
      .get() as JobRow | undefined;
  } finally {
    db.close();
  }
}

/** Polls the repository (the engine may hold its lock a moment longer) until `pick` finds. */
async function snapshotOf(b: Bed, pick: (s: Snapshot) => boolean, what: string): Promise<Snapshot> {
  let found: Snapshot | undefined;
  const deadline = Date.now() + 60_000;
  while (found === undefined) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    found = await b.engine.list('files').then(
      (list) => list.find(pick),
      () => undefined,
    );
    if (found === undefined) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return found;
}

/** `pes backup files` in a process of its own, SIGKILLed once the engine has read data. */
async function killMidBackup(b: Bed): Promise<number> {
  writeFileSync(b.endless, '');
  const child = spawn(process.execPath, [pesBin, '--config', b.w.config, 'backup', 'files'], {
    cwd: b.w.dir,
    env: { PATH: process.env['PATH'], HOME: process.env['HOME'], LANG: 'C.UTF-8', ...b.env },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  // The engine has reported bytes read: its snapshot of a part of the stream is on the way.
  await waitFor(
    () => /\d (KB|MB|B)\b/.test(backupJob(b)?.progress_text ?? ''),
    'the engine to report what it read',
    60_000,
  );
  child.kill('SIGKILL');
  await exited;
  const job = backupJob(b);
  expect(job?.state).toBe('running');
  return job?.id ?? 0;
}

/**
 * What borg leaves when the bot dies during a long backup: `borg create` as the engine runs
 * it (name and comment of borg-names.ts), here with a checkpoint every second instead of 30
 * minutes, fed until it has written checkpoints, then its pipes closed as a dead bot's are.
 * It dies on the closed pipe (measured) and leaves `<name>.checkpoint`.
 */
async function borgCheckpoint(b: Bed, tags: SnapshotTags): Promise<void> {
  const name = archiveName(tags, new Date());
  const borg = spawn(
    'borg',
    [
      'create',
      '--log-json',
      '--progress',
      '--checkpoint-interval',
      '1',
      '--stdin-name',
      'data.out',
      '--comment',
      archiveComment(tags, 'data.out'),
      `::${name}`,
      '-',
    ],
    {
      env: { ...process.env, ...b.engineEnv },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  const exited = new Promise<void>((resolve) => borg.on('close', () => resolve()));
  borg.stdin.on('error', () => undefined);
  const feed = setInterval(() => borg.stdin.write(randomBytes(256 * 1024)), 20);
  // borg's progress lines carry its clock: several checkpoint intervals of writing.
  let first: number | undefined;
  let latest = 0;
  borg.stderr.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      const time = /"time": ?([\d.]+)/.exec(line)?.[1];
      if (time === undefined) continue;
      first ??= Number(time);
      latest = Number(time);
    }
  });
  try {
    await waitFor(
      () => first !== undefined && latest - first >= 4,
      'borg to write for 4 s',
      60_000,
    );
  } finally {
    clearInterval(feed);
    borg.stderr.destroy();
    borg.stdout.destroy();
    borg.stdin.destroy();
  }
  await exited;
}

/** borg's case: a `.checkpoint` of a job left running by a process that is gone. */
async function plantPartial(b: Bed): Promise<number> {
  const db = openDatabase(join(b.w.dir, 'state/pes.db'));
  try {
    const dead = new SqliteJobStore(db, { pid: 999_999, ownerToken: 'gone' });
    const job = dead.create({
      command: 'backup',
      text: 'backup files',
      actor: 'local:root',
      room: 'terminal',
      service: 'files',
      lockKey: 'files',
    });
    if ('holder' in job) throw new Error('unexpected lock');
    dead.transition(job.id, 'running');
    const tag = `${job.id}-20250101T000000Z`;
    new SqliteBackupLedger(db).startRun({
      job: tag,
      jobId: job.id,
      service: 'files',
      at: new Date(),
    });
    await borgCheckpoint(b, { service: 'files', source: 'command:data', job: tag, extra: [] });
    return job.id;
  } finally {
    db.close();
  }
}

/** The bot's own choice and list, on the state database as the dead process left it. */
function beforeAnyStart(b: Bed): EngineBackupService {
  const db = openDatabase(join(b.w.dir, 'state/pes.db'));
  const source = {
    id: 'command:data',
    filename: 'data.out',
    produce: () => Promise.reject(new Error('not in this test')),
    consume: () => Promise.reject(new Error('not in this test')),
  };
  afterAllClose.push(() => db.close());
  return new EngineBackupService({
    engine: b.engine,
    ledger: new SqliteBackupLedger(db),
    log: createLogger({ level: 'silent' }),
    plan: () => ({ sources: [source], retention: undefined, hooks: undefined }),
    control: {
      stop: () => Promise.reject(new Error('not in this test')),
      start: () => Promise.reject(new Error('not in this test')),
      waitHealthy: () => Promise.reject(new Error('not in this test')),
    },
    drillTarget: () => Promise.resolve(undefined),
  });
}

const afterAllClose: (() => void)[] = [];
afterAll(() => {
  for (const close of afterAllClose) close();
});

describe.each(engineKinds)('a backup cut short by the death of pes, with %s', (kind) => {
  it('is never latest, is listed incomplete, and is forgotten at the next start, which says so', async () => {
    const b = bed(kind);
    await pes(b, ['backup', 'files']);
    const [good] = await b.engine.list('files');
    expect(good).toBeDefined();

    const killedJob = kind === 'restic' ? await killMidBackup(b) : await plantPartial(b);
    // What the engine made of the part of the stream it had.
    const partial = await snapshotOf(
      b,
      (s) => s.tags.job.startsWith(`${killedJob}-`),
      'the snapshot of the part read',
    );
    expect(partial.time.getTime()).toBeGreaterThanOrEqual(good?.time.getTime() ?? 0);

    // Before any start: latest is the good backup; the list says what the other one is.
    const files = service('files');
    const bot = beforeAnyStart(b);
    const signal = new AbortController().signal;
    const plan = await bot.planRestore(files, 'latest', undefined, signal);
    expect(plan.job).toBe(good?.tags.job);
    const states = (await bot.snapshots(files, signal)).map((s) => [s.id, s.state]);
    expect(states).toContainEqual([partial.id, 'incomplete']);
    expect(states).toContainEqual([good?.id, 'complete']);
    if (kind === 'restic') {
      // Named by its id, the plan warns.
      const byId = await bot.planRestore(files, partial.id, undefined, signal);
      expect(byId.items.map((i) => i.state)).toEqual(['incomplete']);
    } else {
      // A checkpoint reads as a source of its own (`….checkpoint`): nothing restores it.
      expect(partial.tags.source).toBe('command:data.checkpoint');
      await expect(bot.planRestore(files, partial.id, undefined, signal)).rejects.toThrow(
        /holds none of the chosen sources/,
      );
    }

    // The next start of the bot forgets it, and the interrupted job's message names it.
    const serving = startServe(b.w, { ...b.env, PES_PORT: String(await freePort()) });
    try {
      // The start waits for the dead bot's restic, which holds the lock until it has saved
      // what it read (sweep-partial.ts): on a loaded machine that took more than 30 s.
      await waitFor(() => serving.output().includes('listening'), 'pes serve to listen', 300_000);
      expect(serving.output()).toMatch(
        new RegExp(
          `Job ${killedJob} \\(backup files\\) was interrupted[^\\n]*` +
            `Its partial snapshots were removed: \`${partial.id}\``,
        ),
      );
    } finally {
      serving.child.kill('SIGTERM');
      await serving.exited;
    }
    expect((await b.engine.list('files')).map((s) => s.id)).toEqual([good?.id]);
    const listed = await pes(b, ['backups', 'files']);
    expect(listed).not.toContain(partial.id);
    expect(listed).toMatch(new RegExp(`${good?.id ?? '?'}.*complete`));
    expect(await pes(b, ['restore', 'files', 'latest', '--dry-run'])).toContain(
      good?.tags.job ?? '?',
    );
  }, 600_000);
});
