/**
 * Reading a local restic repository's files instead of starting restic: the layout is
 * restic's documented repository format (Design, "Repository Format": `config`, and
 * `snapshots/` with one file per snapshot named by its id).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  fullSnapshotId,
  localRepositoryExists,
  localRepositoryPath,
} from '../../src/backup/engines/restic-local.ts';

const idA = 'e9c6999bf4b55d24d9fc7efe7a6176eccdf771cdf2eed4229d6d542bceac37e2';
const idB = 'e9c6999b00000000000000000000000000000000000000000000000000000000';
const idC = 'cbb0f2cb9d4ad1a4b0c7e0e3c2c9a0f2c7a1e0b5d3f6a7c8b9d0e1f2a3b4c5d6';

function repository(snapshots: readonly string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'pes-restic-local-'));
  mkdirSync(join(dir, 'snapshots'));
  writeFileSync(join(dir, 'config'), 'x');
  for (const id of snapshots) writeFileSync(join(dir, 'snapshots', id), 'x');
  return dir;
}

describe('localRepositoryPath', () => {
  it('takes paths and local: locations as local, any backend prefix as not', () => {
    expect(localRepositoryPath('/var/backups/pes')).toBe('/var/backups/pes');
    expect(localRepositoryPath('backups/pes')).toBe('backups/pes');
    expect(localRepositoryPath('./a:b')).toBe('./a:b');
    expect(localRepositoryPath('local:/srv/restic')).toBe('/srv/restic');
    expect(localRepositoryPath('sftp:user@host:/srv/restic')).toBeUndefined();
    expect(localRepositoryPath('s3:https://minio:9000/bucket')).toBeUndefined();
    expect(localRepositoryPath('rest:https://host:8000/')).toBeUndefined();
    expect(localRepositoryPath('rclone:remote:path')).toBeUndefined();
  });
});

describe('fullSnapshotId', () => {
  it('finds the one snapshot file whose name starts with the short id', async () => {
    expect(await fullSnapshotId(repository([idA, idC]), 'e9c6999b')).toBe(idA);
    expect(await fullSnapshotId(repository([idA, idC]), 'cbb0f2cb')).toBe(idC);
  });

  it('answers nothing when two match, none does, or there is no such repository', async () => {
    expect(await fullSnapshotId(repository([idA, idB]), 'e9c6999b')).toBeUndefined();
    expect(await fullSnapshotId(repository([idC]), 'e9c6999b')).toBeUndefined();
    expect(await fullSnapshotId('/nonexistent/pes/repo', 'e9c6999b')).toBeUndefined();
  });

  it('never takes a short id that is not hex, nor a file that is not an id', async () => {
    const dir = repository([idA]);
    writeFileSync(join(dir, 'snapshots', 'e9c6999b.tmp'), 'x');
    expect(await fullSnapshotId(dir, 'e9c6999b')).toBe(idA);
    expect(await fullSnapshotId(dir, '../e9c6')).toBeUndefined();
    expect(await fullSnapshotId(dir, '')).toBeUndefined();
  });
});

describe('localRepositoryExists', () => {
  it('is true only where a config file is', async () => {
    expect(await localRepositoryExists(repository([]))).toBe(true);
    const empty = mkdtempSync(join(tmpdir(), 'pes-restic-local-'));
    expect(await localRepositoryExists(empty)).toBe(false);
    mkdirSync(join(empty, 'config'));
    expect(await localRepositoryExists(empty)).toBe(false);
  });
});
