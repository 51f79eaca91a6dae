/**
 * What the core tells the metrics of a long-running bot (src/metrics/): each invocation's
 * command, outcome and duration, and each job's end. Absent in one-shot terminal commands,
 * which have nobody to scrape them.
 */
import type { OutcomeStatus } from './outcome.ts';

/** How a job ended, as the job runner records it. */
export type JobEnd = 'succeeded' | 'failed' | 'cancelled';

export interface BotMetrics {
  /** `command` is undefined when the text named no command the bot knows. */
  commandFinished(command: string | undefined, outcome: OutcomeStatus, seconds: number): void;
  jobFinished(command: string, state: JobEnd, seconds: number): void;
}
