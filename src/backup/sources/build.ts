/**
 * What a service's backup consists of, from its configuration: its volumes, its databases,
 * its command sources, its retention policy and hooks. The orchestration (service.ts) calls
 * this for each service; nothing here runs anything yet.
 */
import type { ServiceDefinition } from '../../core/catalog.ts';
import type { Platform } from '../../core/platform.ts';
import type { BackupSource, RetentionPolicy } from '../types.ts';
import { commandSource } from './command.ts';
import { execHooks, type ExecHooks } from './hooks.ts';
import { mysqlSource } from './mysql.ts';
import { postgresSource, type DatabaseAccess } from './postgres.ts';
import type { ContainerRef } from './process.ts';
import { volumeSource } from './volume.ts';

export interface SourceDeps {
  readonly platform: Platform;
  /** `<service>/<database name>` → password, as LoadedConfig.databasePasswords holds them. */
  readonly databasePasswords: ReadonlyMap<string, string>;
}

export interface ServiceBackupParts {
  readonly sources: readonly BackupSource[];
  readonly retention: RetentionPolicy | undefined;
  readonly hooks: ExecHooks | undefined;
}

/** Volumes first, then databases, then commands: the order they are backed up in. */
export function buildSources(service: ServiceDefinition, deps: SourceDeps): BackupSource[] {
  const sources: BackupSource[] = service.volumes.map((v) => volumeSource(deps.platform, v));
  for (const db of service.databases) {
    const access: DatabaseAccess = {
      platform: deps.platform,
      password: deps.databasePasswords.get(`${service.name}/${db.name}`),
      ...(db.cluster === undefined ? {} : { pod: podOf(deps.platform, service, db.name) }),
    };
    sources.push(db.engine === 'postgres' ? postgresSource(db, access) : mysqlSource(db, access));
  }
  for (const def of service.backup?.commands ?? []) {
    sources.push(commandSource(def, deps.platform));
  }
  return sources;
}

/** A platform that finds the pod a cluster database runs in now (the cluster's port). */
export interface DatabasePods {
  databaseTarget(
    service: ServiceDefinition,
    database: string,
    signal?: AbortSignal,
  ): Promise<string>;
}

function hasDatabasePods(platform: Platform): platform is Platform & DatabasePods {
  return typeof (platform as Partial<DatabasePods>).databaseTarget === 'function';
}

/** The pod is looked up at each run, right before its programs start. */
function podOf(platform: Platform, service: ServiceDefinition, database: string): ContainerRef {
  return (signal) => {
    // A cluster database on a platform that cannot find pods is a wiring fault.
    if (!hasDatabasePods(platform)) {
      return Promise.reject(new Error(`platform ${platform.name} has no database pods`));
    }
    return platform.databaseTarget(service, database, signal);
  };
}

export function retentionOf(service: ServiceDefinition): RetentionPolicy | undefined {
  const policy = service.backup?.retention;
  if (policy === undefined) return undefined;
  const rules = [policy.keepLast, policy.keepDaily, policy.keepWeekly, policy.keepMonthly];
  return rules.some((n) => n !== undefined && n > 0) ? policy : undefined;
}

export function hooksOf(service: ServiceDefinition, platform: Platform): ExecHooks | undefined {
  const settings = service.backup?.hooks;
  if (settings === undefined || (settings.before.length === 0 && settings.after.length === 0)) {
    return undefined;
  }
  return execHooks(platform, settings);
}

/** Sources, retention and hooks together (the orchestration's ServiceBackupPlan). */
export function buildBackupParts(service: ServiceDefinition, deps: SourceDeps): ServiceBackupParts {
  return {
    sources: buildSources(service, deps),
    retention: retentionOf(service),
    hooks: hooksOf(service, deps.platform),
  };
}
