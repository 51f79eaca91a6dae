/**
 * The core's metrics port (src/core/metrics-port.ts) on prom-client: commands by name and
 * outcome, and how long commands and jobs took.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import type { BotMetrics, JobEnd } from '../core/metrics-port.ts';
import type { OutcomeStatus } from '../core/outcome.ts';
import { durationBuckets } from './buckets.ts';

/** The label of a text that named no command: typos must not each make a series. */
export const unknownCommand = 'unknown';

export class PromBotMetrics implements BotMetrics {
  readonly #commands: Counter<'command' | 'outcome'>;
  readonly #commandSeconds: Histogram<'command'>;
  readonly #jobSeconds: Histogram<'command' | 'state'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.#commands = new Counter({
      name: 'pes_commands_total',
      help: 'Invocations by command and outcome (ok, failed, usage, denied, pending).',
      labelNames: ['command', 'outcome'],
      registers,
    });
    this.#commandSeconds = new Histogram({
      name: 'pes_command_duration_seconds',
      help: 'Time from an invocation to its answer (a job runs to its end first).',
      labelNames: ['command'],
      buckets: [...durationBuckets],
      registers,
    });
    this.#jobSeconds = new Histogram({
      name: 'pes_job_duration_seconds',
      help: 'Time a job ran, by command and how it ended (succeeded, failed, cancelled).',
      labelNames: ['command', 'state'],
      buckets: [...durationBuckets],
      registers,
    });
  }

  commandFinished(command: string | undefined, outcome: OutcomeStatus, seconds: number): void {
    const name = command ?? unknownCommand;
    this.#commands.inc({ command: name, outcome });
    this.#commandSeconds.observe({ command: name }, seconds);
  }

  jobFinished(command: string, state: JobEnd, seconds: number): void {
    this.#jobSeconds.observe({ command, state }, seconds);
  }
}
