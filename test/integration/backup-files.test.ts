/**
 * File-level volume backups through the bot, against the real engine of scripts/test-env.sh
 * and real restic and borg repositories: the engine reads the volume's files itself (the
 * bot runs as root on the engine's host here), so an unchanged volume adds nothing; a
 * restore brings back content, owners, modes, times, hard and symbolic links and empty
 * folders; an old tar-stream snapshot still restores; the drill compares with the manifest.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { BackupReport } from '../../src/core/backup.ts';
import type { ServiceDefinition } from '../../src/core/catalog.ts';
import type { Platform } from '../../src/core/platform.ts';
import { createBackupService } from '../../src/backup/wire.ts';
import { createLogger } from '../../src/core/logger.ts';
import { service } from '../helpers/catalog.ts';
import { appImage, DockerTestBed } from '../helpers/docker.ts';
import {
  backupBot,
  inVolume,
  makeVolume,
  removeVolumes,
  type BackupBot,
} from './backup-helpers.ts';

const admin = 'local:root';
/** Owners by number, modes, a hard link, a symbolic link, an empty folder, a set time. */
const fill =
  'mkdir -p /v/d/e /v/empty /v/keep && echo hello > /v/a.txt && chmod 640 /v/a.txt && ' +
  'dd if=/dev/urandom of=/v/d/blob bs=1024 count=700 2>/dev/null && ln -s a.txt /v/link && ' +
  'echo k > /v/keep/one && echo k2 > /v/keep/two && chown -R 48:49 /v/keep && ' +
  'touch /v/d/e/f && chown 33:33 /v/d && chmod 2750 /v/d && ln /v/d/blob /v/hard && ' +
  'touch -d "2020-02-03 04:05:06" /v/a.txt /v/d/e/f';

/** Names, modes, owners, link counts, types, file times and checksums. */
function fullListing(bed: DockerTestBed, volume: string): Promise<string> {
  return inVolume(
    bed,
    volume,
    'cd /v && find . -mindepth 1 | sort | while read -r f; do ' +
      'if [ -d "$f" ]; then stat -c "%n %a %u:%g %F" "$f"; ' +
      'else stat -c "%n %a %u:%g %h %F %Y" "$f"; fi; done && ' +
      'find . -type l | sort | while read -r f; do echo "$f -> $(readlink "$f")"; done && ' +
      'find . -type f | sort | xargs md5sum',
  );
}

// Each restore here is a safety backup, a stop, the engine's restore, a start and a health
// wait: measured up to 25 s on this shared machine with a load of 16 on 2 cores.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

let bed: DockerTestBed;
let dir: string;

beforeAll(() => {
  bed = new DockerTestBed();
  dir = mkdtempSync(join(tmpdir(), 'pes-backup-files-'));
});

afterAll(async () => {
  await bed.cleanup();
  await removeVolumes(bed);
  rmSync(dir, { recursive: true, force: true });
});

async function appService(name: string, volume: string): Promise<ServiceDefinition> {
  const project = bed.project(name);
  await bed.createContainer({
    name: bed.containerName(name),
    image: appImage(1),
    compose: { project, service: name },
    hostConfig: { Mounts: [{ Type: 'volume', Source: volume, Target: '/data' }] },
    config: { StopTimeout: 1 },
  });
  return service(name, {
    containers: { compose: { project, service: name } },
    health: { minRunning: 1, timeoutSeconds: 30 },
    volumes: [volume],
  });
}

function report(outcome: { data?: unknown }): BackupReport {
  return outcome.data as BackupReport;
}

describe.each(['restic', 'borg'] as const)('file-level volume backups with %s', (engine) => {
  let b: BackupBot;
  let volume: string;
  let original: string;
  let first: BackupReport;

  beforeAll(async () => {
    volume = await makeVolume(bed, `${engine}-files`);
    await inVolume(bed, volume, fill);
    original = await fullListing(bed, volume);
    b = backupBot(bed, [await appService(`${engine}f`, volume)], {
      engine,
      repository: join(dir, engine),
    });
  });

  it('the engine reads the files; the snapshot is marked as files and lists relative paths', async () => {
    const outcome = await b.t.run(admin, `backup ${engine}f`);
    expect(outcome.status).toBe('ok');
    first = report(outcome);
    const [made] = first.sources;
    expect(made?.kind).toBe('files');
    // Regular files: a.txt, d/blob, d/e/f, hard, keep/one, keep/two.
    expect(made?.files).toBe(6);
    const listed = await b.t.run(admin, `backups ${engine}f`);
    expect(listed.message.code?.content).toMatch(/files/);
    const [snapshot] = (await b.engine.list(`${engine}f`)).filter((s) => s.id === made?.snapshotId);
    expect(snapshot?.kind).toBe('files');
    if (snapshot === undefined) throw new Error('no snapshot');
    const paths = (await b.engine.listTree(snapshot)).map((e) => e.path).sort();
    expect(paths).toEqual(
      [
        'a.txt',
        'd',
        'd/blob',
        'd/e',
        'd/e/f',
        'empty',
        'hard',
        'keep',
        'keep/one',
        'keep/two',
        'link',
      ].sort(),
    );
  });

  it('an unchanged volume backed up again adds (almost) nothing, by the engine’s own figures', async () => {
    const outcome = await b.t.run(admin, `backup ${engine}f`);
    expect(outcome.status).toBe('ok');
    const [made] = report(outcome).sources;
    // restic: files new + changed from its summary; borg: the deduplicated size of the
    // archive (its metadata only, a few hundred bytes).
    if (engine === 'restic') expect(made?.filesChanged).toBe(0);
    expect(made?.bytesAdded ?? Infinity).toBeLessThan(16 * 1024);
    expect(first.sources[0]?.bytesAdded ?? 0).toBeGreaterThan(700 * 1024);
    expect(made?.sha256).toBe(first.sources[0]?.sha256);
  });

  it('restore: content, owners, modes, times, hard and symbolic links, empty folders come back', async () => {
    await inVolume(
      bed,
      volume,
      'rm -r /v/a.txt /v/empty /v/keep && echo new > /v/new.txt && ' +
        'dd if=/dev/zero of=/v/d/blob bs=1024 count=3 2>/dev/null && chmod 600 /v/d/e/f',
    );
    expect(await fullListing(bed, volume)).not.toBe(original);
    const restore = await b.t.run(admin, `restore ${engine}f latest`, { preconfirmed: true });
    expect(restore.status).toBe('ok');
    expect(await fullListing(bed, volume)).toBe(original);
    const info = await bed.docker.getContainer(bed.containerName(`${engine}f`)).inspect();
    expect(info.State.Running).toBe(true);
  });

  it('verify: the drill restores into a scratch volume and matches the manifest', async () => {
    const outcome = await b.t.run(admin, `verify ${engine}f`);
    expect(outcome.message.text).toContain('matched');
    expect(outcome.status).toBe('ok');
    const scratch = await bed.docker.listVolumes({
      filters: { label: ['pes.scratch=drill', `pes.service=${engine}f`] },
    });
    expect(scratch.Volumes ?? []).toEqual([]);
  });
});

describe('single paths, side restores and listings (restic)', () => {
  let b: BackupBot;
  let volume: string;
  let snapshot: string;

  beforeAll(async () => {
    volume = await makeVolume(bed, 'paths');
    await inVolume(bed, volume, fill);
    b = backupBot(bed, [await appService('pathsapp', volume)], {
      engine: 'restic',
      repository: join(dir, 'paths'),
    });
    const made = await b.t.run(admin, 'backup pathsapp');
    expect(made.status).toBe('ok');
    snapshot = report(made).sources[0]?.snapshotId ?? '';
  });

  it('backup files lists what the snapshot holds, under a path', async () => {
    const all = await b.t.run(admin, `backup files pathsapp ${snapshot}`);
    expect(all.status).toBe('ok');
    expect(all.message.code?.content).toContain('keep/one');
    const under = await b.t.run(admin, `backup-files pathsapp latest keep`);
    expect(under.message.code?.content).toContain('keep/two');
    expect(under.message.code?.content).not.toContain('a.txt');
  });

  it('--path restores one file and one folder; every other file stays as it is', async () => {
    await inVolume(
      bed,
      volume,
      'echo changed > /v/a.txt && echo c1 > /v/keep/one && echo n > /v/keep/new && ' +
        'echo other > /v/d/e/f && echo made > /v/made',
    );
    const outcome = await b.t.run(admin, `restore pathsapp ${snapshot} --path /a.txt --path keep`, {
      preconfirmed: true,
    });
    expect(outcome.status).toBe('ok');
    const after = await inVolume(
      bed,
      volume,
      'cat /v/a.txt /v/keep/one /v/d/e/f /v/made; ls -1 /v/keep; stat -c "%u:%g" /v/keep/one',
    );
    expect(after.split('\n')).toEqual(['hello', 'k', 'other', 'made', 'one', 'two', '48:49', '']);
  });

  it('--to a new volume while the service keeps running; the live volume untouched', async () => {
    const before = await fullListing(bed, volume);
    const target = `${bed.runId}-side`;
    const outcome = await b.t.run(admin, `restore pathsapp ${snapshot} --to ${target}`, {
      preconfirmed: true,
    });
    expect(outcome.status).toBe('ok');
    const info = await bed.docker.getContainer(bed.containerName('pathsapp')).inspect();
    expect(info.State.Running).toBe(true);
    expect(await fullListing(bed, target)).toContain('./keep/one 644 48:49');
    expect(await fullListing(bed, volume)).toBe(before);
    await bed.docker.getVolume(target).remove();
  });

  it('bad input: .., absolute outside, not in the snapshot, a glob matching nothing', async () => {
    const before = await fullListing(bed, volume);
    // A drill's scratch volume, as a killed bot may leave one: never a --to target.
    const scratch = `${bed.runId}-left-scratch`;
    await bed.docker.createVolume({
      Name: scratch,
      Labels: { 'pes.test': '1', 'pes.bot/scratch': 'true' },
    });
    const cases: [string, string][] = [
      [`restore pathsapp ${snapshot} --path ../../etc/passwd`, 'backup-path-invalid'],
      [`restore pathsapp ${snapshot} --path /etc/passwd`, 'backup-path-not-found'],
      [`restore pathsapp ${snapshot} --path keep/three`, 'backup-path-not-found'],
      [`restore pathsapp ${snapshot} --path keep/*.zip`, 'backup-path-not-found'],
      [`restore pathsapp ${snapshot} --to pathsvol/../x`, 'backup-target-invalid'],
      [`restore pathsapp ${snapshot} --to ${volume}`, 'backup-target-invalid'],
      [`restore pathsapp ${snapshot} --to ${scratch} --force`, 'backup-target-scratch'],
      [`backup files pathsapp ${snapshot} nothing/here`, 'backup-path-not-found'],
    ];
    for (const [text, code] of cases) {
      const outcome = await b.t.run(admin, text, { preconfirmed: true });
      expect({ text, code: outcome.errorCode }).toEqual({ text, code });
    }
    expect(await fullListing(bed, volume)).toBe(before);
  });

  it('--to a volume with data is refused unless --force, which asks twice', async () => {
    const target = await makeVolume(bed, 'side-full');
    await inVolume(bed, target, 'echo mine > /v/precious');
    const refused = await b.t.run(admin, `restore pathsapp ${snapshot} --to ${target}`, {
      preconfirmed: true,
    });
    expect(refused.errorCode).toBe('backup-target-not-empty');
    expect(await inVolume(bed, target, 'cat /v/precious')).toBe('mine\n');
    const asked: string[] = [];
    const forced = await b.t.run(admin, `restore pathsapp ${snapshot} --to ${target} --force`, {
      sink: {
        confirm: {
          kind: 'prompt',
          ask: (text: string) => {
            asked.push(text);
            return Promise.resolve(true);
          },
        },
      },
    });
    expect(forced.status).toBe('ok');
    expect(asked).toHaveLength(2);
    expect(asked[1]).toContain(target);
    expect(await inVolume(bed, target, 'ls /v')).not.toContain('precious');
  });

  it('a volume used by a container of another service is refused, in place and as --to', async () => {
    const shared = await makeVolume(bed, 'shared');
    await bed.createContainer({
      name: bed.containerName('intruder'),
      image: appImage(1),
      hostConfig: { Mounts: [{ Type: 'volume', Source: shared, Target: '/x' }] },
    });
    const side = await b.t.run(admin, `restore pathsapp ${snapshot} --to ${shared}`, {
      preconfirmed: true,
    });
    expect(side.errorCode).toBe('backup-volume-in-use');
    await bed.createContainer({
      name: bed.containerName('intruder2'),
      image: appImage(1),
      hostConfig: { Mounts: [{ Type: 'volume', Source: volume, Target: '/x' }] },
    });
    const inPlace = await b.t.run(admin, `restore pathsapp ${snapshot}`, { preconfirmed: true });
    expect(inPlace.errorCode).toBe('backup-volume-in-use');
    expect(inPlace.message.text).toContain(bed.containerName('intruder2'));
    await bed.docker.getContainer(bed.containerName('intruder2')).remove({ force: true });
  });
});

describe('an old tar-stream snapshot', () => {
  it('still restores, and backups names each kind', async () => {
    const volume = await makeVolume(bed, 'old-tar');
    await inVolume(bed, volume, fill);
    const original = await fullListing(bed, volume);
    const svc = await appService('oldtar', volume);
    const repository = join(dir, 'old-tar');
    const b = backupBot(bed, [svc], { engine: 'restic', repository });
    // The bot as it was: no file-level access to volumes, so the volume goes as one tar.
    const streamOnly: Platform = Object.create(b.platform, {
      volumeFiles: { value: undefined },
    }) as Platform;
    const old = backupBot(bed, [svc], { engine: 'restic', repository });
    const oldService = createBackupService({
      engine: old.engine,
      ledger: b.ledger,
      log: createLogger({ level: 'silent' }),
      platform: () => streamOnly,
      databasePasswords: new Map(),
    });
    const made = await oldService.backup(
      svc,
      { only: undefined, tags: [], job: '1-20250101T000000Z' },
      () => undefined,
      new AbortController().signal,
    );
    expect(made.sources[0]?.kind ?? 'stream').toBe('stream');
    expect((await b.t.run(admin, 'backup oldtar')).status).toBe('ok');

    const listed = await b.t.run(admin, 'backups oldtar');
    expect(listed.message.code?.content).toMatch(/tar/);
    expect(listed.message.code?.content).toMatch(/files/);

    await inVolume(bed, volume, 'rm -r /v/keep && echo x > /v/new');
    const oldId = made.sources[0]?.snapshotId ?? '';
    // One stream holds no paths to pick from.
    const single = await b.t.run(admin, `restore oldtar ${oldId} --path keep`, {
      preconfirmed: true,
    });
    expect(single.errorCode).toBe('backup-path-needs-files');
    const restore = await b.t.run(admin, `restore oldtar ${oldId}`, { preconfirmed: true });
    expect(restore.status).toBe('ok');
    expect(await fullListing(bed, volume)).toBe(original);
  });
});

describe.each(['restic', 'borg'] as const)('names starting with dots, with %s', (engine) => {
  let b: BackupBot;
  let volume: string;
  let snapshot: string;

  beforeAll(async () => {
    volume = await makeVolume(bed, `${engine}-dots`);
    await inVolume(
      bed,
      volume,
      'mkdir -p /v/.git /v/sub && echo deny > /v/.htaccess && echo core > /v/.git/config && ' +
        'echo two > /v/..foo && echo below > /v/sub/.hidden && echo plain > /v/plain',
    );
    b = backupBot(bed, [await appService(`${engine}dots`, volume)], {
      engine,
      repository: join(dir, `${engine}-dots`),
    });
    const made = await b.t.run(admin, `backup ${engine}dots`);
    expect(made.status).toBe('ok');
    snapshot = report(made).sources[0]?.snapshotId ?? '';
  });

  const change =
    'for f in .htaccess .git/config ..foo sub/.hidden plain; do echo changed > /v/$f; done';
  const read = 'cat /v/.htaccess /v/.git/config /v/..foo /v/sub/.hidden /v/plain';

  it('backup files shows each name with its dots', async () => {
    const listed = await b.t.run(admin, `backup files ${engine}dots ${snapshot}`);
    expect(listed.status).toBe('ok');
    const content = listed.message.code?.content ?? '';
    for (const name of ['.htaccess', '.git/config', '..foo', 'sub/.hidden']) {
      expect(content).toContain(name);
    }
    expect(content).not.toMatch(/(^|\s)htaccess/m);
  });

  it('--path .htaccess restores that file only', async () => {
    await inVolume(bed, volume, change);
    const outcome = await b.t.run(admin, `restore ${engine}dots ${snapshot} --path .htaccess`, {
      preconfirmed: true,
    });
    expect({ status: outcome.status, code: outcome.errorCode }).toEqual({
      status: 'ok',
      code: undefined,
    });
    expect((await inVolume(bed, volume, read)).split('\n')).toEqual([
      'deny',
      'changed',
      'changed',
      'changed',
      'changed',
      '',
    ]);
  });

  it("--path '*' restores every name, dots included, and is reported done", async () => {
    await inVolume(bed, volume, change);
    const outcome = await b.t.run(admin, `restore ${engine}dots ${snapshot} --path '*'`, {
      preconfirmed: true,
    });
    expect({ status: outcome.status, code: outcome.errorCode }).toEqual({
      status: 'ok',
      code: undefined,
    });
    expect((await inVolume(bed, volume, read)).split('\n')).toEqual([
      'deny',
      'core',
      'two',
      'below',
      'plain',
      '',
    ]);
  });
});
