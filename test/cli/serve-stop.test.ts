/**
 * The stop of `pes serve` (src/cli/serve-stop.ts) on a real bot and real SQLite stores: new
 * commands are refused, a job that rolls back is cancelled and waited for, a job that does
 * not finish within the grace period is recorded interrupted with its service's state, and
 * nothing of a detached job writes to the store again, nor does its cancel poll read it.
 */
import type { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commands } from '../../commands/index.ts';
import { serviceArg } from '../../src/core/args.ts';
import { Bot } from '../../src/core/bot.ts';
import { defineCommand } from '../../src/core/command.ts';
import type { JobRecord, JobStore } from '../../src/core/jobs.ts';
import { createLogger } from '../../src/core/logger.ts';
import type { Message } from '../../src/core/message.ts';
import type { ServiceStatus } from '../../src/core/platform.ts';
import { Registry } from '../../src/core/registry.ts';
import { flushOutbox, stopJobs, type StopDeps } from '../../src/cli/serve-stop.ts';
import { SqliteOutboxStore } from '../../src/store/outbox-repo.ts';
import { SqliteAuditLog } from '../../src/store/audit-repo.ts';
import { SqliteConfirmationStore } from '../../src/store/confirmations-repo.ts';
import { SqliteJobStore } from '../../src/store/jobs-repo.ts';
import { fakePlatform } from '../helpers/bot.ts';
import { chatCatalog } from '../helpers/chat-bot.ts';
import { tempDb, type TempDb } from '../store/helpers.ts';
import { waitFor } from '../helpers/wait.ts';

const admin = 'mattermost:adminadminadminadminadmin1';
const room = 'mattermost:opsopsopsopsopsopsopsopsop';

/** Work a test releases by hand. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

let rolledBack: string[] = [];
let stubbornGate = gate();

/** Changes its service until cancelled, then puts it back (taking a moment) and ends. */
const rollsBack = defineCommand({
  name: 'rollsback',
  summary: { ru: 'тест', en: 'test' },
  args: [serviceArg],
  options: [],
  mutating: { lock: 'service' },
  async run(ctx, input) {
    ctx.progress(0.5, 'changing');
    await new Promise<void>((resolve) =>
      ctx.signal.addEventListener('abort', () => resolve(), { once: true }),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    rolledBack.push(input.service);
    ctx.signal.throwIfAborted();
    return { message: { severity: 'success', text: 'done' } };
  },
});

/** Ignores its signal: ends only when the test opens the gate. */
const stubborn = defineCommand({
  name: 'stubborn',
  summary: { ru: 'тест', en: 'test' },
  args: [serviceArg],
  options: [],
  mutating: { lock: 'service' },
  async run(ctx) {
    ctx.progress(0.3, 'stuck');
    await stubbornGate.promise;
    ctx.progress(0.9, 'late progress');
    return { message: { severity: 'success', text: 'finished late' } };
  },
});

/** The job store with reads (the cancel poll's `get`) and writes counted per job id. */
function countingStore(
  inner: JobStore,
): JobStore & { reads: Map<number, number>; writes: Map<number, number> } {
  const reads = new Map<number, number>();
  const writes = new Map<number, number>();
  const count = (map: Map<number, number>, id: number): void => {
    map.set(id, (map.get(id) ?? 0) + 1);
  };
  return {
    reads,
    writes,
    create: (job) => inner.create(job),
    get: (id) => {
      count(reads, id);
      return inner.get(id);
    },
    list: (o) => inner.list(o),
    transition: (id, to, result) => {
      count(writes, id);
      return inner.transition(id, to, result);
    },
    setProgress: (id, f, t) => {
      count(writes, id);
      inner.setProgress(id, f, t);
    },
    requestCancel: (id) => inner.requestCancel(id),
    interruptOrphans: (alive) => inner.interruptOrphans(alive),
  };
}

const down: ServiceStatus = {
  service: 'moodle',
  state: 'down',
  containers: [
    {
      name: 'moodle-1',
      id: 'c1',
      state: 'exited',
      health: 'none',
      image: 'moodle',
      tag: '4.5',
      startedAt: undefined,
      restartCount: 0,
    },
  ],
};

let t: TempDb;
let db: DatabaseSync;
let store: ReturnType<typeof countingStore>;
let bot: Bot;
const log = createLogger({ level: 'silent' });

beforeEach(() => {
  rolledBack = [];
  shownProgress = [];
  stubbornGate = gate();
  t = tempDb();
  db = t.db;
  store = countingStore(new SqliteJobStore(db));
  bot = new Bot({
    catalog: chatCatalog({ admin, operator: 'local:nobody', operatorCommands: [], secrets: [] }),
    registry: new Registry([...commands, rollsBack, stubborn]),
    jobs: store,
    audit: new SqliteAuditLog(db),
    confirmations: new SqliteConfirmationStore(db),
    platform: () => fakePlatform({ moodle: down }),
    log,
    cancelPollMs: 20,
  });
});
afterEach(() => {
  stubbornGate.open();
  t.cleanup();
});

/** The progress texts the room was shown. */
let shownProgress: string[] = [];
const sink = {
  confirm: { kind: 'refuse' as const },
  reply: () => undefined,
  progress: (update: { text: string }) => {
    shownProgress.push(update.text);
  },
};

function run(text: string): ReturnType<Bot['invoke']> {
  return bot.invoke({ actorId: admin, room: { id: room }, source: 'mattermost', text }, sink);
}

function deps(overrides: Partial<StopDeps> = {}): StopDeps & {
  said: Message[];
  announced: [string, Message, string][];
  closed: [string, number, Message][];
} {
  const said: Message[] = [];
  const announced: [string, Message, string][] = [];
  const closed: [string, number, Message][] = [];
  return {
    runner: bot.runner,
    jobs: new SqliteJobStore(db),
    audit: new SqliteAuditLog(db),
    db,
    log,
    graceMs: 10_000,
    flushMs: 0,
    hurry: new AbortController().signal,
    services: bot.catalog.services,
    platform: () => fakePlatform({ moodle: down }),
    say: (m) => said.push(m),
    locale: 'en',
    localeFor: () => 'en',
    announce: (r, m, k) => {
      announced.push([r, m, k]);
      return true;
    },
    closeProgress: (r, id, m) => {
      closed.push([r, id, m]);
      return true;
    },
    said,
    announced,
    closed,
    ...overrides,
  };
}

const activeJob = (): JobRecord | undefined =>
  new SqliteJobStore(db).list({ limit: 10, activeOnly: true })[0];

describe('the stop of pes serve', () => {
  it('refuses new commands once stopping, in both languages, and audits the refusal', async () => {
    bot.runner.stop();
    const outcome = await run('status moodle');
    expect(outcome.errorCode).toBe('bot-stopping');
    expect(outcome.message.text).toContain('The bot is stopping and takes no new commands.');
    const ru = await bot.invoke(
      { actorId: admin, room: { id: room }, source: 'mattermost', text: 'help', locale: 'ru' },
      sink,
    );
    expect(ru.message.text).toContain('Бот останавливается и не принимает новых команд.');
    expect(new SqliteAuditLog(db).last(2).map((r) => r.result)).toEqual([
      'bot-stopping',
      'bot-stopping',
    ]);
    expect(new SqliteJobStore(db).list({ limit: 10 })).toEqual([]);
  });

  it('cancels a job that can roll back, waits for it, and records it cancelled', async () => {
    const running = run('rollsback moodle');
    await waitFor(() => activeJob()?.state === 'running', 'the job to run');
    const left = await stopJobs(deps());
    expect(left).toEqual([]);
    expect(rolledBack).toEqual(['moodle']);
    const outcome = await running;
    expect(outcome.errorCode).toBe('job-cancelled-stopping');
    const job = new SqliteJobStore(db).get(outcome.jobId ?? 0);
    expect(job?.state).toBe('cancelled');
    expect(job?.result).toBe(`Job ${job?.id} was cancelled: the bot is stopping.`);
  });

  it('records a job still running after the grace period as interrupted, with its service state', async () => {
    const running = run('stubborn moodle');
    await waitFor(() => activeJob()?.state === 'running', 'the job to run');
    const id = activeJob()?.id ?? 0;
    const d = deps({ graceMs: 100 });
    const left = await stopJobs(d);
    expect(left.map((j) => j.id)).toEqual([id]);
    const text =
      `Job ${id} (stubborn moodle) was interrupted by the bot’s stop before it finished ` +
      'putting things back. State of moodle: down, 0 of 1 container running.';
    const job = new SqliteJobStore(db).get(id);
    expect(job?.state).toBe('interrupted');
    expect(job?.result).toBe(text);
    expect(job?.progressText).toBe('stuck');
    expect(d.said.map((m) => m.text)).toContain(text);
    // Announced in its room under the key the start-up report would use: never twice.
    expect(d.announced.map(([r, m, k]) => [r, m.text, k])).toEqual([
      [room, text, `interrupted:${id}`],
    ]);
    // Its progress post no longer says it runs: edited to where it stopped and what it left.
    expect(d.closed.map(([r, jobId, m]) => [r, jobId, m.text])).toEqual([
      [
        room,
        id,
        `⛔ Job ${id} (stubborn moodle) was interrupted at 30 %: ` +
          'the bot stopped before it finished.\nState of moodle: down, 0 of 1 container running.',
      ],
    ]);
    expect(new SqliteAuditLog(db).last(1)[0]?.result).toBe(`interrupted job ${id}`);

    // Detached: its cancel poll has stopped, and its late end writes nothing through the
    // runner (pes serve closes the database and exits right after the stop).
    const readsAtDetach = store.reads.get(id) ?? 0;
    const writesAtDetach = store.writes.get(id) ?? 0;
    // Another job's poll, at the same period, ticking three times: time for ours to read.
    const other = tempDb();
    try {
      const otherStore = countingStore(new SqliteJobStore(other.db));
      const otherBot = new Bot({
        catalog: bot.catalog,
        registry: new Registry([...commands, rollsBack]),
        jobs: otherStore,
        audit: new SqliteAuditLog(other.db),
        confirmations: new SqliteConfirmationStore(other.db),
        platform: () => fakePlatform({}),
        log,
        cancelPollMs: 20,
      });
      const second = otherBot.invoke(
        { actorId: admin, room: { id: room }, source: 'mattermost', text: 'rollsback moodle' },
        sink,
      );
      await waitFor(() => [...otherStore.reads.values()].some((n) => n >= 3), 'three polls');
      otherBot.runner.stop();
      await second;
    } finally {
      other.cleanup();
    }
    expect(store.reads.get(id) ?? 0).toBe(readsAtDetach);
    stubbornGate.open();
    const outcome = await running;
    expect(outcome.errorCode).toBe('job-cancelled-stopping');
    expect(store.writes.get(id) ?? 0).toBe(writesAtDetach);
    // Nor does its room see it go on: its progress post is closed as interrupted.
    expect(shownProgress).toContain('stuck');
    expect(shownProgress).not.toContain('late progress');
    const after = new SqliteJobStore(db).get(id);
    expect([after?.state, after?.result, after?.progressText]).toEqual([
      'interrupted',
      text,
      'stuck',
    ]);
  });

  it('stops waiting at a second signal and records what is left', async () => {
    const running = run('stubborn moodle');
    await waitFor(() => activeJob()?.state === 'running', 'the job to run');
    const hurry = new AbortController();
    const d = deps({ graceMs: 600_000, hurry: hurry.signal });
    const stopping = stopJobs(d);
    hurry.abort();
    const left = await stopping;
    expect(left).toHaveLength(1);
    expect(new SqliteJobStore(db).get(left[0]?.id ?? 0)?.state).toBe('interrupted');
    stubbornGate.open();
    await running;
  });

  it('flushes the outbox of the running messengers until it is sent, bounded, others ignored', async () => {
    const outbox = new SqliteOutboxStore(db);
    const mine = outbox.enqueue({ key: 'a', room, kind: 'post', payload: '{}' });
    // A Matrix item with no Matrix running, and one retried later: neither is waited for.
    outbox.enqueue({ key: 'b', room: 'matrix:!r:example.org', kind: 'post', payload: '{}' });
    const later = outbox.enqueue({ key: 'c', room, kind: 'post', payload: '{}' });
    outbox.retryAt(later.id, new Date(Date.now() + 3_600_000), 'rate limited', false);
    const flushing = flushOutbox({
      db,
      flushMs: 60_000,
      hurry: new AbortController().signal,
      log,
      rooms: ['mattermost:'],
    });
    // Ends once the messenger has sent it (waiting for the others would take 60 s).
    outbox.markSent(mine.id, 'remote-1');
    await flushing;
    // Bounded: an item that never goes is waited for flushMs at most (in a room of its own:
    // in `room` it would be held back behind 'c').
    outbox.enqueue({ key: 'd', room: 'mattermost:other', kind: 'post', payload: '{}' });
    const started = Date.now();
    await flushOutbox({
      db,
      flushMs: 300,
      hurry: new AbortController().signal,
      log,
      rooms: ['mattermost:'],
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  it('does not wait for items held back behind a room head that waits for a retry', async () => {
    const outbox = new SqliteOutboxStore(db);
    const head = outbox.enqueue({ key: 'head', room, kind: 'post', payload: '{}' });
    outbox.retryAt(head.id, new Date(Date.now() + 3_600_000), 'server down', false);
    // Due now, but the delivery loop sends a room's messages in order: not before the head.
    outbox.enqueue({ key: 'behind', room, kind: 'post', payload: '{}' });
    const started = Date.now();
    await flushOutbox({
      db,
      flushMs: 3_000,
      hurry: new AbortController().signal,
      log,
      rooms: ['mattermost:'],
    });
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});
