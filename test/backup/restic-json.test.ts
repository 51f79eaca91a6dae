/** restic 0.14's JSON output, as captured from the real program (docs/FIELD-NOTES.md "restic"). */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseBackupLine,
  parseForget,
  parseLsLine,
  parseSnapshots,
  readLsLine,
  resticListing,
  tagArgs,
} from '../../src/backup/engines/restic-json.ts';
import { ResticEngine } from '../../src/backup/engines/restic.ts';
import { UserError } from '../../src/core/errors.ts';

describe('parseBackupLine', () => {
  it('reads a stdin status line: no total, so no fraction and no ETA (restic prints 2^63)', () => {
    const line =
      '{"message_type":"status","seconds_elapsed":2,"seconds_remaining":9223372036854775808,' +
      '"percent_done":0,"total_files":1,"bytes_done":5037520,"current_files":["/vol.tar"]}';
    expect(parseBackupLine(line)).toEqual({
      kind: 'status',
      progress: {
        bytesDone: 5037520,
        bytesTotal: undefined,
        fraction: undefined,
        etaSeconds: undefined,
      },
    });
  });

  it('reads a status line with a total, and fields left out when zero', () => {
    expect(
      parseBackupLine(
        '{"message_type":"status","percent_done":0.25,"total_bytes":400,"bytes_done":100,"seconds_remaining":3}',
      ),
    ).toEqual({
      kind: 'status',
      progress: { bytesDone: 100, bytesTotal: 400, fraction: 0.25, etaSeconds: 3 },
    });
    expect(parseBackupLine('{"message_type":"status","percent_done":0,"total_files":1}')).toEqual({
      kind: 'status',
      progress: { bytesDone: 0, bytesTotal: undefined, fraction: undefined, etaSeconds: undefined },
    });
  });

  it('reads the summary with the short snapshot id', () => {
    const line =
      '{"message_type":"summary","files_new":1,"data_blobs":2,"tree_blobs":1,"data_added":3000326,' +
      '"total_files_processed":1,"total_bytes_processed":3000000,"total_duration":0.29,"snapshot_id":"84467d6e"}';
    expect(parseBackupLine(line)).toEqual({
      kind: 'summary',
      shortId: '84467d6e',
      bytesProcessed: 3000000,
      bytesAdded: 3000326,
      filesChanged: 1,
    });
  });

  it('reads an error line and ignores text and broken JSON', () => {
    const line =
      '{"message_type":"error","error":{"Op":"read","Path":"/e","Err":{}},"during":"archival","item":"/e"}';
    expect(parseBackupLine(line)).toEqual({ kind: 'error', message: 'archival /e' });
    expect(parseBackupLine('Fatal: unable to save snapshot: snapshot is empty')).toEqual({
      kind: 'other',
    });
    expect(parseBackupLine('{"message_type":"summary"')).toEqual({ kind: 'other' });
  });
});

const snapshotsJson =
  '[{"time":"2024-01-02T12:00:00Z","tree":"f06a","paths":["/v.tar"],"hostname":"h02","username":"root",' +
  '"tags":["pes-service=m","pes-source=volume:x","pes-job=02","safety"],"id":"4d10728df2061a80d358ad8bedd7d27af3069b3f12acbf52ebcb2a1e6fb534a2","short_id":"4d10728d"},' +
  '{"time":"2024-01-03T12:00:00.123456789+01:00","tree":"9c94","paths":["/db.pgdump"],"hostname":"h03","username":"root",' +
  '"tags":["pes-service=m","pes-source=postgres:db","pes-job=03"],"id":"880f5cb09f8a22188615528af1ca24c0543b93bfb986d223b4060dd7af47030a","short_id":"880f5cb0"},' +
  '{"time":"2024-01-04T12:00:00Z","tree":"aaaa","paths":["/etc"],"hostname":"x","username":"root","id":"ffff","short_id":"ffff"}]';

describe('parseSnapshots', () => {
  it("keeps the bot's snapshots (those with its tags), newest first", () => {
    const list = parseSnapshots(snapshotsJson);
    expect(list.map((s) => s.id.slice(0, 8))).toEqual(['880f5cb0', '4d10728d']);
    expect(list[1]).toEqual({
      id: '4d10728df2061a80d358ad8bedd7d27af3069b3f12acbf52ebcb2a1e6fb534a2',
      time: new Date('2024-01-02T12:00:00Z'),
      tags: { service: 'm', source: 'volume:x', job: '02', extra: ['safety'] },
      filename: 'v.tar',
      kind: 'stream',
    });
    expect(list[0]?.time.toISOString()).toBe('2024-01-03T11:00:00.123Z');
  });

  it('gives nothing for an empty repository or output that is not JSON', () => {
    expect(parseSnapshots('[]\n')).toEqual([]);
    expect(parseSnapshots('')).toEqual([]);
  });
});

describe('file-level snapshots', () => {
  it('the pes-kind tag makes a snapshot files, with no stream name and the tag not shown', () => {
    const json = JSON.stringify([
      {
        time: '2024-01-02T12:00:00Z',
        paths: ['/var/lib/docker/volumes/v/_data'],
        tags: ['pes-kind=files', 'pes-service=m', 'pes-source=volume:v', 'pes-job=7'],
        id: 'a'.repeat(64),
      },
    ]);
    expect(parseSnapshots(json)[0]).toMatchObject({
      kind: 'files',
      filename: '',
      tags: { service: 'm', source: 'volume:v', job: '7', extra: [] },
    });
  });

  it('reads `ls --json` nodes as paths relative to the volume; the snapshot line is skipped', () => {
    expect(parseLsLine('{"time":"x","struct_type":"snapshot","id":"abc"}')).toBeUndefined();
    expect(
      parseLsLine('{"name":"b","type":"file","path":"/sub/b","size":2,"struct_type":"node"}'),
    ).toEqual({ path: 'sub/b', type: 'file', size: 2 });
    expect(parseLsLine('{"name":"l","type":"symlink","path":"/l","struct_type":"node"}')).toEqual({
      path: 'l',
      type: 'symlink',
      size: 0,
    });
  });

  it("reads a node's permission bits out of Go's file mode, with setuid, setgid and sticky", () => {
    // restic 0.14 `ls --json` lines (measured): mode is Go's os.FileMode as a number.
    const file = parseLsLine(
      '{"name":"f1","type":"file","path":"/f1","uid":0,"gid":0,"size":5000200,"mode":420,"permissions":"-rw-r--r--","struct_type":"node"}',
    );
    expect(file).toEqual({ path: 'f1', type: 'file', size: 5000200, perm: 0o644, uid: 0, gid: 0 });
    // A directory (ModeDir, bit 31) 2750 (ModeSetgid, bit 22) owned by 33:33.
    const dir = parseLsLine(
      JSON.stringify({
        name: 'd',
        type: 'dir',
        path: '/d',
        uid: 33,
        gid: 33,
        mode: 2 ** 31 + 2 ** 22 + 0o750,
        struct_type: 'node',
      }),
    );
    expect(dir).toMatchObject({ perm: 0o2750, uid: 33, gid: 33 });
    const sticky = parseLsLine(
      JSON.stringify({
        name: 't',
        type: 'dir',
        path: '/t',
        mode: 2 ** 31 + 2 ** 20 + 0o777,
        struct_type: 'node',
      }),
    );
    expect(sticky?.perm).toBe(0o1777);
    const setuid = parseLsLine(
      JSON.stringify({
        name: 's',
        type: 'file',
        path: '/s',
        size: 0,
        mode: 2 ** 23 + 0o755,
        struct_type: 'node',
      }),
    );
    expect(setuid?.perm).toBe(0o4755);
  });
});

describe('restic listing', () => {
  // `restic ls --json <id>` of a small volume, restic 0.14.0 (measured; the volume's path in
  // the snapshot's line shortened): the snapshot's line, then a node per entry, no root, no
  // text; a file always has its size (0 too), a folder, a link or a fifo none.
  const lines = [
    '{"time":"2026-12-07T23:08:55.705697234Z","tree":"defbd830dae4b7cc4f00a96d5e666faa76c0220fc30f9a0898d5a8a8d19d395e","paths":["/srv/vol"],"hostname":"vm","username":"root","tags":["t"],"id":"2b8af88b52fddfdb485826ee441c6d2863414d2f1d68703d94106b831c743f9f","short_id":"2b8af88b","struct_type":"snapshot"}',
    '{"name":"empty","type":"file","path":"/empty","uid":0,"gid":0,"size":0,"mode":420,"permissions":"-rw-r--r--","mtime":"2026-12-07T23:08:53.810142775Z","atime":"2026-12-07T23:08:53.810142775Z","ctime":"2026-12-07T23:08:53.810142775Z","struct_type":"node"}',
    '{"name":"emptydir","type":"dir","path":"/emptydir","uid":0,"gid":0,"mode":2147484141,"permissions":"drwxr-xr-x","mtime":"2026-12-07T23:08:53.810142775Z","atime":"2026-12-07T23:08:53.810142775Z","ctime":"2026-12-07T23:08:53.810142775Z","struct_type":"node"}',
    '{"name":"fifo","type":"fifo","path":"/fifo","uid":0,"gid":0,"mode":33554852,"permissions":"prw-r--r--","mtime":"2026-12-07T23:08:53.814142775Z","atime":"2026-12-07T23:08:53.814142775Z","ctime":"2026-12-07T23:08:53.814142775Z","struct_type":"node"}',
    '{"name":"hard","type":"file","path":"/hard","uid":0,"gid":0,"size":2,"mode":420,"permissions":"-rw-r--r--","mtime":"2026-12-07T23:08:53.810142775Z","atime":"2026-12-07T23:08:53.810142775Z","ctime":"2026-12-07T23:08:53.810142775Z","struct_type":"node"}',
    '{"name":"link","type":"symlink","path":"/link","uid":0,"gid":0,"mode":134218239,"permissions":"Lrwxrwxrwx","mtime":"2026-12-07T23:08:53.810142775Z","atime":"2026-12-07T23:08:53.810142775Z","ctime":"2026-12-07T23:08:53.810142775Z","struct_type":"node"}',
    '{"name":"sub","type":"dir","path":"/sub","uid":0,"gid":0,"mode":2147484141,"permissions":"drwxr-xr-x","mtime":"2026-12-07T23:08:53.810142775Z","atime":"2026-12-07T23:08:53.810142775Z","ctime":"2026-12-07T23:08:53.810142775Z","struct_type":"node"}',
    '{"name":"b","type":"file","path":"/sub/b","uid":0,"gid":0,"size":2,"mode":420,"permissions":"-rw-r--r--","mtime":"2026-12-07T23:08:53.810142775Z","atime":"2026-12-07T23:08:53.810142775Z","ctime":"2026-12-07T23:08:53.810142775Z","struct_type":"node"}',
  ];

  it('reads every line restic prints: the snapshot line is no entry, each node is one', () => {
    const listing = resticListing();
    for (const line of lines) listing.add(line);
    expect(listing.rejected).toBe(0);
    expect(listing.entries.map((e) => [e.path, e.type, e.size])).toEqual([
      ['empty', 'file', 0],
      ['emptydir', 'dir', 0],
      ['fifo', 'other', 0],
      ['hard', 'file', 2],
      ['link', 'symlink', 0],
      ['sub', 'dir', 0],
      ['sub/b', 'file', 2],
    ]);
  });

  it('takes the `message_type` lines of later versions', () => {
    expect(
      readLsLine('{"time":"x","id":"abc","struct_type":"snapshot","message_type":"snapshot"}'),
    ).toEqual({ kind: 'other' });
    expect(
      readLsLine(
        '{"name":"b","type":"file","path":"/b","size":2,"struct_type":"node","message_type":"node"}',
      ),
    ).toEqual({ kind: 'entry', entry: { path: 'b', type: 'file', size: 2 } });
  });

  it('cannot read text, JSON of another kind, or a node without what it needs', () => {
    for (const line of [
      'Fatal: something else',
      '{"name":"b","type":"file","path":"/b","size":2,"struct_type":"no',
      '["/b"]',
      '{"name":"b","type":"file","path":"/b","size":2}',
      '{"time":"x","struct_type":"snapshots"}',
      '{"name":"b","type":"file","struct_type":"node"}',
      '{"name":"b","path":"/b","size":2,"struct_type":"node"}',
      '{"name":"b","type":"file","path":"/b","struct_type":"node"}',
      '{"name":"b","type":"file","path":"/b","size":"2","struct_type":"node"}',
      '{"name":"b","type":"file","path":"/b","size":-1,"struct_type":"node"}',
      '{"name":"d","type":"dir","path":"/d","mode":"0755","struct_type":"node"}',
      '{"name":"d","type":"dir","path":"/d","uid":null,"struct_type":"node"}',
    ]) {
      expect(readLsLine(line), line).toEqual({ kind: 'unreadable' });
    }
  });

  describe('listTree', () => {
    // restic as a stand-in program that prints the listing given, whatever it is asked.
    const listed = async (stdout: string): Promise<unknown> => {
      const dir = mkdtempSync(join(tmpdir(), 'pes-restic-listing-'));
      try {
        const binary = join(dir, 'restic');
        writeFileSync(join(dir, 'stdout'), stdout);
        writeFileSync(binary, `#!/bin/sh\ncat '${join(dir, 'stdout')}'\n`);
        chmodSync(binary, 0o755);
        const engine = new ResticEngine({
          repository: join(dir, 'repo'),
          password: 'pes-secret-password',
          binary,
        });
        const snapshot = {
          id: 'a'.repeat(64),
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

    it("gives the entries of restic's listing", async () => {
      expect(await listed(`${lines.join('\n')}\n`)).toHaveLength(lines.length - 1);
    });

    it('fails, naming how many lines it could not read, rather than leave entries out', async () => {
      const error = await listed(
        `${lines.slice(0, 3).join('\n')}\nsome **text** of\nanother \`restic\`\n${lines.slice(3).join('\n')}\n`,
      );
      expect(error).toBeInstanceOf(UserError);
      const failure = error as UserError;
      expect(failure.code).toBe('backup-engine-failed');
      expect(failure.text('en')).toContain('restic ls failed (exit 0)');
      expect(failure.text('en')).toContain('2 lines of the listing could not be read');
      expect(failure.text('en')).toContain('the first: `some **text** of`');
    });

    it('names one line in the singular, in short and without a secret', async () => {
      const line = `{"path":"/pes-secret-password ${'x'.repeat(300)}\\n","type":"file"}`;
      const error = (await listed(`${lines[0] ?? ''}\n${line}\n`)) as UserError;
      const text = error.text('en');
      expect(text).toContain('1 line of the listing could not be read');
      expect(text).not.toContain('pes-secret-password');
      expect(text).toContain('`{"path":"/[redacted] xxx');
      expect(text).toMatch(/x`…$/);
      expect(text.length).toBeLessThan(250);
    });
  });
});

describe('parseForget', () => {
  it("reads kept and removed ids over the groups, ignoring prune's text after the array", () => {
    const out =
      '[{"tags":null,"host":"","paths":null,"keep":[{"id":"k1"},{"id":"k2"}],"remove":[{"id":"r1"}],"reasons":[]},' +
      '{"keep":[{"id":"k3"}],"remove":null}]\n' +
      'loading indexes...\nfound 1 of 3 data packs\nremoving 1 old packs\ndone\n';
    expect(parseForget(out)).toEqual({ kept: ['k1', 'k2', 'k3'], removed: ['r1'] });
  });
});

describe('tagArgs', () => {
  it('one tag per value, prefixed, extras as they are', () => {
    expect(
      tagArgs({ service: 'moodle', source: 'volume:data', job: '17', extra: ['safety'] }),
    ).toEqual(['pes-service=moodle', 'pes-source=volume:data', 'pes-job=17', 'safety']);
  });
});
