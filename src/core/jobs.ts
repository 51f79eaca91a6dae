/** Jobs: the durable record of every mutating command, and the per-service lock. */

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

export const activeJobStates: readonly JobState[] = ['queued', 'running'];

const transitions: Readonly<Record<JobState, readonly JobState[]>> = {
  queued: ['running', 'cancelled', 'interrupted'],
  running: ['succeeded', 'failed', 'cancelled', 'interrupted'],
  succeeded: [],
  failed: [],
  cancelled: [],
  interrupted: [],
};

export function canTransition(from: JobState, to: JobState): boolean {
  return transitions[from].includes(to);
}

export function isActive(state: JobState): boolean {
  return activeJobStates.includes(state);
}

export interface JobRecord {
  readonly id: number;
  readonly command: string;
  /** The command line as typed. */
  readonly text: string;
  readonly actor: string;
  readonly room: string;
  readonly service: string | undefined;
  readonly lockKey: string | undefined;
  readonly state: JobState;
  /** 0..1 */
  readonly progress: number;
  readonly progressText: string | undefined;
  readonly createdAt: Date;
  readonly startedAt: Date | undefined;
  readonly finishedAt: Date | undefined;
  /** A one-line summary of the outcome, in the language of the room. */
  readonly result: string | undefined;
  readonly cancelRequested: boolean;
  readonly ownerPid: number;
}

export interface NewJob {
  readonly command: string;
  readonly text: string;
  readonly actor: string;
  readonly room: string;
  readonly service: string | undefined;
  readonly lockKey: string | undefined;
}

/** The holder of a lock, returned when a new job cannot take it. */
export interface LockConflict {
  readonly holder: JobRecord;
}

export interface JobStore {
  /** Creates a queued job, or reports the active job that holds the same lock. Atomic. */
  create(job: NewJob): JobRecord | LockConflict;
  get(id: number): JobRecord | undefined;
  list(options: { limit: number; activeOnly?: boolean }): JobRecord[];
  /** Moves a job to another state; refuses (returns false) a transition the state machine forbids. */
  transition(id: number, to: JobState, result?: string): boolean;
  setProgress(id: number, fraction: number, text: string | undefined): void;
  requestCancel(id: number): void;
  /** Marks active jobs whose owning process is gone as interrupted and returns them. */
  interruptOrphans(isAlive: (pid: number) => boolean): JobRecord[];
}
