/**
 * In-memory stand-ins for the lower layer (engines, sources, the platform's stop/start), so
 * that the orchestration is tested on its own. They keep the contracts of src/backup/types.ts:
 * an engine drops the snapshot of a failed producer; a source's consume replaces its data.
 */
import type { DatabaseSync } from 'node:sqlite';
import { Readable, type Writable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { createLogger } from '../../src/core/logger.ts';
import type { ServiceDefinition } from '../../src/core/catalog.ts';
import { EngineBackupService } from '../../src/backup/service.ts';
import type { DrillTarget, ServiceBackupPlan, ServiceControl } from '../../src/backup/plan.ts';
import type {
  BackupEngine,
  BackupProgress,
  BackupResult,
  BackupSource,
  ProducedStream,
  RetentionPolicy,
  Snapshot,
  SnapshotTags,
  TreeBackupOptions,
  TreeBackupResult,
  TreeEntry,
} from '../../src/backup/types.ts';
import { SqliteBackupLedger } from '../../src/store/backup-repo.ts';
import { openDatabase } from '../../src/store/database.ts';

interface Stored extends Snapshot {
  data: Buffer;
}

export class FakeEngine implements BackupEngine {
  readonly name = 'restic' as const;
  readonly stored: Stored[] = [];
  readonly calls: string[] = [];
  checkError: Error | undefined;
  /** An engine that is down or a repository that is locked, for list and forget. */
  listError: Error | undefined;
  forgetError: Error | undefined;
  #next = 1;
  #clock = Date.parse('2025-01-01T00:00:00Z');

  init(): Promise<void> {
    return Promise.resolve();
  }

  async backup(
    input: Readable,
    options: {
      readonly filename: string;
      readonly tags: SnapshotTags;
      readonly producer: Promise<void>;
      readonly onProgress: (progress: BackupProgress) => void;
    },
  ): Promise<BackupResult> {
    const data = await buffer(input);
    // As restic does: a snapshot is made whatever came, then dropped when the producer failed.
    const id = (this.#next++).toString(16).padStart(8, 'a');
    this.calls.push(`backup ${options.tags.source}`);
    options.onProgress({
      fraction: 0.5,
      bytesDone: data.length / 2,
      bytesTotal: data.length,
      etaSeconds: 1,
    });
    await options.producer;
    this.#clock += 60_000;
    this.stored.push({
      id,
      time: new Date(this.#clock),
      tags: options.tags,
      filename: options.filename,
      kind: 'stream',
      data,
    });
    return { snapshotId: id, bytesProcessed: data.length, bytesAdded: Math.floor(data.length / 2) };
  }

  async restore(snapshot: Snapshot, output: Writable): Promise<void> {
    const found = this.stored.find((s) => s.id === snapshot.id);
    if (found === undefined) throw new Error(`no snapshot ${snapshot.id}`);
    this.calls.push(`restore ${snapshot.id}`);
    await pipeline(Readable.from([found.data]), output);
  }

  list(service: string | undefined): Promise<Snapshot[]> {
    if (this.listError !== undefined) return Promise.reject(this.listError);
    return Promise.resolve(
      this.stored
        .filter((s) => service === undefined || s.tags.service === service)
        .sort((a, b) => b.time.getTime() - a.time.getTime())
        .map((s) => ({
          id: s.id,
          time: s.time,
          tags: s.tags,
          filename: s.filename,
          kind: s.kind,
        })),
    );
  }

  /** File-level snapshots are tested against the real engines (test/integration). */
  backupTree(options: TreeBackupOptions): Promise<TreeBackupResult> {
    return Promise.reject(new Error(`the fake engine stores streams only: ${options.directory}`));
  }

  restoreTree(): Promise<void> {
    return Promise.reject(new Error('the fake engine stores streams only'));
  }

  listTree(): Promise<TreeEntry[]> {
    return Promise.reject(new Error('the fake engine stores streams only'));
  }

  forget(ids: readonly string[]): Promise<void> {
    this.calls.push(`forget ${ids.join(',')}`);
    if (this.forgetError !== undefined) return Promise.reject(this.forgetError);
    for (const id of ids) {
      const index = this.stored.findIndex((s) => s.id === id);
      if (index >= 0) this.stored.splice(index, 1);
    }
    return Promise.resolve();
  }

  /** keepLast only: enough to see that the policy is applied, and to what. */
  async applyRetention(
    service: string,
    source: string,
    policy: RetentionPolicy,
  ): Promise<{ kept: string[]; removed: string[] }> {
    this.calls.push(`retention ${service} ${source} ${JSON.stringify(policy)}`);
    const own = (await this.list(service)).filter((s) => s.tags.source === source);
    const keep = policy.keepLast ?? own.length;
    const removed = own.slice(keep).map((s) => s.id);
    await this.forget(removed);
    return { kept: own.slice(0, keep).map((s) => s.id), removed };
  }

  prune(): Promise<void> {
    this.calls.push('prune');
    return Promise.resolve();
  }

  check(subset: string | undefined): Promise<void> {
    this.calls.push(`check ${subset ?? ''}`);
    return this.checkError === undefined ? Promise.resolve() : Promise.reject(this.checkError);
  }

  unlock(): Promise<void> {
    this.calls.push('unlock');
    return Promise.resolve();
  }

  /**
   * What a bot killed mid-backup leaves: the snapshot restic saves of the part of the stream
   * it had read when the pipe closed, tagged like a good one (docs/FIELD-NOTES.md "restic").
   */
  storePartial(tags: SnapshotTags, data: string, filename = 'cut.bin'): string {
    const id = (this.#next++).toString(16).padStart(8, 'a');
    this.#clock += 60_000;
    this.stored.push({
      id,
      time: new Date(this.#clock),
      tags,
      filename,
      kind: 'stream',
      data: Buffer.from(data),
    });
    return id;
  }

  /** Flips one byte of a stored stream, as a damaged pack would. */
  corrupt(id: string): void {
    const found = this.stored.find((s) => s.id === id);
    if (found === undefined || found.data.length === 0) throw new Error(`cannot corrupt ${id}`);
    found.data = Buffer.from(found.data);
    found.data[0] = (found.data[0] ?? 0) ^ 0xff;
  }
}

export class FakeSource implements BackupSource {
  readonly id: string;
  readonly filename: string;
  data: Buffer;
  failProduce = false;
  failConsume = false;
  consumed = 0;

  constructor(id: string, data: string | Buffer) {
    this.id = id;
    this.filename = `${id.replace(':', '-')}.bin`;
    this.data = Buffer.from(data);
  }

  produce(): Promise<ProducedStream> {
    const done = this.failProduce
      ? Promise.reject(new Error('tar: exit status 2'))
      : Promise.resolve();
    done.catch(() => undefined);
    return Promise.resolve({ stream: Readable.from([this.data]), done });
  }

  async consume(input: Readable): Promise<void> {
    this.consumed++;
    if (this.failConsume) {
      input.destroy();
      throw new Error('tar: cannot write');
    }
    this.data = await buffer(input);
  }
}

export class FakeControl implements ServiceControl {
  readonly calls: string[] = [];
  failStart = false;
  failHealth = false;

  stop(service: ServiceDefinition): Promise<void> {
    this.calls.push(`stop ${service.name}`);
    return Promise.resolve();
  }

  start(service: ServiceDefinition): Promise<void> {
    this.calls.push(`start ${service.name}`);
    return this.failStart ? Promise.reject(new Error('cannot start')) : Promise.resolve();
  }

  waitHealthy(service: ServiceDefinition): Promise<void> {
    this.calls.push(`wait ${service.name}`);
    return this.failHealth ? Promise.reject(new Error('unhealthy')) : Promise.resolve();
  }
}

export interface Harness {
  readonly engine: FakeEngine;
  readonly control: FakeControl;
  readonly ledger: SqliteBackupLedger;
  readonly service: EngineBackupService;
  readonly plans: Map<string, ServiceBackupPlan>;
  readonly hooks: string[];
  /** The ledger's database, which holds the jobs table too (as in the bot). */
  readonly db: DatabaseSync;
  /** Where drills unpack; none (the stream is drained) unless a test sets one. */
  drillTarget: () => Promise<DrillTarget | undefined>;
}

/** A backup service over the fakes; `plans` holds each service's sources and policy. */
export function harness(
  plans: Record<string, Partial<ServiceBackupPlan>>,
  engine: FakeEngine = new FakeEngine(),
): Harness {
  const control = new FakeControl();
  const db = openDatabase(':memory:');
  const ledger = new SqliteBackupLedger(db);
  const map = new Map<string, ServiceBackupPlan>(
    Object.entries(plans).map(([name, p]) => [
      name,
      { sources: p.sources ?? [], retention: p.retention, hooks: p.hooks },
    ]),
  );
  const service = new EngineBackupService({
    engine,
    ledger,
    log: createLogger({ level: 'silent' }),
    plan: (s) => map.get(s.name) ?? { sources: [], retention: undefined, hooks: undefined },
    control,
    drillTarget: () => h.drillTarget(),
  });
  const h: Harness = {
    engine,
    control,
    ledger,
    service,
    plans: map,
    hooks: [],
    db,
    drillTarget: () => Promise.resolve(undefined),
  };
  return h;
}
