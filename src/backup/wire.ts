/**
 * Puts the BackupService together from the configured engine, the sources each service's
 * configuration describes (sources/build.ts), the ledger and the platform.
 */
import { sourceKind, type BackupLedger } from '../core/backup.ts';
import type { ServiceDefinition } from '../core/catalog.ts';
import type { Logger } from '../core/logger.ts';
import type { Platform } from '../core/platform.ts';
import type { DrillTarget, ServiceControl } from './plan.ts';
import { platformControl } from './platform-control.ts';
import { EngineBackupService } from './service.ts';
import { buildBackupParts } from './sources/build.ts';
import type { BackupEngine, BackupSource } from './types.ts';

export interface BackupWiring {
  readonly engine: BackupEngine;
  readonly ledger: BackupLedger;
  readonly log: Logger;
  platform(service: ServiceDefinition): Platform;
  /** `<service>/<database name>` → password. */
  readonly databasePasswords: ReadonlyMap<string, string>;
  /** Every service of the catalog (their volumes are never a restore's `--to` target). */
  services?(): Iterable<ServiceDefinition>;
  readonly checkSubset?: string;
  /** How often a restore polls the service's health (tests make it short). */
  readonly healthPollMs?: number;
}

/** A drill unpacks a volume's snapshot into a fresh scratch volume, removed afterwards. */
async function scratchTarget(
  platform: Platform,
  service: ServiceDefinition,
  source: BackupSource,
): Promise<DrillTarget | undefined> {
  // A dump is checked through the meter alone: restoring it needs a scratch database server.
  if (sourceKind(source.id) !== 'volume') return undefined;
  const name = await platform.createScratchVolume({
    'pes.scratch': 'drill',
    'pes.service': service.name,
    'pes.source': source.id,
  });
  return {
    consume: (input, signal) => platform.writeVolume(name, input, signal),
    open: (signal) =>
      platform.volumeFiles?.open(name, 'write', signal) ?? Promise.resolve(undefined),
    remove: () => platform.removeVolume(name),
  };
}

export function createBackupService(w: BackupWiring): EngineBackupService {
  const options = w.healthPollMs === undefined ? {} : { pollMs: w.healthPollMs };
  const control: ServiceControl = {
    containers: (service, signal) =>
      platformControl(w.platform(service), options).containers?.(service, signal) ??
      Promise.resolve(undefined),
    stop: (service, signal) => platformControl(w.platform(service), options).stop(service, signal),
    start: (service, signal) =>
      platformControl(w.platform(service), options).start(service, signal),
    waitHealthy: (service, signal) =>
      platformControl(w.platform(service), options).waitHealthy(service, signal),
  };
  return new EngineBackupService({
    engine: w.engine,
    ledger: w.ledger,
    log: w.log,
    plan: (service) =>
      buildBackupParts(service, {
        platform: w.platform(service),
        databasePasswords: w.databasePasswords,
      }),
    control,
    drillTarget: (service, source) => scratchTarget(w.platform(service), service, source),
    volumes: (service) => w.platform(service).volumeFiles,
    containersOf: async (service, signal) =>
      (await w.platform(service).status(service, signal)).containers.map((c) => c.name),
    services: () => w.services?.() ?? [],
    ...(w.checkSubset === undefined ? {} : { checkSubset: w.checkSubset }),
  });
}
