/**
 * What the orchestration (run-backup, run-restore, run-verify) needs besides the engine: a
 * service's sources with their policy, a way to stop and start the service, and scratch
 * space for drills. Kept as narrow interfaces so the orchestration is tested with fakes and
 * wired to the Platform and the configured sources in service.ts.
 */
import type { Readable } from 'node:stream';
import type { BackupLedger } from '../core/backup.ts';
import type { ServiceDefinition } from '../core/catalog.ts';
import type { Logger } from '../core/logger.ts';
import type { BackupEngine, BackupSource, RetentionPolicy } from './types.ts';
import type { VolumeSite } from './volume-access.ts';

/** Commands run around a backup (e.g. Moodle's maintenance mode on, then off). */
export interface BackupHooks {
  before(signal?: AbortSignal): Promise<void>;
  after(signal?: AbortSignal): Promise<void>;
}

export interface ServiceBackupPlan {
  readonly sources: readonly BackupSource[];
  /** Applied to each source after each backup; none keeps everything. */
  readonly retention: RetentionPolicy | undefined;
  readonly hooks: BackupHooks | undefined;
}

/** A container of a service, as `stop` and `start` find it. */
export interface ServiceContainer {
  readonly id: string;
  readonly name: string;
}

export interface ServiceControl {
  /**
   * The containers `stop` would stop, running or not, found now (one look at the engine):
   * a restore puts back before the stop what runs in one of them. Undefined where the
   * platform has no such list (a cluster: the configuration names the workload).
   */
  containers?(
    service: ServiceDefinition,
    signal?: AbortSignal,
  ): Promise<readonly ServiceContainer[] | undefined>;
  stop(service: ServiceDefinition, signal?: AbortSignal): Promise<void>;
  start(service: ServiceDefinition, signal?: AbortSignal): Promise<void>;
  /** Resolves once the service is up; rejects when it is not within its health timeout. */
  waitHealthy(service: ServiceDefinition, signal?: AbortSignal): Promise<void>;
}

/** Where a drill unpacks a snapshot: a scratch volume that is removed afterwards. */
export interface DrillTarget {
  consume(input: Readable, signal?: AbortSignal): Promise<void>;
  /**
   * Its files, for a file-level snapshot (volume-access.ts; the caller closes them):
   * undefined when they cannot be reached.
   */
  open?(signal?: AbortSignal): Promise<VolumeSite | undefined>;
  remove(): Promise<void>;
}

export interface Orchestra {
  readonly engine: BackupEngine;
  readonly ledger: BackupLedger;
  readonly log: Logger;
  readonly now: () => Date;
}
