/**
 * The BackupService port (src/core/backup.ts) on an engine, the configured sources of each
 * service, the ledger and the platform. Commands call this; it never formats text.
 */
import {
  inScope,
  sourceKind,
  type BackupLedger,
  type BackupReport,
  type BackupScope,
  type BackupService,
  type BackupSourceView,
  type BackupStepReporter,
  type RestoreFilesRequest,
  type RestorePlan,
  type RestoreReport,
  type SnapshotFiles,
  type SnapshotEntry,
  type VerifyReport,
} from '../core/backup.ts';
import type { ServiceDefinition } from '../core/catalog.ts';
import { passPointOfNoReturn } from '../core/context-commit.ts';
import { UserError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { DrillTarget, Orchestra, ServiceBackupPlan, ServiceControl } from './plan.ts';
import type { VolumeFiles } from '../core/platform.ts';
import {
  listSnapshotFiles,
  planFilesRestore,
  refuseSharedVolume,
  type FilesDeps,
} from './plan-files.ts';
import { restoreBeside } from './restore-beside.ts';
import { runBackup } from './run-backup.ts';
import { runRestore } from './run-restore.ts';
import { runVerify } from './run-verify.ts';
import { selectRestore } from './select.ts';
import type { BackupEngine, BackupSource } from './types.ts';

export interface BackupServiceDeps {
  readonly engine: BackupEngine;
  readonly ledger: BackupLedger;
  readonly log: Logger;
  /** The sources, retention and hooks of a service, from the configuration. */
  plan(service: ServiceDefinition): ServiceBackupPlan;
  readonly control: ServiceControl;
  /** A scratch place to unpack a volume's snapshot in a drill; undefined: stream only. */
  drillTarget(service: ServiceDefinition, source: BackupSource): Promise<DrillTarget | undefined>;
  /** File-level access to volumes on the service's platform, where there is one. */
  volumes?(service: ServiceDefinition): VolumeFiles | undefined;
  /** The names of the service's own containers (the others using a volume are refused). */
  containersOf?(service: ServiceDefinition, signal: AbortSignal): Promise<readonly string[]>;
  /** Every service of the catalog (their volumes are never a restore's `--to` target). */
  services?(): Iterable<ServiceDefinition>;
  /** The share of the repository data `verify` reads (restic `--read-data-subset`). */
  readonly checkSubset?: string;
  readonly now?: () => Date;
}

const defaultSubset = '10%';

export class EngineBackupService implements BackupService {
  readonly #deps: BackupServiceDeps;
  readonly #o: Orchestra;
  #ready: Promise<void> | undefined;

  constructor(deps: BackupServiceDeps) {
    this.#deps = deps;
    this.#o = {
      engine: deps.engine,
      ledger: deps.ledger,
      log: deps.log,
      now: deps.now ?? (() => new Date()),
    };
  }

  /** The repository is created on first use; a failure is retried next time. */
  #init(signal: AbortSignal): Promise<void> {
    this.#ready ??= this.#deps.engine.init(signal).catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }

  #sources(service: ServiceDefinition, only: BackupScope | undefined): BackupSource[] {
    // A service on a cluster backs up the claims it names (claim pods, src/platforms/
    // kubernetes/claim-site.ts); one that names none is refused as before.
    const named =
      service.volumes.length + service.databases.length + (service.backup?.commands ?? []).length;
    if (service.platform === 'kubernetes' && named === 0) {
      throw new UserError('kubernetes-not-supported', { verb: 'backup' });
    }
    const sources = this.#deps.plan(service).sources.filter((s) => inScope(s.id, only));
    if (sources.length === 0) {
      throw new UserError('backup-nothing-to-back-up', {
        service: service.name,
        // The option is named only when it was given.
        only: only === undefined ? '' : ` (--only ${only})`,
      });
    }
    return sources;
  }

  sources(service: ServiceDefinition, only: BackupScope | undefined): readonly BackupSourceView[] {
    return this.#deps
      .plan(service)
      .sources.filter((s) => inScope(s.id, only))
      .map((s) => ({ id: s.id, kind: sourceKind(s.id) }));
  }

  async backup(
    service: ServiceDefinition,
    options: {
      readonly only: BackupScope | undefined;
      readonly tags: readonly string[];
      readonly job: string;
      readonly jobId?: number | undefined;
    },
    onStep: BackupStepReporter,
    signal: AbortSignal,
  ): Promise<BackupReport> {
    const plan = this.#deps.plan(service);
    const sources = this.#sources(service, options.only);
    await this.#init(signal);
    return runBackup(this.#o, {
      service: service.name,
      sources,
      job: options.job,
      jobId: options.jobId,
      extra: options.tags,
      retention: plan.retention,
      hooks: plan.hooks,
      onStep,
      signal,
      recordSuccess: true,
      commit: () => passPointOfNoReturn(signal),
    });
  }

  async snapshots(service: ServiceDefinition, signal: AbortSignal): Promise<SnapshotEntry[]> {
    await this.#init(signal);
    const list = await this.#deps.engine.list(service.name, signal);
    return list
      .filter((s) => s.tags.service === service.name)
      .sort((a, b) => b.time.getTime() - a.time.getTime())
      .map((s) => {
        const m = this.#deps.ledger.manifest(s.id);
        return {
          id: s.id,
          state: this.#deps.ledger.snapshotState(s.id, s.tags.job),
          kind: s.kind,
          time: s.time,
          source: s.tags.source,
          job: s.tags.job,
          extra: s.tags.extra,
          manifest:
            m === undefined ? undefined : { bytes: m.bytes, sha256: m.sha256, files: m.files },
          verified:
            m?.verifiedAt === undefined || m.verifyOk === undefined
              ? undefined
              : { at: m.verifiedAt, ok: m.verifyOk },
        };
      });
  }

  async planRestore(
    service: ServiceDefinition,
    ref: string,
    only: BackupScope | undefined,
    signal: AbortSignal,
    files?: RestoreFilesRequest,
  ): Promise<RestorePlan> {
    const sources = this.#sources(service, only);
    await this.#init(signal);
    const selected = await selectRestore(
      this.#deps.engine,
      this.#deps.ledger,
      service.name,
      sources,
      ref,
      only,
      signal,
    );
    if (files?.to === undefined) {
      for (const item of selected.plan.items) {
        if (item.kind !== 'volume') continue;
        const volume = item.source.slice(item.source.indexOf(':') + 1);
        await refuseSharedVolume(this.#filesDeps(), service, volume, signal);
      }
    }
    if (files === undefined || (files.paths === undefined && files.to === undefined)) {
      return selected.plan;
    }
    return planFilesRestore(this.#filesDeps(), service, selected, files, signal);
  }

  async files(
    service: ServiceDefinition,
    ref: string,
    under: string | undefined,
    limit: number,
    signal: AbortSignal,
  ): Promise<SnapshotFiles> {
    const sources = this.#sources(service, 'volumes');
    await this.#init(signal);
    const selected = await selectRestore(
      this.#deps.engine,
      this.#deps.ledger,
      service.name,
      sources,
      ref,
      'volumes',
      signal,
    );
    return listSnapshotFiles(this.#filesDeps(), service, selected, under, limit, signal);
  }

  #filesDeps(): FilesDeps {
    return {
      engine: this.#deps.engine,
      volumes: (service) => this.#deps.volumes?.(service),
      containersOf: (service, signal) =>
        this.#deps.containersOf?.(service, signal) ?? Promise.resolve([]),
      services: () => this.#deps.services?.() ?? [],
    };
  }

  async restore(
    service: ServiceDefinition,
    plan: RestorePlan,
    options: {
      readonly job: string;
      readonly jobId?: number | undefined;
      readonly withoutHooks?: boolean;
    },
    onStep: BackupStepReporter,
    signal: AbortSignal,
  ): Promise<RestoreReport> {
    const config = this.#deps.plan(service);
    await this.#init(signal);
    // Chosen again from the engine, by the plan's own ids, so the snapshots restored are the
    // ones the plan (and the confirmation) named, and still belong to this service.
    const selected = await selectRestore(
      this.#deps.engine,
      this.#deps.ledger,
      service.name,
      config.sources.filter((s) => plan.items.some((i) => i.source === s.id)),
      plan.ref,
      undefined,
      signal,
    );
    const same = selected.plan.items.every((item) =>
      plan.items.some((p) => p.source === item.source && p.snapshotId === item.snapshotId),
    );
    if (!same || selected.plan.items.length !== plan.items.length) {
      throw new UserError('backup-plan-changed', { service: service.name, ref: plan.ref });
    }
    if (plan.target !== undefined) {
      return restoreBeside(this.#o, this.#filesDeps(), {
        service,
        plan,
        selected,
        onStep,
        signal,
      });
    }
    return runRestore(this.#o, this.#deps.control, {
      ...(plan.paths === undefined ? {} : { paths: plan.paths }),
      service,
      selected,
      sources: config.sources,
      hooks: options.withoutHooks === true ? undefined : config.hooks,
      job: options.job,
      jobId: options.jobId,
      onStep,
      signal,
    });
  }

  async verify(
    service: ServiceDefinition,
    options: { readonly job: string },
    onStep: BackupStepReporter,
    signal: AbortSignal,
  ): Promise<VerifyReport> {
    const sources = this.#sources(service, undefined);
    await this.#init(signal);
    return runVerify(this.#o, {
      service: service.name,
      sources,
      job: options.job,
      subset: this.#deps.checkSubset ?? defaultSubset,
      drillTarget: (source) => this.#deps.drillTarget(service, source),
      onStep,
      signal,
    });
  }

  unlock(signal: AbortSignal): Promise<void> {
    return this.#deps.engine.unlock(signal);
  }

  async prune(signal: AbortSignal): Promise<void> {
    await this.#init(signal);
    await this.#deps.engine.prune(signal);
  }
}
