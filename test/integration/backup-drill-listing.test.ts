/**
 * Drills of file-level snapshots against the real restic and borg: what the drill compares
 * the restored tree with is the snapshot itself (the engine's listing) and the samples, so a
 * file the service changed while the backup ran is no false alarm, while a restored tree
 * that differs from the snapshot still fails.
 *
 * The engine runs through a stand-in program (the `binary` setting) that runs the real one
 * and then acts at a point the test controls: after `backup`/`create` it appends to a file of
 * the volume (the engine has stored the file, the bot has not measured it yet: a service
 * writing during the backup), after `restore`/`extract` it damages a restored file.
 */
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BorgEngine } from '../../src/backup/engines/borg.ts';
import { ResticEngine } from '../../src/backup/engines/restic.ts';
import type { Orchestra } from '../../src/backup/plan.ts';
import { runBackup } from '../../src/backup/run-backup.ts';
import { runVerify } from '../../src/backup/run-verify.ts';
import type { BackupSource } from '../../src/backup/types.ts';
import { localSite } from '../../src/backup/volume-access.ts';
import { createLogger } from '../../src/core/logger.ts';
import { SqliteBackupLedger } from '../../src/store/backup-repo.ts';
import { openDatabase } from '../../src/store/database.ts';
import { engineKinds, repoPassword, type EngineKind } from '../helpers/backup-env.ts';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pes-drill-listing-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Bed {
  readonly o: Orchestra;
  readonly ledger: SqliteBackupLedger;
  readonly volume: string;
  readonly scratch: string;
  /** Files the stand-in reads: what to change after a backup, what to damage after a restore. */
  readonly hook: string;
  backup(job: string): Promise<string>;
  verify(job: string): ReturnType<typeof runVerify>;
}

function standIn(path: string, engine: EngineKind, hook: string): string {
  writeFileSync(
    path,
    [
      '#!/bin/sh',
      `${engine} "$@"`,
      'rc=$?',
      'case "$1" in',
      `  backup|create) if [ -f ${hook}/change ]; then printf 'written during the backup\\n' >> "$(cat ${hook}/change)"; fi ;;`,
      `  restore|extract) if [ -f ${hook}/append ]; then printf Z >> "$(cat ${hook}/append)"; fi;`,
      `    if [ -f ${hook}/flip ]; then printf Z | dd of="$(cat ${hook}/flip)" bs=1 count=1 conv=notrunc 2>/dev/null; fi ;;`,
      'esac',
      'exit $rc',
      '',
    ].join('\n'),
  );
  chmodSync(path, 0o755);
  return path;
}

async function makeBed(kind: EngineKind): Promise<Bed> {
  const base = join(dir, kind);
  const volume = join(base, 'volume');
  const scratch = join(base, 'scratch');
  const hook = join(base, 'hook');
  for (const d of [volume, join(volume, 'sub'), scratch, hook]) mkdirSync(d, { recursive: true });
  for (let i = 0; i < 12; i++) writeFileSync(join(volume, `sub/f${i}`), randomBytes(20_000 + i));
  writeFileSync(join(volume, 'log.txt'), 'first line\n');
  // Older than the backup: every file may be a sample.
  const past = new Date(Date.now() - 3_600_000);
  for (const name of ['log.txt', ...readdirSync(join(volume, 'sub')).map((n) => `sub/${n}`)]) {
    utimesSync(join(volume, name), past, past);
  }
  const binary = standIn(join(base, kind), kind, hook);
  const repository = join(base, 'repo');
  const engine =
    kind === 'restic'
      ? new ResticEngine({
          repository,
          password: repoPassword,
          env: { RESTIC_CACHE_DIR: join(base, 'cache') },
          binary,
        })
      : new BorgEngine({
          repository,
          password: repoPassword,
          env: { BORG_BASE_DIR: join(base, 'borg-base') },
          binary,
        });
  await engine.init();
  const ledger = new SqliteBackupLedger(openDatabase(':memory:'));
  const o: Orchestra = {
    engine,
    ledger,
    log: createLogger({ level: 'silent' }),
    now: () => new Date(),
  };
  const source: BackupSource = {
    id: 'volume:data',
    filename: 'data.tar',
    produce: () => Promise.reject(new Error('file-level only here')),
    open: () => Promise.resolve(localSite(volume)),
    consume: () => Promise.reject(new Error('not here')),
  };
  const signal = new AbortController().signal;
  return {
    o,
    ledger,
    volume,
    scratch,
    hook,
    async backup(job) {
      const report = await runBackup(o, {
        service: 'app',
        sources: [source],
        job,
        jobId: undefined,
        extra: [],
        retention: undefined,
        hooks: undefined,
        onStep: () => undefined,
        signal,
        recordSuccess: true,
      });
      const made = report.sources[0]?.snapshotId;
      if (made === undefined) throw new Error('no snapshot');
      return made;
    },
    verify: (job) =>
      runVerify(o, {
        service: 'app',
        sources: [source],
        job,
        subset: '100%',
        drillTarget: () =>
          Promise.resolve({
            consume: (input: PassThrough) => {
              input.resume();
              return Promise.resolve();
            },
            open: () => Promise.resolve(localSite(scratch)),
            remove: () => {
              for (const name of readdirSync(scratch)) {
                rmSync(join(scratch, name), { recursive: true, force: true });
              }
              return Promise.resolve();
            },
          }),
        onStep: () => undefined,
        signal,
      }),
  };
}

function clearHooks(bed: Bed): void {
  for (const name of readdirSync(bed.hook)) rmSync(join(bed.hook, name));
}

describe.each(engineKinds)('%s: a drill compares with the snapshot itself', (kind) => {
  let bed: Bed;

  beforeAll(async () => {
    bed = await makeBed(kind);
  });

  it('a file written while the backup ran is no false alarm', async () => {
    writeFileSync(join(bed.hook, 'change'), join(bed.volume, 'log.txt'));
    try {
      await bed.backup('1-changed');
    } finally {
      clearHooks(bed);
    }
    const report = await bed.verify('v-1');
    expect(report.drills.map((d) => [d.ok, d.reason])).toEqual([[true, undefined]]);
    expect(report.ok).toBe(true);
  });

  it('a restored file whose size differs fails the drill', async () => {
    writeFileSync(join(bed.hook, 'append'), join(bed.scratch, 'sub/f3'));
    let report;
    try {
      report = await bed.verify('v-2');
    } finally {
      clearHooks(bed);
    }
    const [drill] = report.drills;
    expect(drill?.ok).toBe(false);
    expect(drill?.problem).toBe('mismatch');
    expect(drill?.reason).toContain('bytes:');
    expect(report.ok).toBe(false);
  });

  it('a restored sample whose content differs (same size) fails the drill', async () => {
    const made = (await bed.o.engine.list('app')).find((s) => s.tags.job === '1-changed');
    const samples = bed.ledger.manifest(made?.id ?? '')?.samples ?? [];
    const [sample] = samples;
    if (sample === undefined) throw new Error('no sample recorded');
    // log.txt changed during the backup: never a sample.
    expect(samples.map((s) => s.path)).not.toContain('log.txt');
    writeFileSync(join(bed.hook, 'flip'), join(bed.scratch, sample.path));
    let report;
    try {
      report = await bed.verify('v-3');
    } finally {
      clearHooks(bed);
    }
    const [drill] = report.drills;
    expect(drill?.ok).toBe(false);
    expect(drill?.reason).toContain(`\`${sample.path}\`: sha256 differs`);
  });

  it('a file changed in the minute before the backup started is no sample', async () => {
    // Within the margin: its time may be the kernel's coarse clock or another node's.
    const recent = new Date(Date.now() - 30_000);
    const older = new Date(Date.now() - 120_000);
    for (const name of readdirSync(join(bed.volume, 'sub'))) {
      utimesSync(join(bed.volume, 'sub', name), recent, recent);
    }
    utimesSync(join(bed.volume, 'log.txt'), recent, recent);
    utimesSync(join(bed.volume, 'sub/f5'), older, older);
    await bed.backup('4-margin');
    const made = (await bed.o.engine.list('app')).find((s) => s.tags.job === '4-margin');
    const samples = bed.ledger.manifest(made?.id ?? '')?.samples ?? [];
    expect(samples.map((s) => s.path)).toEqual(['sub/f5']);
  });
});
