/**
 * File names that are not UTF-8, against the real restic and borg: the engine's listing of
 * the snapshot, made into a drill's expectation, equals the bot's own walk of the same files
 * (figures and the file list digest), and a drill of a local volume passes.
 *
 * A name is bytes. The walk turns each byte that is not part of a valid UTF-8 sequence into
 * one U+FFFD, as restic's JSON does (Go); borg's exact listing (`{bpath!a}`) gives each as
 * a surrogate escape, also one U+FFFD (src/backup/name-text.ts). Besides the Latin-1 `café`
 * and a truncated sequence, the names hold the cases where a decoder could count differently: a
 * truncated 4-byte sequence, an overlong encoding, a UTF-16 surrogate encoded in UTF-8, a
 * code point above U+10FFFF, a sequence cut by the end of the name.
 */
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Orchestra } from '../../src/backup/plan.ts';
import { runBackup } from '../../src/backup/run-backup.ts';
import { runVerify } from '../../src/backup/run-verify.ts';
import { listedExpectation } from '../../src/backup/snapshot-listing.ts';
import { compareTree, measureTree } from '../../src/backup/tree-walk.ts';
import type { BackupSource, Snapshot } from '../../src/backup/types.ts';
import { localSite } from '../../src/backup/volume-access.ts';
import { createLogger } from '../../src/core/logger.ts';
import { SqliteBackupLedger } from '../../src/store/backup-repo.ts';
import { openDatabase } from '../../src/store/database.ts';
import { createTestRepo, engineKinds, type TestRepo } from '../helpers/backup-env.ts';

const bytes = (...parts: (string | number[])[]): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

/** The names at the volume's root, as bytes. */
const names = {
  latin1: bytes('caf', [0xe9]),
  truncated3: bytes('a', [0xe2, 0x80], 'b'),
  valid: bytes('é'),
  folder: bytes('dir', [0xff, 0xe2, 0x80]),
  truncated4: bytes('x', [0xf0, 0x9f, 0x98], 'y'),
  overlong: bytes('o', [0xc0, 0x80]),
  surrogate: bytes('s', [0xed, 0xa0, 0x80]),
  aboveMax: bytes('h', [0xf4, 0x90, 0x80, 0x80]),
  cutAtEnd: bytes('t', [0xe2, 0x80]),
  question: bytes('q?'),
  literalReplacement: bytes('r\uFFFD'),
};

function fill(root: string): void {
  const at = (...parts: Buffer[]): Buffer =>
    Buffer.concat([Buffer.from(root), ...parts.flatMap((p) => [Buffer.from('/'), p])]);
  for (const [key, name] of Object.entries(names)) {
    if (key === 'folder') continue;
    writeFileSync(at(name), `${key}\n`);
  }
  mkdirSync(at(names.folder));
  writeFileSync(at(names.folder, bytes('inner.txt')), 'in a folder whose name is not UTF-8\n');
  writeFileSync(at(names.folder, names.latin1), 'a Latin-1 name in it too\n');
  symlinkSync(names.latin1, at(bytes('link')));
  // Older than the backup: the valid names may be samples.
  const past = new Date(Date.now() - 3_600_000);
  utimesSync(at(names.valid), past, past);
  utimesSync(at(names.question), past, past);
}

/** Every path under `root` as bytes, hex-encoded, sorted: what a restore must bring back. */
function rawPaths(root: string): string[] {
  const out: string[] = [];
  const visit = (relative: Buffer): void => {
    const full = Buffer.concat([Buffer.from(root), Buffer.from('/'), relative]);
    for (const entry of readdirSync(full, { encoding: 'buffer', withFileTypes: true })) {
      const path =
        relative.length === 0
          ? entry.name
          : Buffer.concat([relative, Buffer.from('/'), entry.name]);
      out.push(path.toString('hex'));
      if (entry.isDirectory()) visit(path);
    }
  };
  visit(Buffer.alloc(0));
  return out.sort();
}

describe.each(engineKinds)('names that are not UTF-8, with %s', (kind) => {
  let repo: TestRepo;
  let dir: string;
  let volume: string;
  let scratch: string;
  let o: Orchestra;
  let ledger: SqliteBackupLedger;
  let source: BackupSource;
  let snapshot: Snapshot;
  const signal = new AbortController().signal;

  beforeAll(async () => {
    repo = await createTestRepo(kind);
    dir = mkdtempSync(join(tmpdir(), `pes-names-${kind}-`));
    volume = join(dir, 'volume');
    scratch = join(dir, 'scratch');
    mkdirSync(volume);
    mkdirSync(scratch);
    fill(volume);
    ledger = new SqliteBackupLedger(openDatabase(':memory:'));
    o = {
      engine: repo.engine,
      ledger,
      log: createLogger({ level: 'silent' }),
      now: () => new Date(),
    };
    source = {
      id: 'volume:data',
      filename: 'data.tar',
      produce: () => Promise.reject(new Error('file-level only here')),
      open: () => Promise.resolve(localSite(volume)),
      consume: () => Promise.reject(new Error('not here')),
    };
    const report = await runBackup(o, {
      service: 'app',
      sources: [source],
      job: '1-names',
      jobId: undefined,
      extra: [],
      retention: undefined,
      hooks: undefined,
      onStep: () => undefined,
      signal,
      recordSuccess: true,
    });
    const id = report.sources[0]?.snapshotId;
    const found = (await repo.engine.list('app')).find((s) => s.id === id);
    if (found === undefined) throw new Error('snapshot not listed');
    snapshot = found;
  });

  afterAll(() => {
    repo.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it("the engine's listing as an expectation equals the walk: figures and file list", async () => {
    const listed = await listedExpectation(repo.engine, snapshot, undefined, signal);
    const { figures } = await measureTree(volume);
    expect({ files: listed.files, bytes: listed.bytes, sha256: listed.sha256 }).toEqual({
      files: figures.files,
      bytes: figures.bytes,
      sha256: figures.entriesDigest,
    });
    expect(figures.files).toBe(Object.keys(names).length - 1 + 2);
    const compared = await compareTree(volume, listed, signal);
    expect(compared.problems).toEqual([]);
  });

  it('the listing names each byte that is not UTF-8 once, valid names as they are', async () => {
    const paths = (await repo.engine.listTree(snapshot)).map((e) => e.path);
    // One U+FFFD per byte: restic writes it so (Go); borg's exact listing (`{bpath!a}`) gives
    // its surrogate escape, read so (its `--json-lines` would write `?`, as for a real `?`).
    const bad = '\uFFFD';
    const expected = [
      `caf${bad}`,
      `a${bad}${bad}b`,
      'é',
      `dir${bad.repeat(3)}`,
      `dir${bad.repeat(3)}/inner.txt`,
      `dir${bad.repeat(3)}/caf${bad}`,
      `x${bad.repeat(3)}y`,
      `o${bad.repeat(2)}`,
      `s${bad.repeat(3)}`,
      `h${bad.repeat(4)}`,
      `t${bad.repeat(2)}`,
      'q?',
      'r\uFFFD',
      'link',
    ];
    expect([...paths].sort()).toEqual([...expected].sort());
  });

  it('a drill of the local volume restores every name by its bytes and passes', async () => {
    const report = await runVerify(o, {
      service: 'app',
      sources: [source],
      job: 'v-names',
      subset: '100%',
      drillTarget: () =>
        Promise.resolve({
          consume: (input: PassThrough) => {
            input.resume();
            return Promise.resolve();
          },
          open: () => Promise.resolve(localSite(scratch)),
          // Left in place for the check below; the next drill would find it full.
          remove: () => Promise.resolve(),
        }),
      onStep: () => undefined,
      signal,
    });
    expect(report.drills.map((d) => [d.ok, d.reason])).toEqual([[true, undefined]]);
    expect(report.ok).toBe(true);
    expect(rawPaths(scratch)).toEqual(rawPaths(volume));
    // The samples are among the valid names only (an invalid one cannot be opened by text).
    const samples = ledger.manifest(snapshot.id)?.samples ?? [];
    expect(samples.map((s) => s.path).sort()).toEqual(['q?', 'é']);
  });
});
