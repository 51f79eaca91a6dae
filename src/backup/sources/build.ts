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
import { postgresSource } from './postgres.ts';
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
    const access = {
      platform: deps.platform,
      password: deps.databasePasswords.get(`${service.name}/${db.name}`),
    };
    sources.push(db.engine === 'postgres' ? postgresSource(db, access) : mysqlSource(db, access));
  }
  for (const def of service.backup?.commands ?? []) {
    sources.push(commandSource(def, deps.platform));
  }
  return sources;
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
