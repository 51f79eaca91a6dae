/**
 * Runs the retention of the state database (retention.ts) inside `pes serve`, off the hot
 * path: a pass now and then, one short transaction at a time with a pause between them, so
 * a chat answer or an alert waits at most for one batch, never for a whole pass.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { Logger } from '../core/logger.ts';
import { StatePruner, type RetainedTable, type RetentionDays } from './retention.ts';

export interface RetentionTiming {
  /** The first pass, after the start-up's own work has settled. */
  readonly firstDelayMs?: number;
  /** Between the starts of two passes. */
  readonly intervalMs?: number;
  /** The pause after each batch. */
  readonly gapMs?: number;
  readonly batchRows?: number;
}

export interface RetentionRunner {
  /** Resolves after the next pass has finished (for tests). */
  passed(): Promise<Partial<Record<RetainedTable, number>>>;
  stop(): void;
}

export function startRetention(
  db: DatabaseSync,
  days: RetentionDays,
  log: Logger,
  timing: RetentionTiming = {},
): RetentionRunner {
  const pruner = new StatePruner(
    db,
    days,
    timing.batchRows === undefined ? {} : { batchRows: timing.batchRows },
  );
  const gapMs = timing.gapMs ?? 50;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const waiting: ((counts: Partial<Record<RetainedTable, number>>) => void)[] = [];

  const pass = async (): Promise<void> => {
    const counts: Partial<Record<RetainedTable, number>> = {};
    try {
      for (const step of pruner.pass()) {
        if (stopped) return;
        counts[step.table] = (counts[step.table] ?? 0) + step.deleted;
        await new Promise((resolve) => {
          timer = setTimeout(resolve, gapMs);
          timer.unref();
        });
      }
      if (Object.values(counts).some((n) => n > 0)) log.info('old state rows pruned', counts);
    } catch (error) {
      // Busy or I/O: the next pass tries again; nothing is half-deleted (one transaction a step).
      log.warn('state retention pass failed', { error });
    }
    for (const resolve of waiting.splice(0)) resolve(counts);
  };
  const schedule = (delayMs: number): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      void pass().then(() => schedule(timing.intervalMs ?? 60 * 60 * 1000));
    }, delayMs);
    // The timer alone must not keep a finished process alive.
    timer.unref();
  };
  schedule(timing.firstDelayMs ?? 5 * 60 * 1000);
  return {
    passed: () => new Promise((resolve) => waiting.push(resolve)),
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
