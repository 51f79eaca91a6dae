/**
 * `restore <service> <id> --to <volume>`: a file-level snapshot, or some paths of it, put
 * into another volume beside the live data, for a look or a copy by hand. Nothing of the
 * service is stopped or touched, so no safety backup is taken. The volume is made when it
 * does not exist; one that holds data is emptied first only when the plan says so (`--force`
 * and a second confirmation, commands/restore.ts). Checked again here: the volume may have
 * changed since the plan.
 */
import type { BackupStepReporter, RestorePlan, RestoreReport } from '../core/backup.ts';
import type { ServiceDefinition } from '../core/catalog.ts';
import { UserError } from '../core/errors.ts';
import { refuseReserved, type FilesDeps } from './plan-files.ts';
import type { Orchestra } from './plan.ts';
import type { SelectedRestore } from './select.ts';

export async function restoreBeside(
  o: Orchestra,
  deps: FilesDeps,
  run: {
    readonly service: ServiceDefinition;
    readonly plan: RestorePlan;
    readonly selected: SelectedRestore;
    readonly onStep: BackupStepReporter;
    readonly signal: AbortSignal;
  },
): Promise<RestoreReport> {
  const started = o.now().getTime();
  const { plan, signal } = run;
  const target = plan.target;
  const [item] = plan.items;
  const snapshot = item === undefined ? undefined : run.selected.snapshots.get(item.source);
  if (target === undefined || item === undefined || snapshot === undefined) {
    throw new Error('not a restore beside the live data');
  }
  const files = deps.volumes(run.service);
  if (files === undefined) {
    throw new UserError('backup-files-unreachable', { source: item.source, volume: target.volume });
  }
  const seen = await files.inspect(target.volume, signal);
  refuseReserved(seen, target.volume);
  if (seen.containers.length > 0) {
    throw new UserError('backup-volume-in-use', {
      volume: target.volume,
      service: run.service.name,
      containers: seen.containers.join(', '),
    });
  }
  if (!seen.exists) {
    await files.create(
      target.volume,
      {
        'pes.bot/restored-from': snapshot.id.slice(0, 63),
        'pes.service': run.service.name,
        // The platform makes the new volume like this one (a claim: its size and class).
        'pes.source': item.source,
      },
      signal,
    );
  }
  const site = await files.open(target.volume, 'write', signal);
  if (site === undefined) {
    throw new UserError('backup-files-unreachable', { source: item.source, volume: target.volume });
  }
  try {
    if (!(await site.isEmpty(signal))) {
      if (!target.hasData) {
        throw new UserError('backup-target-not-empty', { volume: target.volume });
      }
      await site.empty(signal);
    }
    run.onStep({ fraction: 0.1, phase: 'restoring', source: item.source });
    await o.engine.restoreTree(snapshot, {
      directory: site.root,
      ...(site.runner === undefined ? {} : { runner: site.runner }),
      ...(plan.paths === undefined ? {} : { paths: plan.paths }),
      signal,
    });
  } finally {
    await site.close();
  }
  return {
    plan,
    safetySnapshot: undefined,
    restored: [{ source: item.source, bytes: o.ledger.manifest(snapshot.id)?.bytes ?? 0 }],
    durationMs: o.now().getTime() - started,
  };
}
