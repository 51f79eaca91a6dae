/**
 * What the crash tests ask the bot about snapshots, through the one-shot terminal command
 * beside the running `pes serve` (`--json`): the snapshots `backups` offers, and the one
 * `restore … latest` would take (its dry run).
 */
import type { CrashBed } from './crash-bed.ts';

interface Outcome {
  readonly status: string;
  readonly data?: Record<string, unknown>;
  readonly message?: { readonly text?: string };
}

async function outcomeOf(bed: CrashBed, args: readonly string[]): Promise<Outcome> {
  const result = await bed.pes(['--json', ...args]);
  const line = result.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as Outcome;
  } catch {
    throw new Error(`${args.join(' ')}: ${result.stdout}${result.stderr}`);
  }
}

export interface Listed {
  readonly id: string;
  /** complete, incomplete or unknown (SnapshotState); absent before snapshots had one. */
  readonly state?: string;
  readonly job: string;
}

/** What `backups <service>` lists (at most 1000), newest first. */
export async function listedSnapshots(bed: CrashBed, service: string): Promise<Listed[]> {
  const outcome = await outcomeOf(bed, ['backups', service, '--last', '1000']);
  if (outcome.status !== 'ok') throw new Error(`backups ${service}: ${JSON.stringify(outcome)}`);
  return (outcome.data?.['snapshots'] ?? []) as Listed[];
}

/** The snapshot ids a dry run of `restore <service> latest` would restore from. */
export async function latestChosen(bed: CrashBed, service: string): Promise<string[]> {
  const outcome = await outcomeOf(bed, ['restore', service, 'latest', '--dry-run']);
  if (outcome.status !== 'ok') throw new Error(`restore dry run: ${JSON.stringify(outcome)}`);
  const plan = outcome.data?.['plan'] as { items?: { snapshotId: string }[] } | undefined;
  return (plan?.items ?? []).map((i) => i.snapshotId);
}

/** The job number in a snapshot's job tag `<job id>-<time>` (commands/backup-shared.ts). */
export function jobOf(snapshot: Listed): number {
  return Number(snapshot.job.split('-')[0]);
}

/** The ids of the jobs that succeeded, from the state file. */
export function succeededJobs(bed: CrashBed): Set<number> {
  return new Set(
    bed
      .jobs()
      .filter((j) => j.state === 'succeeded')
      .map((j) => j.id),
  );
}
