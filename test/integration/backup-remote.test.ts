/**
 * restic on a repository the bot cannot read from disk: an `sftp:` location, served by
 * Debian's real `sftp-server` that restic starts itself (`-o sftp.command`, restic's manual,
 * "Preparing a new repository" → SFTP), so no SSH daemon and no network are involved. The
 * bot then learns the full snapshot id and finds a partial snapshot by asking restic, as it
 * does for S3, MinIO or a REST server, where for a local path it reads the repository's files.
 */
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResticEngine } from '../../src/backup/engines/restic.ts';
import type { ProducedStream } from '../../src/backup/types.ts';
import {
  backupProduced,
  bytesProduced,
  findSnapshot,
  repoPassword,
  restoreInto,
  tagsFor,
} from '../helpers/backup-env.ts';

const sftpServer = '/usr/lib/openssh/sftp-server';

let dir: string;
let engine: ResticEngine;

/** The ids of the snapshots the repository holds, from its files (what the test knows). */
function snapshotFiles(): string[] {
  return readdirSync(join(dir, 'repo', 'snapshots')).sort();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pes-restic-sftp-'));
  // The bot runs `backup.binary` with an argv array; this stand-in adds the one option that
  // points restic at the local sftp-server instead of ssh.
  const binary = join(dir, 'restic-sftp');
  writeFileSync(binary, `#!/bin/sh\nexec restic -o sftp.command=${sftpServer} "$@"\n`);
  chmodSync(binary, 0o755);
  engine = new ResticEngine({
    repository: `sftp:pes-test:${join(dir, 'repo')}`,
    password: repoPassword,
    env: { RESTIC_CACHE_DIR: join(dir, 'cache') },
    binary,
  });
  await engine.init();
  // A second init finds the repository there and is no error.
  await engine.init();
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('restic over sftp (a repository that is not a local path)', () => {
  it('reports the full snapshot id, and the snapshot restores byte for byte', async () => {
    const data = Buffer.from('remote repository\n'.repeat(1000));
    const result = await backupProduced(
      engine,
      bytesProduced(data),
      tagsFor('app', 'command:dump', 'remote-1'),
      'dump.bin',
    );
    // restic 0.14 prints only the short id; the full one came from asking restic.
    expect(result.snapshotId).toMatch(/^[0-9a-f]{64}$/);
    expect(snapshotFiles()).toContain(result.snapshotId);
    const snapshot = await findSnapshot(engine, 'app', result.snapshotId);
    const chunks: Buffer[] = [];
    await restoreInto(engine, snapshot, async (input) => {
      for await (const chunk of input) chunks.push(chunk as Buffer);
    });
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
  });

  it('a producer that fails half-way leaves no snapshot', async () => {
    const before = snapshotFiles();
    const stream = new PassThrough();
    const done = new Promise<void>((_resolve, reject) => {
      stream.write(Buffer.alloc(256 * 1024, 1));
      setTimeout(() => {
        // The stream ends cleanly: only the producer's failure tells that it is cut.
        stream.end();
        reject(new Error('pg_dump: connection lost'));
      }, 100);
    });
    done.catch(() => undefined);
    const produced: ProducedStream = { stream, done };
    await expect(
      backupProduced(engine, produced, tagsFor('app', 'command:dump', 'remote-2'), 'dump.bin'),
    ).rejects.toThrow('pg_dump: connection lost');
    expect(snapshotFiles()).toEqual(before);
  });

  it('file-level: the files of a directory round trip; the full id comes from restic', async () => {
    const source = join(dir, 'files-src');
    mkdirSync(join(source, 'sub/empty'), { recursive: true });
    writeFileSync(join(source, 'a.txt'), 'remote files\n');
    writeFileSync(join(source, 'sub/b.bin'), Buffer.alloc(200 * 1024, 3));
    symlinkSync('a.txt', join(source, 'link'));
    const made = await engine.backupTree({
      directory: source,
      tags: tagsFor('app', 'volume:data', 'remote-3'),
      onProgress: () => undefined,
    });
    expect(made.snapshotId).toMatch(/^[0-9a-f]{64}$/);
    const snapshot = await findSnapshot(engine, 'app', made.snapshotId);
    expect(snapshot.kind).toBe('files');
    const target = join(dir, 'files-out');
    mkdirSync(target);
    await engine.restoreTree(snapshot, { directory: target });
    expect(readFileSync(join(target, 'a.txt'), 'utf8')).toBe('remote files\n');
    expect(readFileSync(join(target, 'sub/b.bin')).equals(Buffer.alloc(200 * 1024, 3))).toBe(true);
    expect(readlinkSync(join(target, 'link'))).toBe('a.txt');
    expect(readdirSync(join(target, 'sub/empty'))).toEqual([]);
  });

  it('a wrong password is a clear error and changes nothing', async () => {
    const before = snapshotFiles();
    const wrong = new ResticEngine({
      repository: `sftp:pes-test:${join(dir, 'repo')}`,
      password: 'not-the-password',
      env: { RESTIC_CACHE_DIR: join(dir, 'cache') },
      binary: join(dir, 'restic-sftp'),
    });
    const error = await wrong.list('app').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'backup-repo-wrong-password' });
    expect(String(error)).not.toContain('not-the-password');
    expect(snapshotFiles()).toEqual(before);
  });
});
