/**
 * restic and borg for real, on temporary repositories, with real Docker volumes streamed by
 * helper containers (scripts/test-env.sh): a restore gives back exactly what was backed up,
 * a failing producer leaves nothing, and every bad situation is one clear error.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcess } from '../../src/backup/engines/spawn.ts';
import { retentionRemoves } from '../../src/backup/retention.ts';
import { commandSource } from '../../src/backup/sources/command.ts';
import { volumeSource } from '../../src/backup/sources/volume.ts';
import { UserError } from '../../src/core/errors.ts';
import type { DockerPlatform } from '../../src/platforms/docker/docker-platform.ts';
import {
  backupProduced,
  bytesProduced,
  createTestRepo,
  createVolume,
  dockerPlatform,
  engineKinds,
  findSnapshot,
  removeVolumes,
  repoPassword,
  restoreInto,
  seedVolume,
  tagsFor,
  volumeListing,
  type TestRepo,
} from '../helpers/backup-env.ts';
import { DockerTestBed } from '../helpers/docker.ts';

async function expectUserError(promise: Promise<unknown>, code: string): Promise<UserError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected ${code}`).toBeInstanceOf(UserError);
  expect((error as UserError).code).toBe(code);
  return error as UserError;
}

/** Everything a person could see of an error, in both languages. */
function shown(error: UserError): string {
  return (['en', 'ru'] as const).map((l) => `${error.text(l)} ${error.hint(l) ?? ''}`).join('\n');
}

/** An endless, slow stream: the engine keeps running (and its lock held) until killed. */
function endless(): Readable {
  return new Readable({
    read() {
      setTimeout(() => this.push(Buffer.alloc(64 * 1024, 7)), 20);
    },
  });
}

/** Starts a backup in an engine process of its own and SIGKILLs it once it holds its lock. */
async function killMidBackup(repo: TestRepo): Promise<void> {
  const restic = repo.kind === 'restic';
  const lockTaken = (): boolean =>
    restic
      ? // The local backend writes `<id>-tmp-…` first and renames it to its 64-hex id: only the
        // renamed file is a lock (the local backend stores atomically since restic PR #3436).
        readdirSync(join(repo.repository, 'locks')).some((name) => /^[0-9a-f]{64}$/.test(name))
      : existsSync(join(repo.repository, 'lock.roster'));
  const child = spawn(
    restic ? 'restic' : 'borg',
    restic
      ? ['backup', '--stdin', '--stdin-filename', 'endless']
      : ['create', '--stdin-name', 'endless', '::killed', '-'],
    {
      env: {
        ...process.env,
        ...repo.env,
        RESTIC_REPOSITORY: repo.repository,
        RESTIC_PASSWORD: repoPassword,
        BORG_REPO: repo.repository,
        BORG_PASSPHRASE: repoPassword,
        // As if the bot ran on another host (a new container): borg then cannot tell that the
        // lock's process is dead, and the lock stays until it is broken.
        BORG_HOST_ID: 'elsewhere@4242',
      },
      stdio: ['pipe', 'ignore', 'ignore'],
    },
  );
  endless()
    .pipe(child.stdin)
    .on('error', () => undefined);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 20_000;
  while (!lockTaken() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  child.kill('SIGKILL');
  await exited;
  expect(lockTaken()).toBe(true);
}

describe.each(engineKinds)('%s engine (real program, real volumes)', (kind) => {
  let bed: DockerTestBed;
  let platform: DockerPlatform;
  let repo: TestRepo;
  const service = 'app';

  beforeAll(async () => {
    bed = new DockerTestBed();
    platform = dockerPlatform(bed);
    repo = await createTestRepo(kind);
  });

  afterAll(async () => {
    await bed?.cleanup();
    if (bed !== undefined) await removeVolumes(bed);
    repo?.cleanup();
  });

  it('volume: backup → change → restore gives back identical content', async () => {
    const volume = await createVolume(bed, 'data');
    await seedVolume(platform, volume, {
      'a.txt': { content: 'hello\n' },
      'bin/random.bin': { size: 3 * 1024 * 1024 },
      'bin/tool.sh': { content: '#!/bin/sh\n', mode: 0o755 },
      'private/key': { content: 'k', mode: 0o600, uid: 1234, gid: 5678 },
      private: { dir: true, mode: 0o750, uid: 1234, gid: 5678 },
      'empty/dir': { dir: true },
      link: { link: 'a.txt' },
    });
    const original = await volumeListing(bed, platform, volume);
    expect(original).toContain('/v/private/key|600|1234:5678|regular file');
    expect(original).toContain("'/v/link' -> 'a.txt'");

    const source = volumeSource(platform, volume);
    const progress: number[] = [];
    const produced = await source.produce();
    const started = Date.now();
    const result = await repo.engine.backup(produced.stream, {
      filename: source.filename,
      tags: tagsFor(service, source.id, '7', ['before-upgrade']),
      producer: produced.done,
      onProgress: (p) => progress.push(p.bytesDone),
    });
    const backupMs = Date.now() - started;
    expect(result.bytesProcessed).toBeGreaterThan(3 * 1024 * 1024);

    await seedVolume(platform, volume, { 'other.txt': { content: 'changed' } });
    expect(await volumeListing(bed, platform, volume)).not.toBe(original);

    const snapshot = await findSnapshot(repo.engine, service, result.snapshotId);
    expect(snapshot.tags).toEqual(tagsFor(service, `volume:${volume}`, '7', ['before-upgrade']));
    expect(snapshot.filename).toBe(`${volume}.tar`);
    const restoreStarted = Date.now();
    await restoreInto(repo.engine, snapshot, (input) => source.consume(input));
    const restoreMs = Date.now() - restoreStarted;
    // Both helpers (the one that empties and the one that unpacks) are gone by the time the
    // restore returns, though the first one's removal overlaps the unpacking.
    const helpers = await bed.docker.listContainers({
      all: true,
      filters: { label: ['pes.bot/helper'] },
    });
    expect(helpers.filter((h) => h.Mounts.some((m) => m.Name === volume))).toEqual([]);
    expect(await volumeListing(bed, platform, volume)).toBe(original);
    console.info(`${kind}: 3 MB volume backup ${backupMs} ms, restore ${restoreMs} ms`);
  });

  it('a producer that fails half-way leaves no snapshot, and says why', async () => {
    const helper = await bed.createContainer();
    // Writes the whole busybox binary, then fails on a file that does not exist.
    const source = commandSource(
      { name: 'half', container: helper.id, backup: ['cat', '/bin/busybox', '/no/such/file'] },
      platform,
    );
    const produced = await source.produce();
    const error = await expectUserError(
      backupProduced(repo.engine, produced, tagsFor('failing', source.id), source.filename),
      'backup-producer-failed',
    );
    expect(error.text('en')).toContain('No such file');
    expect(await repo.engine.list('failing')).toEqual([]);
  });

  it('a wrong password: a clear error that names no secret, nothing changed', async () => {
    const wrong = 'not-the-password-99';
    const before = await repo.engine.list(undefined);
    const error = await expectUserError(
      repo.engineWith(wrong).list(undefined),
      'backup-repo-wrong-password',
    );
    const backup = await expectUserError(
      backupProduced(
        repo.engineWith(wrong),
        bytesProduced('x'),
        tagsFor('pw', 'volume:x'),
        'x.tar',
      ),
      'backup-repo-wrong-password',
    );
    for (const e of [error, backup]) {
      expect(shown(e)).not.toContain(wrong);
      expect(shown(e)).not.toContain(repoPassword);
    }
    expect(await repo.engine.list(undefined)).toEqual(before);
  });

  it('an engine that fails while a volume streams stops and removes the helper', async () => {
    const volume = await createVolume(bed, 'pw');
    await seedVolume(platform, volume, { 'f.bin': { size: 2 * 1024 * 1024 } });
    const source = volumeSource(platform, volume);
    const produced = await source.produce();
    await expectUserError(
      backupProduced(
        repo.engineWith('wrong-password-1'),
        produced,
        tagsFor('pw', source.id),
        source.filename,
      ),
      'backup-repo-wrong-password',
    );
    await expect(produced.done).rejects.toBeDefined();
    const helpers = await bed.docker.listContainers({
      all: true,
      filters: { label: ['pes.bot/helper'] },
    });
    expect(helpers.filter((h) => h.Mounts.some((m) => m.Name === volume))).toEqual([]);
    // Five helper containers come and go here: a machine under load needs more than 30 s.
  }, 120_000);

  it('a cancelled backup stops the engine and leaves no snapshot, not even a checkpoint', async () => {
    const controller = new AbortController();
    const running = repo.engine.backup(endless(), {
      filename: 'endless.bin',
      tags: tagsFor('cancelled', 'command:endless'),
      producer: new Promise<void>(() => undefined),
      onProgress: () => undefined,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(new Error('cancelled by the test')), 1500);
    await expect(running).rejects.toThrow('cancelled by the test');
    expect(await repo.engine.list('cancelled')).toEqual([]);
    if (kind === 'borg') {
      const listed = await runProcess('borg', ['list', '--short', '--consider-checkpoints'], {
        env: { ...repo.env, BORG_REPO: repo.repository, BORG_PASSPHRASE: repoPassword },
      });
      expect(listed.stdout).not.toContain('cancelled_');
    }
    // The engine let go of its lock: an exclusive operation runs at once.
    await repo.engine.check(undefined);
  });

  it('a stale lock: the error gives the exact unlock command; unlock clears it', async () => {
    await killMidBackup(repo);
    const engine = repo.engineWith(repoPassword, 1);
    const error = await expectUserError(engine.check(undefined), 'backup-repo-locked');
    const command =
      kind === 'restic'
        ? `restic -r ${repo.repository} unlock`
        : `borg break-lock ${repo.repository}`;
    expect(error.hint('en')).toContain(command);
    expect(shown(error)).not.toContain(repoPassword);
    await engine.unlock();
    await engine.check(undefined);
    await engine.check('100%');
  });

  it('retention keeps exactly what the policy says', async () => {
    const at = (iso: string): Date => new Date(iso);
    const times = {
      nov20: at('2023-11-20T12:00:00Z'),
      dec15: at('2023-12-15T12:00:00Z'),
      jan1: at('2024-01-01T12:00:00Z'),
      jan2: at('2024-01-02T12:00:00Z'),
      jan3early: at('2024-01-03T09:00:00Z'),
      jan3: at('2024-01-03T12:00:00Z'),
      jan4: at('2024-01-04T12:00:00Z'),
      jan5early: at('2024-01-05T08:00:00Z'),
      jan5: at('2024-01-05T12:00:00Z'),
    };
    const ids = new Map<string, string>();
    for (const [name, time] of Object.entries(times)) {
      const made = await backupProduced(
        repo.engine,
        bytesProduced(name),
        tagsFor('kept', 'postgres:db', name.replace(/[^a-z0-9]/g, '')),
        'db.pgdump',
        time,
      );
      ids.set(made.snapshotId, name);
    }
    // Another source and another service are not touched by this policy.
    const otherSource = await backupProduced(
      repo.engine,
      bytesProduced('o'),
      tagsFor('kept', 'volume:files'),
      'files.tar',
      times.nov20,
    );
    const otherService = await backupProduced(
      repo.engine,
      bytesProduced('s'),
      tagsFor('other', 'postgres:db'),
      'db.pgdump',
      times.nov20,
    );

    const policy = { keepLast: 2, keepDaily: 3, keepWeekly: 1, keepMonthly: 2 };
    const before = (await repo.engine.list('kept')).filter((s) => s.tags.source === 'postgres:db');
    const result = await repo.engine.applyRetention('kept', 'postgres:db', policy);
    // The bot decides retention itself over complete snapshots (src/backup/retention.ts):
    // on the same snapshots it removes what the engine's own policy removes.
    expect(retentionRemoves(before, policy, kind).sort()).toEqual([...result.removed].sort());
    const named = (list: readonly string[]): string[] => list.map((id) => ids.get(id) ?? id).sort();
    // restic counts a snapshot for every rule it matches; borg lets a rule skip what an
    // earlier rule (last, then daily, weekly, monthly) already keeps, so reaches further back.
    const expectedKept =
      kind === 'restic'
        ? ['dec15', 'jan3', 'jan4', 'jan5', 'jan5early']
        : ['dec15', 'jan2', 'jan3', 'jan4', 'jan5', 'jan5early', 'nov20'];
    const all = Object.keys(times);
    expect(named(result.kept)).toEqual(expectedKept);
    expect(named(result.removed)).toEqual(all.filter((n) => !expectedKept.includes(n)).sort());
    const left = await repo.engine.list(undefined);
    expect(
      named(
        left
          .filter((s) => s.tags.service === 'kept' && s.tags.source === 'postgres:db')
          .map((s) => s.id),
      ),
    ).toEqual(expectedKept);
    expect(left.map((s) => s.id)).toEqual(
      expect.arrayContaining([otherSource.snapshotId, otherService.snapshotId]),
    );
    await repo.engine.prune();
  }, 180_000);

  it('a full target volume: a clear error, and the snapshot still restores in full', async () => {
    const volume = await createVolume(bed, 'big');
    await seedVolume(platform, volume, {
      'big.bin': { size: 5 * 1024 * 1024 },
      'small.txt': { content: 's' },
    });
    const original = await volumeListing(bed, platform, volume);
    const source = volumeSource(platform, volume);
    const made = await backupProduced(
      repo.engine,
      await source.produce(),
      tagsFor('full', source.id),
      source.filename,
    );
    const snapshot = await findSnapshot(repo.engine, 'full', made.snapshotId);

    const tiny = await createVolume(bed, 'tiny', { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' });
    const error = await expectUserError(
      restoreInto(repo.engine, snapshot, (input) => platform.writeVolume(tiny, input)),
      'backup-volume-full',
    );
    expect(error.text('en')).toContain(tiny);
    expect(error.text('en')).toMatch(/No space left on device/i);

    const spare = await createVolume(bed, 'spare');
    await restoreInto(repo.engine, snapshot, (input) => platform.writeVolume(spare, input));
    expect(await volumeListing(bed, platform, spare)).toBe(original);
  });
});
