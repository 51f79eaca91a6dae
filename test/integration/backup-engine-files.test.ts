/**
 * The engines' file-level verbs on a directory of this machine, against real restic and
 * borg repositories: a round trip byte for byte with owners, modes, times, hard and symbolic
 * links and empty folders; an unchanged second backup adds nothing by the engine's own
 * figures; a restore of some paths leaves every other file as it is; a symbolic link above
 * a path in the live tree is refused; a glob character in a file name is taken literally;
 * names starting with dots (`.htaccess`, `..foo`, `.git/config`) are listed and restored as
 * they are.
 */
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restoreFiles } from '../../src/backup/restore-files.ts';
import { localSite } from '../../src/backup/volume-access.ts';
import { matchPaths } from '../../src/backup/restore-paths.ts';
import { measureTree, compareTree } from '../../src/backup/tree-walk.ts';
import type { Snapshot, TreeBackupResult } from '../../src/backup/types.ts';
import { UserError } from '../../src/core/errors.ts';
import { createTestRepo, engineKinds, type TestRepo } from '../helpers/backup-env.ts';

/** Every entry under `root`: type, mode, owner, link count, time, link target, digest. */
function listing(root: string): string {
  const lines: string[] = [];
  const visit = (relative: string): void => {
    for (const name of readdirSync(join(root, relative)).sort()) {
      const path = relative === '' ? name : `${relative}/${name}`;
      const full = join(root, path);
      const st = lstatSync(full);
      const base = `${path} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
      if (st.isDirectory()) {
        lines.push(`${base} dir`);
        visit(path);
      } else if (st.isSymbolicLink()) {
        lines.push(`${path} link -> ${readlinkSync(full)}`);
      } else {
        const sha = createHash('sha256').update(readFileSync(full)).digest('hex');
        lines.push(`${base} ${st.nlink} ${Math.floor(st.mtimeMs / 1000)} ${sha}`);
      }
    }
  };
  visit('');
  return lines.join('\n');
}

function fill(root: string): void {
  mkdirSync(join(root, 'd/e'), { recursive: true });
  mkdirSync(join(root, 'empty'));
  mkdirSync(join(root, 'keep'));
  writeFileSync(join(root, 'a.txt'), 'hello\n');
  chmodSync(join(root, 'a.txt'), 0o640);
  writeFileSync(join(root, 'd/blob'), Buffer.alloc(300 * 1024, 7));
  linkSync(join(root, 'd/blob'), join(root, 'hard'));
  symlinkSync('a.txt', join(root, 'link'));
  writeFileSync(join(root, 'keep/one'), 'one');
  writeFileSync(join(root, 'keep/two'), 'two');
  writeFileSync(join(root, 'a[1].txt'), 'bracket');
  chownSync(join(root, 'keep/one'), 48, 49);
  chownSync(join(root, 'd'), 33, 33);
  chmodSync(join(root, 'd'), 0o2750);
  utimesSync(
    join(root, 'a.txt'),
    new Date('2020-02-03T04:05:06Z'),
    new Date('2020-02-03T04:05:06Z'),
  );
}

const tags = (job: string): { service: string; source: string; job: string; extra: string[] } => ({
  service: 'moodle',
  source: 'volume:moodledata',
  job,
  extra: [],
});

describe.each(engineKinds)('file-level verbs of %s', (kind) => {
  let repo: TestRepo;
  let dir: string;
  let source: string;
  let first: TreeBackupResult;
  let snapshot: Snapshot;

  beforeAll(async () => {
    repo = await createTestRepo(kind);
    dir = mkdtempSync(join(tmpdir(), `pes-files-${kind}-`));
    source = join(dir, 'source');
    mkdirSync(source);
    fill(source);
    first = await repo.engine.backupTree({
      directory: source,
      tags: tags('1-a'),
      onProgress: () => undefined,
    });
    const listed = await repo.engine.list('moodle');
    const found = listed.find((s) => s.id === first.snapshotId);
    if (found === undefined) throw new Error('snapshot not listed');
    snapshot = found;
  });

  afterAll(() => {
    repo.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is marked as files and lists paths relative to the directory', async () => {
    expect(snapshot.kind).toBe('files');
    const paths = (await repo.engine.listTree(snapshot)).map((e) => e.path).sort();
    expect(paths).toContain('d/e');
    expect(paths).toContain('keep/one');
    expect(paths.some((p) => p.startsWith('/') || p.includes(dir))).toBe(false);
  });

  it('restores byte for byte: owners, modes, times, hard and symbolic links, empty folders', async () => {
    const target = join(dir, 'full');
    mkdirSync(target);
    await repo.engine.restoreTree(snapshot, { directory: target });
    expect(listing(target)).toBe(listing(source));
    const measured = await measureTree(source);
    const compared = await compareTree(target, {
      files: measured.figures.files,
      bytes: measured.figures.bytes,
      sha256: measured.figures.listDigest,
    });
    expect(compared.problems).toEqual([]);
  });

  it('an unchanged second backup adds (almost) nothing, by the engine’s own figures', async () => {
    const again = await repo.engine.backupTree({
      directory: source,
      tags: tags('2-a'),
      onProgress: () => undefined,
    });
    expect(first.bytesAdded ?? 0).toBeGreaterThan(1000);
    // restic: no file new or changed; borg: only the archive's own metadata.
    if (kind === 'restic') expect(again.filesChanged).toBe(0);
    expect(again.bytesAdded ?? Infinity).toBeLessThan(4096);
  });

  it('a restore of some paths leaves every other file as it is', async () => {
    const live = join(dir, 'live');
    mkdirSync(live);
    await repo.engine.restoreTree(snapshot, { directory: live });
    writeFileSync(join(live, 'a.txt'), 'changed since');
    writeFileSync(join(live, 'keep/one'), 'changed too');
    writeFileSync(join(live, 'keep/three'), 'new in the folder');
    writeFileSync(join(live, 'other'), 'made since, outside');
    await restoreFiles(repo.engine, snapshot, {
      site: localSite(live),
      volume: 'moodledata',
      paths: ['keep', 'a[1].txt'],
      signal: new AbortController().signal,
    });
    // The folder is as it was in the snapshot: changed file back, new file gone.
    expect(readFileSync(join(live, 'keep/one'), 'utf8')).toBe('one');
    expect(readdirSync(join(live, 'keep')).sort()).toEqual(['one', 'two']);
    expect(lstatSync(join(live, 'keep/one')).uid).toBe(48);
    expect(readFileSync(join(live, 'a[1].txt'), 'utf8')).toBe('bracket');
    // Everything else untouched.
    expect(readFileSync(join(live, 'a.txt'), 'utf8')).toBe('changed since');
    expect(readFileSync(join(live, 'other'), 'utf8')).toBe('made since, outside');
  });

  it('refuses a path under a symbolic link in the live tree, before removing anything', async () => {
    const live = join(dir, 'trap');
    const outside = join(dir, 'outside');
    mkdirSync(live);
    mkdirSync(outside);
    writeFileSync(join(outside, 'one'), 'must stay');
    symlinkSync(outside, join(live, 'keep'));
    const refused = await restoreFiles(repo.engine, snapshot, {
      site: localSite(live),
      volume: 'moodledata',
      paths: ['keep/one'],
      signal: new AbortController().signal,
    }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(UserError);
    expect((refused as UserError).code).toBe('backup-path-unsafe');
    expect(readFileSync(join(outside, 'one'), 'utf8')).toBe('must stay');
  });
});

describe.each(engineKinds)('names starting with dots, with %s', (kind) => {
  let repo: TestRepo;
  let dir: string;
  let source: string;
  let snapshot: Snapshot;

  beforeAll(async () => {
    repo = await createTestRepo(kind);
    dir = mkdtempSync(join(tmpdir(), `pes-dots-${kind}-`));
    source = join(dir, 'source');
    mkdirSync(join(source, '.git'), { recursive: true });
    mkdirSync(join(source, 'sub'));
    writeFileSync(join(source, '.htaccess'), 'deny');
    writeFileSync(join(source, '.git/config'), '[core]');
    writeFileSync(join(source, '..foo'), 'two dots');
    writeFileSync(join(source, 'sub/.hidden'), 'below');
    writeFileSync(join(source, 'plain'), 'plain');
    const made = await repo.engine.backupTree({
      directory: source,
      tags: tags('1-dots'),
      onProgress: () => undefined,
    });
    const found = (await repo.engine.list('moodle')).find((s) => s.id === made.snapshotId);
    if (found === undefined) throw new Error('snapshot not listed');
    snapshot = found;
  });

  afterAll(() => {
    repo.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A copy of the source with every file changed and a file of its own, to restore into. */
  function live(name: string): string {
    const target = join(dir, name);
    mkdirSync(join(target, '.git'), { recursive: true });
    mkdirSync(join(target, 'sub'));
    for (const file of ['.htaccess', '.git/config', '..foo', 'sub/.hidden', 'plain']) {
      writeFileSync(join(target, file), 'changed');
    }
    writeFileSync(join(target, 'mine'), 'made since');
    return target;
  }

  const notFound = (path: string): UserError =>
    new UserError('backup-path-not-found', { path, snapshot: snapshot.id, service: 'moodle' });

  it('lists each name with its dots', async () => {
    const paths = (await repo.engine.listTree(snapshot)).map((e) => e.path).sort();
    expect(paths).toEqual(
      ['..foo', '.git', '.git/config', '.htaccess', 'plain', 'sub', 'sub/.hidden'].sort(),
    );
  });

  it('--path .htaccess and ..foo restore those files only', async () => {
    const target = live('one');
    const paths = matchPaths(
      await repo.engine.listTree(snapshot),
      ['.htaccess', '/..foo'],
      notFound,
    );
    expect(paths).toEqual(['..foo', '.htaccess']);
    await restoreFiles(repo.engine, snapshot, {
      site: localSite(target),
      volume: 'moodledata',
      paths,
      signal: new AbortController().signal,
    });
    expect(readFileSync(join(target, '.htaccess'), 'utf8')).toBe('deny');
    expect(readFileSync(join(target, '..foo'), 'utf8')).toBe('two dots');
    expect(readFileSync(join(target, '.git/config'), 'utf8')).toBe('changed');
    expect(readFileSync(join(target, 'plain'), 'utf8')).toBe('changed');
  });

  it("--path '*' restores every top-level name, dots included; a file made since stays", async () => {
    const target = live('all');
    const paths = matchPaths(await repo.engine.listTree(snapshot), ['*'], notFound);
    expect(paths).toEqual(['..foo', '.git', '.htaccess', 'plain', 'sub']);
    await restoreFiles(repo.engine, snapshot, {
      site: localSite(target),
      volume: 'moodledata',
      paths,
      signal: new AbortController().signal,
    });
    const read = (file: string): string => readFileSync(join(target, file), 'utf8');
    expect(['.htaccess', '.git/config', '..foo', 'sub/.hidden', 'plain'].map(read)).toEqual([
      'deny',
      '[core]',
      'two dots',
      'below',
      'plain',
    ]);
    expect(read('mine')).toBe('made since');
  });
});
