/**
 * File-level volume backups where the bot cannot read the volume's mount point: the engine
 * is reached as `tcp://127.0.0.1:<port>` (a remote engine, for real), so restic and borg run
 * in short-lived helper containers next to the volume (engine-helper.ts), with the
 * repository on a local path mounted at the same path and no network. Against the real
 * engine of scripts/test-env.sh and real restic and borg.
 *
 * Proved here, per engine: a backup through the helper and a full restore come back byte
 * for byte with owners, modes, times, hard and symbolic links and empty folders; an unchanged
 * second backup adds (restic: and reads) nothing by the engine's own figures; a snapshot the
 * bot made directly restores through the helper and one made through the helper restores
 * directly; `--path` and `--to` work through the helper; the drill passes through it; no
 * helper is left after a success, a failure or a cancel, and a cancel leaves no lock and no
 * snapshot that counts; the password appears nowhere in a helper's inspect output.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { BackupReport } from '../../src/core/backup.ts';
import type { ServiceDefinition } from '../../src/core/catalog.ts';
import { createLogger } from '../../src/core/logger.ts';
import { createBackupService } from '../../src/backup/wire.ts';
import type { EngineBackupService } from '../../src/backup/service.ts';
import { connectDocker } from '../../src/platforms/docker/client.ts';
import { DockerPlatform } from '../../src/platforms/docker/docker-platform.ts';
import { helperSite } from '../../src/platforms/docker/engine-helper.ts';
import { helperLabel } from '../../src/platforms/docker/helper-container.ts';
import { createTestBot, type TestBot } from '../helpers/bot.ts';
import { service } from '../helpers/catalog.ts';
import { testCatalog } from '../helpers/catalog.ts';
import { appImage, busyboxImage, DockerTestBed } from '../helpers/docker.ts';
import { ensureEngineHelperImage } from '../helpers/engine-image.ts';
import { tcpEngine, type TcpEngine } from '../helpers/tcp-engine.ts';
import {
  backupBot,
  inVolume,
  makeVolume,
  removeVolumes,
  repoPassword,
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

// Every engine command and file operation is a container of its own; a restore is also a
// safety backup, a stop, a start and a health wait. Slow on a loaded machine.
vi.setConfig({ testTimeout: 240_000, hookTimeout: 600_000 });

let bed: DockerTestBed;
let dir: string;
let remote: TcpEngine;
let image: string;

beforeAll(async () => {
  bed = new DockerTestBed();
  dir = mkdtempSync(join(tmpdir(), 'pes-backup-helper-'));
  image = ensureEngineHelperImage();
  remote = await tcpEngine(bed.connection.host);
});

afterAll(async () => {
  await remote.close();
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

interface HelperBot {
  readonly t: TestBot;
  readonly backups: EngineBackupService;
  readonly platform: DockerPlatform;
  /** The inspect output of every helper made, taken right after it was made. */
  readonly inspected: string[];
}

/** A bot on the same repository and ledger as `direct`, but over tcp: helpers only. */
function helperBot(
  direct: BackupBot,
  services: readonly ServiceDefinition[],
  repository: string,
  cacheVolume: string,
): HelperBot {
  const platform = new DockerPlatform(connectDocker({ host: remote.host }));
  platform.helperImage = busyboxImage;
  platform.engineHelper = {
    image,
    repositoryPath: repository,
    cacheVolume,
    stopGraceSeconds: 20,
  };
  const backups = createBackupService({
    engine: direct.engine,
    ledger: direct.ledger,
    log: createLogger({ level: 'silent' }),
    platform: () => platform,
    databasePasswords: new Map(),
    checkSubset: '100%',
    healthPollMs: 100,
  });
  const t = createTestBot({
    catalog: testCatalog({ services: new Map(services.map((s) => [s.name, s])) }),
    platform,
    backups,
    backupLedger: direct.ledger,
  });
  const bot: HelperBot = { t, backups, platform, inspected: [] };
  const docker = platform.connection.docker;
  const create = docker.createContainer.bind(docker);
  docker.createContainer = (async (options: Docker.ContainerCreateOptions) => {
    const made = await create(options);
    if (options.Labels?.[helperLabel] !== undefined) {
      bot.inspected.push(JSON.stringify(await made.inspect()));
    }
    return made;
  }) as typeof docker.createContainer;
  return bot;
}

async function helpersLeft(): Promise<string[]> {
  const left = await bed.docker.listContainers({
    all: true,
    filters: { label: [helperLabel] },
  });
  return left.map((c) => `${c.Names.join(',')} ${c.State}`);
}

function report(outcome: { data?: unknown }): BackupReport {
  return outcome.data as BackupReport;
}

describe.each(['restic', 'borg'] as const)('through a helper container, with %s', (engine) => {
  let direct: BackupBot;
  let helper: HelperBot;
  let volume: string;
  let svc: ServiceDefinition;
  let original: string;
  let repository: string;
  let viaHelper: string;
  let cache: string;

  beforeAll(async () => {
    volume = await makeVolume(bed, `${engine}-helper`);
    await inVolume(bed, volume, fill);
    original = await fullListing(bed, volume);
    svc = await appService(`${engine}h`, volume);
    repository = join(dir, engine);
    direct = backupBot(bed, [svc], { engine, repository });
    cache = await makeVolume(bed, `${engine}-cache`);
    helper = helperBot(direct, [svc], repository, cache);
  });

  it('backs up through the helper; an unchanged second backup adds and reads nothing', async () => {
    const first = await helper.t.run(admin, `backup ${svc.name}`);
    expect(first.status).toBe('ok');
    const [made] = report(first).sources;
    expect(made?.kind).toBe('files');
    expect(made?.files).toBe(6);
    expect(made?.bytesAdded ?? 0).toBeGreaterThan(700 * 1024);
    expect(helper.inspected.length).toBeGreaterThan(0);
    const second = await helper.t.run(admin, `backup ${svc.name}`);
    expect(second.status).toBe('ok');
    const [again] = report(second).sources;
    // restic's own summary: no file read anew (the parent snapshot's metadata matched).
    if (engine === 'restic') expect(again?.filesChanged).toBe(0);
    expect(again?.bytesAdded ?? Infinity).toBeLessThan(16 * 1024);
    // The same figures as the direct walk measures: the manifests agree.
    expect(again?.sha256).toBe(made?.sha256);
    viaHelper = again?.snapshotId ?? '';
    const directly = await direct.t.run(admin, `backup ${svc.name}`);
    expect(directly.status).toBe('ok');
    expect(report(directly).sources[0]?.sha256).toBe(made?.sha256);
    expect(await helpersLeft()).toEqual([]);
  });

  it('a full restore through the helper brings everything back, byte for byte', async () => {
    await inVolume(
      bed,
      volume,
      'rm -rf /v/keep /v/link && echo changed > /v/a.txt && touch /v/new',
    );
    const outcome = await helper.t.run(admin, `restore ${svc.name} ${viaHelper}`, {
      preconfirmed: true,
    });
    expect(outcome.status).toBe('ok');
    expect(await fullListing(bed, volume)).toBe(original);
    expect(await helpersLeft()).toEqual([]);
  });

  it('either side restores what the other made', async () => {
    const madeDirectly = report(await direct.t.run(admin, `backup ${svc.name}`)).sources[0];
    await inVolume(bed, volume, 'rm -rf /v/d && touch /v/extra');
    const back = await helper.t.run(admin, `restore ${svc.name} ${madeDirectly?.snapshotId}`, {
      preconfirmed: true,
    });
    expect(back.status).toBe('ok');
    expect(await fullListing(bed, volume)).toBe(original);
    await inVolume(bed, volume, 'rm -rf /v/empty /v/hard && echo x > /v/keep/one');
    const forth = await direct.t.run(admin, `restore ${svc.name} ${viaHelper}`, {
      preconfirmed: true,
    });
    expect(forth.status).toBe('ok');
    expect(await fullListing(bed, volume)).toBe(original);
  });

  it('--path and --to through the helper; backup files lists the snapshot', async () => {
    const files = await helper.t.run(admin, `backup files ${svc.name} ${viaHelper} keep`);
    expect(files.status).toBe('ok');
    expect(files.message.code?.content).toMatch(/keep\/one/);
    await inVolume(bed, volume, 'echo mine > /v/keep/one && echo later > /v/a.txt');
    const partial = await helper.t.run(admin, `restore ${svc.name} ${viaHelper} --path keep`, {
      preconfirmed: true,
    });
    expect(partial.status).toBe('ok');
    const now = await inVolume(bed, volume, 'cat /v/keep/one /v/a.txt');
    // The folder is back; the file outside it stays as it was changed.
    expect(now).toBe('k\nlater\n');
    const side = `${bed.runId}-${engine}-side`;
    const beside = await helper.t.run(admin, `restore ${svc.name} ${viaHelper} --to ${side}`, {
      preconfirmed: true,
    });
    expect(beside.status).toBe('ok');
    expect(await fullListing(bed, side)).toBe(original);
    await bed.docker.getVolume(side).remove();
    expect(await helpersLeft()).toEqual([]);
  });

  it('the drill restores and compares through the helper', async () => {
    const outcome = await helper.t.run(admin, `verify ${svc.name}`);
    expect(outcome.status).toBe('ok');
    expect(JSON.stringify(outcome.data)).toContain('"ok":true');
    expect(await helpersLeft()).toEqual([]);
  });

  it('the password is nowhere in what the engine shows of a helper', () => {
    expect(helper.inspected.length).toBeGreaterThan(3);
    for (const shown of helper.inspected) {
      expect(shown).not.toContain(repoPassword);
      expect(shown).toContain('"NetworkMode":"none"');
    }
  });

  it('a failing engine leaves no helper behind', async () => {
    const platform = helper.platform;
    const site = helperSite(
      platform.connection,
      // No repository mounted: the engine fails to open it.
      { image },
      volume,
      undefined,
      'read',
    );
    await expect(
      direct.engine.backupTree({
        directory: site.root,
        runner: site.runner,
        tags: { service: svc.name, source: `volume:${volume}`, job: 'fail-1', extra: [] },
        onProgress: () => undefined,
      }),
    ).rejects.toThrow();
    expect(await helpersLeft()).toEqual([]);
  });

  it('a helper killed mid-backup leaves no helper and no snapshot that counts', async () => {
    await inVolume(bed, volume, 'dd if=/dev/urandom of=/v/big bs=1M count=300 2>/dev/null');
    let reading: () => void = () => undefined;
    const progressed = new Promise<void>((resolve) => (reading = resolve));
    const job = '8-20250101T000000Z';
    const running = helper.backups.backup(
      svc,
      { only: undefined, tags: [], job },
      (step) => {
        if (step.phase === 'backup' && (step.bytesDone ?? 0) > 0) reading();
      },
      new AbortController().signal,
    );
    const outcome = running.then(
      () => 'finished before any progress',
      () => 'failed before any progress',
    );
    expect(await Promise.race([progressed.then(() => 'reading'), outcome])).toBe('reading');
    // Killed from outside, as by an OOM kill or a `docker kill`: the engine gets no SIGINT.
    const [engineHelper] = await bed.docker.listContainers({
      filters: { label: [`${helperLabel}=engine-${engine}`] },
    });
    if (engineHelper === undefined) throw new Error('no engine helper running');
    await bed.docker.getContainer(engineHelper.Id).kill();
    await expect(running).rejects.toThrow();
    expect(await helpersLeft()).toEqual([]);
    // The killed engine's lock is the admin's to clear (the message names the command);
    // restic takes the pid of the engine in its container for a live process here.
    if (engine === 'restic') {
      spawnSync('restic', ['-r', repository, 'unlock', '--remove-all'], {
        env: { ...process.env, RESTIC_PASSWORD: repoPassword },
      });
    } else {
      await direct.engine.unlock();
      // And borg's lock of its cache in the helpers' cache volume, which break-lock run here
      // does not reach (left to do: the bot should clear it itself).
      await inVolume(
        bed,
        cache,
        'rm -rf /v/cache/borg/*/lock.exclusive /v/cache/borg/*/lock.roster',
      );
    }
    const counted = (await direct.engine.list(svc.name)).filter(
      (s) => s.tags.job === job && direct.ledger.snapshotState(s.id, s.tags.job) === 'complete',
    );
    expect(counted).toEqual([]);
    await inVolume(bed, volume, 'rm /v/big');
  });

  it('a cancel stops the engine in its helper: no helper, no lock, no snapshot that counts', async () => {
    // Enough data that the engine is still reading when the cancel comes.
    await inVolume(bed, volume, 'dd if=/dev/urandom of=/v/big bs=1M count=300 2>/dev/null');
    const controller = new AbortController();
    let reading: () => void = () => undefined;
    const progressed = new Promise<void>((resolve) => (reading = resolve));
    const job = '9-20250101T000000Z';
    const running = helper.backups.backup(
      svc,
      { only: undefined, tags: [], job },
      // The engine in the helper has read something: it is mid-run, holding its lock.
      (step) => {
        if (step.phase === 'backup' && (step.bytesDone ?? 0) > 0) reading();
      },
      controller.signal,
    );
    const outcome = running.then(
      () => 'finished before any progress',
      () => 'failed before any progress',
    );
    expect(await Promise.race([progressed.then(() => 'reading'), outcome])).toBe('reading');
    controller.abort(new Error('cancelled by the test'));
    await expect(running).rejects.toThrow();
    expect(await helpersLeft()).toEqual([]);
    // No lock left: the engine got SIGINT and removed it (a killed one leaves it).
    if (engine === 'restic') expect(readdirSync(join(repository, 'locks'))).toEqual([]);
    else expect(readdirSync(repository)).not.toContain('lock.exclusive');
    const listed = await direct.engine.list(svc.name);
    const counted = listed.filter(
      (s) => s.tags.job === job && direct.ledger.snapshotState(s.id, s.tags.job) === 'complete',
    );
    expect(counted).toEqual([]);
    await inVolume(bed, volume, 'rm /v/big');
    const after = await helper.t.run(admin, `backup ${svc.name}`);
    expect(after.status).toBe('ok');
  });
});

/** Runs a command on this machine as uid and gid 1000, as the bot runs in its image. */
function asBotUser(
  argv: readonly string[],
  env: Record<string, string>,
): { status: number | null; out: string } {
  const run = spawnSync(
    'setpriv',
    ['--reuid=1000', '--regid=1000', '--clear-groups', '--', ...argv],
    { encoding: 'utf8', env: { ...process.env, ...env } },
  );
  return { status: run.status, out: `${run.stdout}${run.stderr}` };
}

describe.each(['restic', 'borg'] as const)(
  "a repository owned by the bot's user, with %s",
  (engine) => {
    it("the engine in the helper writes as that user: the bot's own commands still read the repository, and a restore still sets owners", async () => {
      const volume = await makeVolume(bed, `${engine}-owned`);
      await inVolume(bed, volume, fill);
      const original = await fullListing(bed, volume);
      const svc = await appService(`${engine}o`, volume);
      // A place uid 1000 can reach (mkdtemp's folders are root's alone).
      const home = mkdtempSync(join(tmpdir(), 'pes-owned-'));
      chmodSync(home, 0o755);
      try {
        const repository = join(home, 'repo');
        const base = join(home, 'base');
        mkdirSync(repository);
        mkdirSync(base);
        chownSync(repository, 1000, 1000);
        chownSync(base, 1000, 1000);
        const env: Record<string, string> =
          engine === 'restic'
            ? { RESTIC_REPOSITORY: repository, RESTIC_PASSWORD: repoPassword }
            : { BORG_REPO: repository, BORG_PASSPHRASE: repoPassword, BORG_BASE_DIR: base };
        const own = (args: readonly string[]): { status: number | null; out: string } =>
          asBotUser(
            engine === 'restic' ? ['restic', '--no-cache', ...args] : ['borg', ...args],
            env,
          );
        const init = own(engine === 'restic' ? ['init'] : ['init', '--encryption=repokey-blake2']);
        expect(init.status, init.out).toBe(0);
        const direct = backupBot(bed, [svc], { engine, repository });
        const cache = await makeVolume(bed, `${engine}-owned-cache`);
        const helper = helperBot(direct, [svc], repository, cache);
        const made = await helper.t.run(admin, `backup ${svc.name}`);
        expect(made.status, JSON.stringify(made.message)).toBe('ok');
        const snapshot = report(made).sources[0]?.snapshotId ?? '';
        // Nothing in the repository is another user's.
        const foreign = spawnSync('find', [repository, '!', '-uid', '1000', '-print'], {
          encoding: 'utf8',
        });
        expect(foreign.stdout).toBe('');
        const listed = own(engine === 'restic' ? ['snapshots'] : ['list']);
        expect(listed.out).not.toMatch(/permission denied/i);
        expect(listed.status).toBe(0);
        expect(listed.out).toContain(snapshot.slice(0, 8));
        await inVolume(bed, volume, 'rm -rf /v/keep /v/link && chown -R 0:0 /v/d && touch /v/new');
        const back = await helper.t.run(admin, `restore ${svc.name} ${snapshot}`, {
          preconfirmed: true,
        });
        expect(back.status, JSON.stringify(back.message)).toBe('ok');
        expect(await fullListing(bed, volume)).toBe(original);
        const after = own(engine === 'restic' ? ['snapshots'] : ['list']);
        expect(after.status).toBe(0);
        expect(await helpersLeft()).toEqual([]);
      } finally {
        rmSync(home, { recursive: true, force: true });
      }
    });
  },
);
