/**
 * Runs a mutating command as a durable job: takes the service lock, records every state
 * change, turns a cancel request (from any process sharing the state) into an abort. On a
 * stop of the process it refuses new jobs, cancels the running ones and tells when they have
 * all settled; those that do not settle in time are detached, so nothing they do later can
 * touch a database that is about to close.
 */
import { pastPointOfNoReturn } from './context-commit.ts';
import { UserError } from './errors.ts';
import type { JobRecord, JobStore, NewJob } from './jobs.ts';
import type { BotMetrics, JobEnd } from './metrics-port.ts';

export interface JobHandle {
  readonly job: JobRecord;
  readonly signal: AbortSignal;
  progress(fraction: number, text: string): void;
}

/** Active jobs are few; this bounds the read, it never cuts a real list short. */
const activeLimit = 1000;

function busy(lockKey: string, holder: JobRecord): UserError {
  return new UserError('service-busy', {
    service: lockKey,
    job: holder.id,
    command: holder.command,
    actor: holder.actor,
    percent: Math.round(holder.progress * 100),
  });
}

/** A job this process is running now. */
interface ActiveRun {
  readonly job: JobRecord;
  readonly controller: AbortController;
  readonly settled: Promise<void>;
  readonly poll: NodeJS.Timeout;
}

export class JobRunner {
  readonly #jobs: JobStore;
  readonly #pollMs: number;
  readonly #metrics: Pick<BotMetrics, 'jobFinished'> | undefined;
  readonly #active = new Map<number, ActiveRun>();
  #stopping = false;
  /** Set once the state store is about to close: no write for a job may follow. */
  #detached = false;

  constructor(
    jobs: JobStore,
    options: { cancelPollMs?: number; metrics?: Pick<BotMetrics, 'jobFinished'> } = {},
  ) {
    this.#jobs = jobs;
    this.#pollMs = options.cancelPollMs ?? 500;
    this.#metrics = options.metrics;
  }

  /** True once `stop` was called: new commands are refused with `bot-stopping`. */
  get stopping(): boolean {
    return this.#stopping;
  }

  /** Creates the job or throws service-busy naming the job that holds the lock. */
  open(job: NewJob): JobRecord {
    if (this.#stopping) throw new UserError('bot-stopping');
    const created = this.#jobs.create(job);
    if ('holder' in created) throw busy(job.lockKey ?? '', created.holder);
    return created;
  }

  /**
   * Refuses early when another job holds the lock: a confirmation or a dry run would
   * otherwise look at a service in the middle of a change (an update's renamed containers
   * look like an interrupted one) and ask the wrong question. The lock itself is still taken
   * atomically by `open`.
   */
  refuseIfBusy(lockKey: string): void {
    const holder = this.#jobs
      .list({ limit: activeLimit, activeOnly: true })
      .find((job) => job.lockKey === lockKey);
    if (holder !== undefined) throw busy(lockKey, holder);
  }

  /**
   * The stop of the process: no new job from now on, and every running one is cancelled
   * through its AbortSignal, so that it puts back what it changed (a restore starts the
   * service again, an update brings the old containers back). Returns the jobs cancelled.
   */
  stop(): JobRecord[] {
    this.#stopping = true;
    const running = [...this.#active.values()];
    for (const run of running) {
      run.controller.abort(new UserError('job-cancelled-stopping', { id: run.job.id }));
    }
    return running.map((run) => run.job);
  }

  /** Resolves when no job of this process is running any more, or when `until` aborts. */
  async settled(until: AbortSignal): Promise<void> {
    const ended = new Promise<void>((resolve) => {
      if (until.aborted) resolve();
      until.addEventListener('abort', () => resolve(), { once: true });
    });
    while (this.#active.size > 0 && !until.aborted) {
      await Promise.race([
        Promise.allSettled([...this.#active.values()].map((r) => r.settled)),
        ended,
      ]);
    }
  }

  /**
   * Gives up on the jobs still running: their cancel polls stop and nothing this runner
   * does for them writes to the store again (it is closed next). Returns them, as they are
   * in the store now, for the caller to record as interrupted.
   */
  detach(): JobRecord[] {
    this.#stopping = true;
    const left = [...this.#active.values()];
    for (const run of left) clearInterval(run.poll);
    const records = left.map((run) => this.#jobs.get(run.job.id) ?? run.job);
    this.#detached = true;
    return records;
  }

  /**
   * Runs work for a queued job and settles its state. The summary of the outcome is stored
   * as the job's result; the work's own value or error is passed through.
   */
  async run<T>(
    job: JobRecord,
    parent: AbortSignal | undefined,
    onProgress: (fraction: number, text: string) => void,
    work: (handle: JobHandle) => Promise<T>,
    summarize: (
      outcome: { ok: true; value: T; lateCancel: boolean } | { ok: false; error: unknown },
    ) => string,
  ): Promise<T> {
    const began = performance.now();
    const controller = new AbortController();
    const abort = (): void => controller.abort(new UserError('job-cancelled', { id: job.id }));
    parent?.addEventListener('abort', abort, { once: true });
    const poll = setInterval(() => {
      try {
        if (this.#jobs.get(job.id)?.cancelRequested === true) abort();
      } catch {
        // A failed read (the file busy for a moment) is tried again at the next tick.
      }
    }, this.#pollMs);
    poll.unref();
    let settle = (): void => undefined;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    this.#active.set(job.id, { job, controller, settled, poll });
    // A job opened just before the stop began is cancelled like the others.
    if (this.#stopping) controller.abort(new UserError('job-cancelled-stopping', { id: job.id }));
    // Progress never goes backwards: a step that starts over (a rollback after a failure, a
    // retried source) is said by its text, while the share of the work done stays shown.
    let shown = 0;
    const handle: JobHandle = {
      job,
      signal: controller.signal,
      progress: (fraction, text) => {
        shown = Math.max(shown, Math.min(1, Math.max(0, fraction)));
        // A detached job is told as interrupted already; its room must not see it go on.
        if (this.#detached) return;
        this.#jobs.setProgress(job.id, shown, text);
        onProgress(shown, text);
      },
    };
    try {
      this.#jobs.transition(job.id, 'running');
      const value = await work(handle);
      // Work that ignored the signal but finished is still cancelled when asked to be: the
      // person who cancelled must not be told it ran to completion unnoticed. Work past its
      // point of no return did go through, and is told as such (lateCancel).
      const committed = pastPointOfNoReturn(controller.signal);
      if (!committed) controller.signal.throwIfAborted();
      // A job that finished did all of its work, whatever its last step reported; its last
      // step's note ("waiting until healthy") would read as still going, so it goes too.
      if (!this.#detached) this.#jobs.setProgress(job.id, 1, undefined);
      const lateCancel = committed && controller.signal.aborted;
      this.#record(job, 'succeeded', summarize({ ok: true, value, lateCancel }), began);
      return value;
    } catch (error) {
      // Past the point of no return an error is what failed while tidying up, not a cancel.
      const cancelled = controller.signal.aborted && !pastPointOfNoReturn(controller.signal);
      // Work that put things back after the cancel may say what it left: an error that
      // carries the cancel as its cause is that account, and is reported instead.
      const accounted = error instanceof UserError && error.cause === controller.signal.reason;
      const reported = cancelled && !accounted ? (controller.signal.reason as unknown) : error;
      this.#record(
        job,
        cancelled ? 'cancelled' : 'failed',
        summarize({ ok: false, error: reported }),
        began,
      );
      throw reported;
    } finally {
      clearInterval(poll);
      parent?.removeEventListener('abort', abort);
      this.#active.delete(job.id);
      settle();
    }
  }

  #record(job: JobRecord, state: JobEnd, result: string, began: number): void {
    // A detached job was recorded as interrupted already; the store may be closed.
    if (this.#detached) return;
    this.#jobs.transition(job.id, state, result);
    this.#metrics?.jobFinished(job.command, state, (performance.now() - began) / 1000);
  }
}
