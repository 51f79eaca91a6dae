/**
 * `restore … --path` and names that are not UTF-8, against the real restic and borg on a
 * directory of this machine, by the steps the bot takes: the plan matches the paths against
 * the engine's listing (plan-files.ts), then the matched paths are removed and restored
 * (restore-files.ts).
 *
 * The engines are given a path as text: restic's `--include` would take U+FFFD as that
 * character and restore nothing (and the bot would report success), borg's `pp:caf?` names
 * a real `caf?`, never `caf\xe9`. Such a match is refused before anything is removed, the
 * live volume left byte for byte as it was, a real `caf?` beside it included. The folder
 * holding such names, a real `?` asked for as such, and a whole restore work.
 */
import {
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planFilesRestore } from '../../src/backup/plan-files.ts';
import { restoreFiles } from '../../src/backup/restore-files.ts';
import type { SelectedRestore } from '../../src/backup/select.ts';
import { listedExpectation } from '../../src/backup/snapshot-listing.ts';
import { measureTree } from '../../src/backup/tree-walk.ts';
import type { Snapshot } from '../../src/backup/types.ts';
import { localSite } from '../../src/backup/volume-access.ts';
import { UserError } from '../../src/core/errors.ts';
import { service } from '../helpers/catalog.ts';
import { createTestRepo, engineKinds, type TestRepo } from '../helpers/backup-env.ts';

const bytes = (...parts: (string | number[])[]): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

const latin1 = bytes('caf', [0xe9]);

/** Relative paths as bytes under `root`. */
const at = (root: string, ...parts: Buffer[]): Buffer =>
  Buffer.concat([Buffer.from(root), ...parts.flatMap((p) => [Buffer.from('/'), p])]);

/** Each path under `root` (hex of its bytes) with its content: what must stay or come back. */
function rawTree(root: string): string[] {
  const out: string[] = [];
  const visit = (relative: Buffer): void => {
    const full = relative.length === 0 ? Buffer.from(root) : at(root, relative);
    for (const entry of readdirSync(full, { encoding: 'buffer', withFileTypes: true })) {
      const path =
        relative.length === 0
          ? entry.name
          : Buffer.concat([relative, Buffer.from('/'), entry.name]);
      if (entry.isDirectory()) {
        out.push(`${path.toString('hex')}/`);
        visit(path);
      } else {
        out.push(`${path.toString('hex')} ${readFileSync(at(root, path)).toString('utf8')}`);
      }
    }
  };
  visit(Buffer.alloc(0));
  return out.sort();
}

/**
 * The volume as backed up: Latin-1 names at the root and in a folder, a real `caf?`, and a
 * hard link to the Latin-1 name (borg writes a hard link's source with `?` only).
 */
function fill(root: string, content: string): void {
  writeFileSync(at(root, latin1), `latin1 ${content}\n`);
  linkSync(at(root, latin1), at(root, bytes('hard')));
  writeFileSync(at(root, bytes('caf?')), `question ${content}\n`);
  writeFileSync(at(root, bytes('cafe')), `cafe ${content}\n`);
  mkdirSync(at(root, bytes('p')), { recursive: true });
  writeFileSync(at(root, bytes('p'), latin1), `folder latin1 ${content}\n`);
  writeFileSync(at(root, bytes('p'), bytes('note.txt')), `folder note ${content}\n`);
}

describe.each(engineKinds)('restore --path and names that are not UTF-8, with %s', (kind) => {
  let repo: TestRepo;
  let dir: string;
  let snapshot: Snapshot;
  const signal = new AbortController().signal;
  const app = service('app', { volumes: ['data'] });

  beforeAll(async () => {
    repo = await createTestRepo(kind);
    dir = mkdtempSync(join(tmpdir(), `pes-restore-names-${kind}-`));
    const source = join(dir, 'source');
    mkdirSync(source);
    fill(source, 'backed up');
    const made = await repo.engine.backupTree({
      directory: source,
      tags: { service: 'app', source: 'volume:data', job: '1-names', extra: [] },
      onProgress: () => undefined,
    });
    const found = (await repo.engine.list('app')).find((s) => s.id === made.snapshotId);
    if (found === undefined) throw new Error('snapshot not listed');
    snapshot = found;
  });

  afterAll(() => {
    repo.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A live volume whose every file differs from the snapshot's. */
  function liveVolume(name: string): string {
    const live = join(dir, name);
    mkdirSync(live);
    fill(live, 'changed since');
    return live;
  }

  /** The bot's steps for `restore app <id> [--path …]`; the error's code when refused. */
  async function restore(live: string, paths: string[] | undefined): Promise<string | undefined> {
    const selected: SelectedRestore = {
      plan: {
        service: 'app',
        ref: snapshot.id,
        job: '2-restore',
        items: [
          {
            source: 'volume:data',
            kind: 'volume',
            snapshotId: snapshot.id,
            snapshotKind: 'files',
            time: snapshot.time,
            bytes: undefined,
            state: 'complete',
          },
        ],
        untouched: [],
      },
      snapshots: new Map([['volume:data', snapshot]]),
    };
    const deps = {
      engine: repo.engine,
      volumes: () => undefined,
      containersOf: () => Promise.resolve([]),
    };
    try {
      const plan = await planFilesRestore(
        deps,
        app,
        selected,
        paths === undefined ? {} : { paths },
        signal,
      );
      await restoreFiles(repo.engine, snapshot, {
        site: localSite(live),
        volume: 'data',
        paths: plan.paths,
        signal,
      });
      return undefined;
    } catch (error) {
      if (error instanceof UserError) return error.code;
      return error instanceof Error ? error.message : String(error);
    }
  }

  it('lists the Latin-1 names with U+FFFD and a real `?` as itself', async () => {
    const entries = await repo.engine.listTree(snapshot);
    const paths = entries.map((e) => e.path).sort();
    expect(paths).toEqual(
      ['caf\uFFFD', 'caf?', 'cafe', 'hard', 'p', 'p/caf\uFFFD', 'p/note.txt'].sort(),
    );
    // A hard link names a path of the listing, and a drill's expectation equals the walk.
    for (const entry of entries) {
      if (entry.hardlinkOf !== undefined) expect(paths).toContain(entry.hardlinkOf);
    }
    const listed = await listedExpectation(repo.engine, snapshot, undefined, signal);
    const { figures } = await measureTree(join(dir, 'source'));
    expect({ files: listed.files, bytes: listed.bytes, sha256: listed.sha256 }).toEqual({
      files: figures.files,
      bytes: figures.bytes,
      sha256: figures.entriesDigest,
    });
  });

  it.each([['caf*'], ['caf?'], ['p/*'], ['**/caf*']])(
    '--path %s is refused; nothing in the volume changes',
    async (path) => {
      const live = liveVolume(`refused-${Buffer.from(path).toString('hex')}`);
      const before = rawTree(live);
      expect(await restore(live, [path])).toBe('backup-path-not-utf8');
      expect(rawTree(live)).toEqual(before);
    },
  );

  it('the folder holding such names comes back, each name by its bytes', async () => {
    const live = liveVolume('folder');
    expect(await restore(live, ['p'])).toBeUndefined();
    expect(readFileSync(at(live, bytes('p'), latin1), 'utf8')).toBe('folder latin1 backed up\n');
    expect(readFileSync(at(live, bytes('p/note.txt')), 'utf8')).toBe('folder note backed up\n');
    // Outside the folder, nothing changed.
    expect(readFileSync(at(live, latin1), 'utf8')).toBe('latin1 changed since\n');
    expect(readFileSync(at(live, bytes('caf?')), 'utf8')).toBe('question changed since\n');
  });

  it('a real `?` asked for as such comes back alone', async () => {
    const live = liveVolume('question');
    expect(await restore(live, ['caf[?]'])).toBeUndefined();
    expect(readFileSync(at(live, bytes('caf?')), 'utf8')).toBe('question backed up\n');
    expect(readFileSync(at(live, latin1), 'utf8')).toBe('latin1 changed since\n');
  });

  it('a whole restore brings every name back by its bytes', async () => {
    const live = liveVolume('whole');
    expect(await restore(live, undefined)).toBeUndefined();
    expect(rawTree(live)).toEqual(rawTree(join(dir, 'source')));
  });
});
