/**
 * Runs a mutating command as a durable job: takes the service lock, records every state
 * change, turns a cancel request (from any process sharing the state) into an abort.
 */
import { UserError } from './errors.ts';
import type { JobRecord, JobStore, NewJob } from './jobs.ts';

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

export class JobRunner {
  readonly #jobs: JobStore;
  readonly #pollMs: number;

  constructor(jobs: JobStore, options: { cancelPollMs?: number } = {}) {
    this.#jobs = jobs;
    this.#pollMs = options.cancelPollMs ?? 500;
  }

  /** Creates the job or throws service-busy naming the job that holds the lock. */
  open(job: NewJob): JobRecord {
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
   * Runs work for a queued job and settles its state. The summary of the outcome is stored
   * as the job's result; the work's own value or error is passed through.
   */
  async run<T>(
    job: JobRecord,
    parent: AbortSignal | undefined,
    onProgress: (fraction: number, text: string) => void,
    work: (handle: JobHandle) => Promise<T>,
    summarize: (outcome: { ok: true; value: T } | { ok: false; error: unknown }) => string,
  ): Promise<T> {
    const controller = new AbortController();
    const abort = (): void => controller.abort(new UserError('job-cancelled', { id: job.id }));
    parent?.addEventListener('abort', abort, { once: true });
    const poll = setInterval(() => {
      if (this.#jobs.get(job.id)?.cancelRequested === true) abort();
    }, this.#pollMs);
    poll.unref();
    this.#jobs.transition(job.id, 'running');
    const handle: JobHandle = {
      job,
      signal: controller.signal,
      progress: (fraction, text) => {
        this.#jobs.setProgress(job.id, fraction, text);
        onProgress(fraction, text);
      },
    };
    try {
      const value = await work(handle);
      // Work that ignored the signal but finished is still cancelled when asked to be: the
      // person who cancelled must not be told it ran to completion unnoticed.
      controller.signal.throwIfAborted();
      this.#jobs.transition(job.id, 'succeeded', summarize({ ok: true, value }));
      return value;
    } catch (error) {
      const cancelled = controller.signal.aborted;
      const reported = cancelled ? (controller.signal.reason as unknown) : error;
      this.#jobs.transition(
        job.id,
        cancelled ? 'cancelled' : 'failed',
        summarize({ ok: false, error: reported }),
      );
      throw reported;
    } finally {
      clearInterval(poll);
      parent?.removeEventListener('abort', abort);
    }
  }
}
