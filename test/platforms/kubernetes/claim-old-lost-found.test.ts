/**
 * A claim's snapshot made before claim backups left the root `lost+found` out (by a claim pod
 * running as root, which could read it) holds that folder; a restored claim is listed
 * without it (claim-site.ts). A drill of such a snapshot passes, and still finds a real
 * loss, a nested `lost+found`'s content among it. The fake API server with real-process pods
 * (DockerKubelet), real restic and real borg, and the claim pods' image, as in
 * claim-lost-found.test.ts (claim-test-bed.ts); one cluster for each engine.
 *
 * The old snapshot is made the way the bot made it then: the engine's backup runs in a root
 * claim pod of the claim with no exclude (the site's runner is replaced by a bare claim
 * runner), and the snapshot's own listing is checked to hold the root `lost+found`.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { EngineBackupService } from '../../../src/backup/service.ts';
import type { EngineRunner, VolumeSite } from '../../../src/backup/volume-access.ts';
import { createBackupService } from '../../../src/backup/wire.ts';
import type { Platform, VolumeFiles } from '../../../src/core/platform.ts';
import { ClusterClients } from '../../../src/platforms/kubernetes/client.ts';
import { openClaimPod } from '../../../src/platforms/kubernetes/claim-pod.ts';
import { claimRunner } from '../../../src/platforms/kubernetes/claim-runner.ts';
import { ClusterPorts } from '../../../src/platforms/kubernetes/cluster-ports.ts';
import {
  app,
  appDeployment,
  appFiles,
  claimManifest,
  ClaimTestBed,
  rootLostFound,
  signal,
  steps,
  type ClaimEngine,
} from './claim-test-bed.ts';

vi.setConfig({ testTimeout: 240_000, hookTimeout: 600_000 });

const run = promisify(execFile);

/** The platform with its volumes' sites changed by `change` (the rest delegated). */
function withSites(
  platform: Platform,
  change: (site: VolumeSite, mode: 'read' | 'write') => VolumeSite,
): Platform {
  const files = platform.volumeFiles;
  if (files === undefined) throw new Error('no volume files');
  const changed: VolumeFiles = {
    directory: (volume, s) => files.directory(volume, s),
    inspect: (volume, s) => files.inspect(volume, s),
    create: (volume, l, s) => files.create(volume, l, s),
    open: async (volume, mode, s) => {
      const site = await files.open(volume, mode, s);
      return site === undefined ? undefined : change(site, mode);
    },
  };
  return Object.create(platform, { volumeFiles: { value: changed } }) as Platform;
}

describe.each<[ClaimEngine, string]>([
  ['restic', 'ko'],
  ['borg', 'kb'],
])('with %s', (engine, prefix) => {
  const bed = new ClaimTestBed(prefix);
  /** Backups as configured now, claim pods as root (`engineUser: root`). */
  let backups: EngineBackupService;
  /** The same repository and ledger; the engine's backup runs with no exclude, as it did. */
  let before: EngineBackupService;
  /** The same; a drill's restored claim loses a file before it is compared. */
  let losing: EngineBackupService;

  beforeAll(async () => {
    await bed.start();
    await bed.apply(
      [claimManifest('backups', 'ReadWriteMany'), claimManifest('data')].join('---\n'),
    );
    await bed.prepare('backups', 'true');
    await bed.prepare('data', `${rootLostFound} && ${appFiles}`);
    await bed.apply(appDeployment(1000));
    await bed.podRunning();
    const cluster = bed.cluster('root', engine);
    const ports = new ClusterPorts(new Map([['lab', cluster]]));
    const clients = await new ClusterClients(new Map([['lab', cluster]])).get('lab');
    // The engine in a root claim pod of the claim, its command as the engine gave it.
    const bare =
      (claim: string): EngineRunner =>
      async (command, options) => {
        const pod = await openClaimPod(
          clients,
          { image: bed.image, startSeconds: 90, engineUser: 'root' },
          { namespace: 'default', claim, purpose: 'backup', repositoryClaim: 'backups' },
        );
        try {
          return await claimRunner(pod, { cluster: 'lab', repositoryInClaim: engine })(
            command,
            options,
          );
        } finally {
          await pod.delete();
        }
      };
    const common = await bed.wiring(engine);
    backups = createBackupService({ ...common, platform: (s) => ports.for(s) });
    before = createBackupService({
      ...common,
      platform: (s) =>
        withSites(ports.for(s), (site, mode) =>
          mode === 'read' ? { ...site, runner: bare('data') } : site,
        ),
    });
    losing = createBackupService({
      ...common,
      platform: (s) =>
        withSites(ports.for(s), (site, mode) =>
          mode === 'write'
            ? {
                ...site,
                // Only the drill's scratch claim is opened for writing here.
                compare: async (expected, s2) => {
                  await site.removePaths(['a/lost+found/kept'], 'scratch', s2);
                  return site.compare(expected, s2);
                },
              }
            : site,
        ),
    });
  });

  afterAll(() => bed.close());

  it('an old snapshot holding the root lost+found drills clean; a real loss still fails it', async () => {
    const { stdout } = await run('find', [
      await bed.mountpointOf('data'),
      '-maxdepth',
      '1',
      '-printf',
      '%P %m %U\\n',
    ]);
    expect(stdout).toContain('lost+found 700 0\n');
    const made = await before.backup(
      app,
      { only: undefined, tags: [], job: 'old-1' },
      steps,
      signal(),
    );
    expect(made.sources[0]?.kind).toBe('files');
    const id = made.sources[0]?.snapshotId ?? '';
    // The snapshot really holds it, as those made then did.
    const listed = await backups.files(app, id.slice(0, 8), undefined, 100, signal());
    expect(listed.entries.map((e) => e.path).sort()).toEqual([
      'a',
      'a/lost+found',
      'a/lost+found/kept',
      'b',
      'b/g',
      'f.txt',
      'lost+found',
      'lost+found/#12',
    ]);
    await bed.noClaimPodLeft();

    const drill = await backups.verify(app, { job: 'old-2' }, steps, signal());
    expect(drill.drills.map((d) => [d.snapshotId, d.ok, d.reason])).toEqual([
      [id, true, undefined],
    ]);
    expect(drill.ok).toBe(true);
    await bed.noClaimPodLeft();

    // The nested lost+found is the application's: its loss is a loss.
    const lost = await losing.verify(app, { job: 'old-3' }, steps, signal());
    expect(lost.drills.map((d) => [d.snapshotId, d.ok, d.problem])).toEqual([
      [id, false, 'mismatch'],
    ]);
    // f.txt, b/g and a/lost+found/kept: regular files only are counted.
    expect(lost.drills[0]?.reason).toMatch(
      /^files: 3 → 2; bytes: 9 → 4; file list: .*; `a\/lost\+found\/kept`: missing$/,
    );
    expect(lost.ok).toBe(false);
    await bed.noClaimPodLeft();
  });

  it('restored, it leaves the claim’s own lost+found as it is', async () => {
    const old = (await backups.snapshots(app, signal())).find((s) => s.job === 'old-1');
    if (old === undefined) throw new Error('no old snapshot');
    const data = await bed.mountpointOf('data');
    // What the file system holds now: another orphan; and the application lost a file.
    await run('rm', ['-f', `${data}/lost+found/#12`, `${data}/f.txt`]);
    await run('sh', [
      '-c',
      'echo newer > "$1/lost+found/#13" && chmod 600 "$1/lost+found/#13"',
      'sh',
      data,
    ]);
    const plan = await backups.planRestore(app, old.id.slice(0, 8), undefined, signal());
    await backups.restore(app, plan, { job: 'old-4' }, steps, signal());
    const { stdout } = await run('find', [data, '-mindepth', '1', '-printf', '%P %m %U\\n']);
    const after = stdout.trim().split('\n').sort();
    expect(after).toContain('f.txt 644 1000');
    expect(after.filter((l) => l.startsWith('lost+found'))).toEqual([
      'lost+found 700 0',
      'lost+found/#13 600 0',
    ]);
    await bed.noClaimPodLeft();
  });
});
