/**
 * borg's listing of a file-level archive by exact names (`list --format` with `{bpath!a}`):
 * a byte that is not UTF-8 is its surrogate escape, one U+FFFD, and a real `?` stays itself,
 * where `--json-lines` writes `?` for both.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { borgListing, listFormat } from '../../src/backup/engines/borg-json.ts';
import { BorgEngine } from '../../src/backup/engines/borg.ts';
import { UserError } from '../../src/core/errors.ts';

const R = '\uFFFD';

describe('borg listing with exact names', () => {
  // Lines of `borg list --format <listFormat>` as borg 1.2.4 writes them (the forms of the
  // root, `p/caf\xe9`, a real `caf?`, `h\xe9` with a hard link `h1` to it, a tab and both
  // quotes measured), and a backslash with valid non-ASCII text, a symbolic link, a folder
  // with a leading `./`.
  const lines = [
    "d\tdrwxr-xr-x\t0\t0\t0\t'.'\t''",
    "d\tdrwxr-xr-x\t0\t0\t0\t'p'\t''",
    "-\t-rw-r--r--\t0\t0\t1\t'p/caf\\udce9'\t''",
    "-\t-rw-r--r--\t33\t44\t1\t'caf?'\t''",
    "-\t-rw-r--r--\t0\t0\t2\t'h\\udce9'\t''",
    "-\thrw-r--r--\t0\t0\t0\t'h1'\t'h?'",
    "-\t-rw-r--r--\t0\t0\t3\t't\\tab'\t''",
    "-\t-rw-r--r--\t0\t0\t1\t'q\\'\"'\t''",
    "-\t-rw-r--r--\t0\t0\t1\t\"q'\"\t''",
    "-\t-rw-r--r--\t0\t0\t1\t'b\\\\s \\xe9 \\u0436 \\U0001f4a9'\t''",
    "l\tlrwxrwxrwx\t0\t0\t0\t'link'\t'caf?'",
    "d\tdrwxr-s---\t33\t33\t0\t'./d'\t''",
  ];

  it('asks borg for the exact path as ascii() and the fields the JSON gave', () => {
    expect(listFormat).toContain('{bpath!a}');
    expect(listFormat.endsWith('{NL}')).toBe(true);
  });

  it('reads each name by its bytes: an escape is one U+FFFD, a real `?` stays', () => {
    const listing = borgListing();
    for (const line of lines) listing.add(line);
    expect(listing.entries).toEqual([
      { path: 'p', type: 'dir', size: 0, perm: 0o755, uid: 0, gid: 0 },
      { path: `p/caf${R}`, type: 'file', size: 1, perm: 0o644, uid: 0, gid: 0 },
      { path: 'caf?', type: 'file', size: 1, perm: 0o644, uid: 33, gid: 44 },
      { path: `h${R}`, type: 'file', size: 2, perm: 0o644, uid: 0, gid: 0 },
      // borg writes a hard link's source with `?`: it is the earlier path of that form.
      { path: 'h1', type: 'file', size: 0, perm: 0o644, uid: 0, gid: 0, hardlinkOf: `h${R}` },
      { path: 't\tab', type: 'file', size: 3, perm: 0o644, uid: 0, gid: 0 },
      { path: `q'"`, type: 'file', size: 1, perm: 0o644, uid: 0, gid: 0 },
      { path: `q'`, type: 'file', size: 1, perm: 0o644, uid: 0, gid: 0 },
      { path: 'b\\s é ж 💩', type: 'file', size: 1, perm: 0o644, uid: 0, gid: 0 },
      { path: 'link', type: 'symlink', size: 0, perm: 0o777, uid: 0, gid: 0 },
      { path: 'd', type: 'dir', size: 0, perm: 0o2750, uid: 33, gid: 33 },
    ]);
  });

  it('keeps the leading dots of a name (borg 1.2.4 lists `.htaccess`), and the special bits', () => {
    const listing = borgListing();
    for (const path of [
      '.',
      '.htaccess',
      '.git',
      '.git/config',
      '..foo',
      'sub/.hidden',
      './.env',
    ]) {
      listing.add(`-\t-rw-r--r--\t0\t0\t1\t'${path}'\t''`);
    }
    for (const mode of ['drwsr-S--T', 'drwxrwxrwt']) {
      listing.add(`d\t${mode}\t0\t0\t0\t'${mode}'\t''`);
    }
    expect(listing.entries.map((e) => e.path)).toEqual([
      '.htaccess',
      '.git',
      '.git/config',
      '..foo',
      'sub/.hidden',
      '.env',
      'drwsr-S--T',
      'drwxrwxrwt',
    ]);
    expect(listing.entries.slice(-2).map((e) => e.perm)).toEqual([0o7740, 0o1777]);
    expect(listing.rejected).toBe(0);
  });

  it('a hard link to a real `?` name keeps it', () => {
    const listing = borgListing();
    listing.add("-\t-rw-r--r--\t0\t0\t5\t'q?'\t''");
    listing.add("-\thrw-r--r--\t0\t0\t0\t'q2'\t'q?'");
    expect(listing.entries.map((e) => e.hardlinkOf)).toEqual([undefined, 'q?']);
  });

  it('leaves out a line that is not of the format, and counts it', () => {
    const listing = borgListing();
    for (const line of [
      '',
      'not a listing line',
      "-\t-rw-r--r--\t0\t0\t1\tcaf\t''",
      "-\t-rw-r--r--\t0\t0\t1\t'caf\\q'\t''",
      "-\t-rw-r--r--\t0\t0\t1\t'caf\u00e9'\t''",
      "-\t-rw-r--r--\tx\t0\t1\t'a'\t''",
    ]) {
      listing.add(line);
    }
    expect(listing.entries).toEqual([]);
    expect(listing.rejected).toBe(5);
    expect(listing.firstRejected).toBe('not a listing line');
  });

  it('counts nothing for a listing of the format: the root `.` is read, not rejected', () => {
    const listing = borgListing();
    for (const line of lines) listing.add(line);
    expect(listing.rejected).toBe(0);
    expect(listing.firstRejected).toBeUndefined();
  });

  describe('listTree', () => {
    // borg as a stand-in program that prints the listing given, whatever it is asked.
    const listed = async (stdout: string): Promise<unknown> => {
      const dir = mkdtempSync(join(tmpdir(), 'pes-borg-listing-'));
      try {
        const binary = join(dir, 'borg');
        writeFileSync(join(dir, 'stdout'), stdout);
        writeFileSync(binary, `#!/bin/sh\ncat '${join(dir, 'stdout')}'\n`);
        chmodSync(binary, 0o755);
        const engine = new BorgEngine({ repository: join(dir, 'repo'), password: 'x', binary });
        const snapshot = {
          id: 'm_20250301T020009Z_1_volume:x',
          time: new Date(0),
          tags: { service: 'm', source: 'volume:x', job: '1', extra: [] },
          filename: '',
          kind: 'files' as const,
        };
        return await engine.listTree(snapshot).catch((error: unknown) => error);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };

    it('gives the entries of a listing of the format', async () => {
      expect(await listed(`${lines.join('\n')}\n`)).toHaveLength(lines.length - 1);
    });

    it('fails, naming how many lines it could not read, on a listing of another format', async () => {
      const error = await listed(`${lines.slice(0, 3).join('\n')}\nsomething else\nand more\n`);
      expect(error).toBeInstanceOf(UserError);
      const failure = error as UserError;
      expect(failure.code).toBe('backup-engine-failed');
      expect(failure.text('en')).toContain('borg list failed (exit 0)');
      expect(failure.text('en')).toContain('2 lines of the listing could not be read');
      expect(failure.text('en')).toContain('`something else`');
    });

    it('names one line in the singular', async () => {
      const error = (await listed('{"path": "a"}\n')) as UserError;
      expect(error.text('en')).toContain('1 line of the listing could not be read');
    });
  });
});
