/**
 * The `lost+found` that ext4 makes at a file system's root (root, 0700) on a claim: a pod of a
 * non-root workload cannot read it, and it is the file system's, not the application's. It
 * is left out of the claim's backup, listing, figures, emptiness and emptying, at the root
 * only; a `lost+found` deeper down is the application's and goes like any folder. The fake
 * API server with real-process pods (DockerKubelet), real restic, the claim pods' image and
 * the repository claim of claim-backup.test.ts (claim-test-bed.ts); the claim's files are made
 * and read here through its Docker volume, as root. The claim's tree is measured and compared
 * in the pod by the bot's own walk (one exec each), with exactly the figures of a walk here,
 * and of a Docker helper of the claim's volume, that leave the root's `lost+found` out; an image without node or that entry point is told
 * as an image without the engine's launcher.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { EngineBackupService } from '../../../src/backup/service.ts';
import { createBackupService } from '../../../src/backup/wire.ts';
import type { ClusterConfig } from '../../../src/config/kubernetes.ts';
import { createLogger } from '../../../src/core/logger.ts';
import { measureTree } from '../../../src/backup/tree-walk.ts';
import { isUserError } from '../../../src/core/errors.ts';
import { ClusterPorts } from '../../../src/platforms/kubernetes/cluster-ports.ts';
import { SqliteBackupLedger } from '../../../src/store/backup-repo.ts';
import { openDatabase } from '../../../src/store/database.ts';
import { helperSite } from '../../../src/platforms/docker/engine-helper.ts';
import { DockerKubelet } from '../../fakes/kubernetes/docker-kubelet.ts';
import { busyboxImage, requireTestDocker } from '../../helpers/docker.ts';
import { ensureDerivedEngineImage } from '../../helpers/engine-image.ts';
import {
  app,
  appDeployment,
  appFiles,
  claimManifest,
  claims,
  ClaimTestBed,
  rootLostFound,
  signal,
  steps,
} from './claim-test-bed.ts';

vi.setConfig({ testTimeout: 240_000, hookTimeout: 600_000 });

const run = promisify(execFile);
const bed = new ClaimTestBed('kl');
let plain: ClusterPorts;
/** Backups with engineUser root: the restore puts owners back. */
let backups: EngineBackupService;
/** The same repository and ledger, the claim pods as the workload's user (1000). */
let asWorkload: EngineBackupService;

/** Every entry of a claim as root sees it: path, mode, owner, type, size. */
async function listing(claim: string): Promise<string> {
  const stdout = await bed.find(claim, ['-mindepth', '1', '-printf', '%P %m %U:%G %y %s\\n']);
  return stdout.split('\n').sort().join('\n');
}

beforeAll(async () => {
  await bed.start();
  const kubelet = bed.kubelet;
  const exec = kubelet.exec.bind(kubelet);
  kubelet.exec = (...args: Parameters<typeof exec>) => {
    execs.push([...args[2]]);
    return exec(...args);
  };
  const all = [
    claimManifest('backups', 'ReadWriteMany'),
    claimManifest('data'),
    claimManifest('only-lf'),
  ];
  await bed.apply(all.join('---\n'));
  await bed.prepare('backups', 'true');
  await bed.prepare('data', `${rootLostFound} && ${appFiles}`);
  await bed.prepare('only-lf', rootLostFound);
  // The workload runs as uid 1000, as do its claim pods unless engineUser is root.
  await bed.apply(appDeployment(1000));
  await bed.podRunning();
  const common = await bed.wiring();
  const root = bed.ports('root');
  plain = bed.ports(undefined);
  backups = createBackupService({ ...common, platform: (s) => root.for(s) });
  asWorkload = createBackupService({ ...common, platform: (s) => plain.for(s) });
});

afterAll(() => bed.close());

/** The argv of each command exec'd in a pod (the kubelet's exec, watched from the start). */
const execs: string[][] = [];

/** The argv of each exec since `from` execs. */
function execsSince(from: number): string[][] {
  return execs.slice(from);
}

describe('a root lost+found on a claim', () => {
  it('a pod of the non-root workload reads the claim around it: figures and emptiness', async () => {
    const files = plain.for(app).volumeFiles;
    const site = await files?.open('data', 'read');
    if (site === undefined) throw new Error('no site');
    try {
      expect(await site.isEmpty()).toBe(false);
      const samplesBefore = new Date(Date.now() + 60_000);
      const before = execs.length;
      const measured = await site.measure({ samplesBefore });
      // f.txt, b/g and a/lost+found/kept; nothing of the root's lost+found.
      expect(measured.figures.files).toBe(3);
      expect(measured.samples.map((s) => s.path).sort()).toEqual([
        'a/lost+found/kept',
        'b/g',
        'f.txt',
      ]);
      // The bot's own walk in the pod, in one exec: the figures of a walk here without it.
      expect(execsSince(before)).toEqual([
        ['node', '/app/src/backup/tree-measure-cli.ts', 'measure', '/data'],
      ]);
      const data = await bed.mountpointOf('data');
      expect(measured).toEqual(await measureTree(data, { samplesBefore, skipRootLostFound: true }));
      const whole = await measureTree(data, { samplesBefore });
      expect(whole.figures.files).toBe(4);
      expect(measured.figures.listDigest).not.toBe(whole.figures.listDigest);
      // A Docker helper of the claim's volume gives the same, whichever way it is asked: a
      // manifest recorded by one site is compared by another.
      const volume = DockerKubelet.volumeOf(bed.fake.store.mustGet(claims, 'default', 'data'));
      const helper = helperSite(requireTestDocker(), { image: bed.image }, volume, '/data', 'read');
      expect(await helper.measure({ samplesBefore, skipRootLostFound: true })).toEqual(measured);
      expect(await helper.measure({ samplesBefore })).toEqual(whole);
      // The comparison leaves it out too, in one exec.
      const again = execs.length;
      const compared = await site.compare({
        files: measured.figures.files,
        bytes: measured.figures.bytes,
        sha256: measured.figures.listDigest,
        samples: measured.samples,
      });
      expect(compared).toEqual({ problems: [], figures: measured.figures });
      expect(execsSince(again)).toHaveLength(1);
    } finally {
      await site.close();
    }
    const only = await files?.open('only-lf', 'read');
    try {
      expect(await only?.isEmpty()).toBe(true);
    } finally {
      await only?.close();
    }
    await bed.noClaimPodLeft();
  });

  let original = '';
  let id = '';

  it('is not in the backup; the nested one is', async () => {
    original = await listing('data');
    expect(original).toContain('\nlost+found 700 0:0 d');
    const report = await backups.backup(
      app,
      { only: undefined, tags: [], job: 'lf-1' },
      steps,
      signal(),
    );
    expect(report.sources[0]?.kind).toBe('files');
    id = report.sources[0]?.snapshotId ?? '';
    const listed = await backups.files(app, id.slice(0, 8), undefined, 100, signal());
    expect(listed.entries.map((e) => e.path).sort()).toEqual([
      'a',
      'a/lost+found',
      'a/lost+found/kept',
      'b',
      'b/g',
      'f.txt',
    ]);
    await bed.noClaimPodLeft();
  });

  it('a drill of it passes', async () => {
    const report = await backups.verify(app, { job: 'lf-2' }, steps, signal());
    expect(report.drills.map((d) => [d.source, d.ok, d.reason])).toEqual([
      ['volume:data', true, undefined],
    ]);
    await bed.noClaimPodLeft();
  });

  it('a restore brings the claim back and leaves the root lost+found as it is', async () => {
    const data = await bed.mountpointOf('data');
    await run('rm', ['-rf', `${data}/b`, `${data}/a/lost+found/kept`]);
    await run('touch', [`${data}/made-since`]);
    expect(await listing('data')).not.toBe(original);
    const plan = await backups.planRestore(app, id.slice(0, 8), undefined, signal());
    const report = await backups.restore(app, plan, { job: 'lf-3' }, steps, signal());
    expect(report.safetySnapshot).toBeDefined();
    expect(await listing('data')).toBe(original);
    await bed.noClaimPodLeft();
  });

  it('a claim with nothing but it is no “target that holds data” for restore --to', async () => {
    const plan = await asWorkload.planRestore(app, id.slice(0, 8), undefined, signal(), {
      to: 'only-lf',
    });
    expect(plan.target).toEqual({ volume: 'only-lf', exists: true, hasData: false });
    await bed.noClaimPodLeft();
  });
});

it('borg leaves it out as well; the nested one goes', async () => {
  const borgPorts = new ClusterPorts(
    new Map<string, ClusterConfig>([
      ['lab', { name: 'lab', source: 'kubeconfig', kubeconfig: bed.config, context: 'pes@lab' }],
    ]),
    {
      claims: new Map([
        [
          'lab',
          {
            image: bed.image,
            startSeconds: 90,
            repositoryClaim: 'backups',
            repositoryInClaim: 'borg',
            engineUser: 'root' as const,
          },
        ],
      ]),
    },
  );
  const borg = createBackupService({
    engine: await bed.engine('borg'),
    ledger: new SqliteBackupLedger(openDatabase(':memory:')),
    log: createLogger({ level: 'silent' }),
    platform: (s) => borgPorts.for(s),
    databasePasswords: new Map(),
    checkSubset: '100%',
    healthPollMs: 100,
  });
  const report = await borg.backup(
    app,
    { only: undefined, tags: [], job: 'lf-borg' },
    steps,
    signal(),
  );
  expect(report.sources[0]?.kind).toBe('files');
  const listed = await borg.files(app, 'latest', undefined, 100, signal());
  expect(listed.entries.map((e) => e.path).sort()).toEqual([
    'a',
    'a/lost+found',
    'a/lost+found/kept',
    'b',
    'b/g',
    'f.txt',
  ]);
  const drill = await borg.verify(app, { job: 'lf-borg-2' }, steps, signal());
  expect(drill.drills.map((d) => [d.source, d.ok, d.reason])).toEqual([
    ['volume:data', true, undefined],
  ]);
  await bed.noClaimPodLeft();
});

it('a claim pod of an image without node, or without the tree measure, is told as such', async () => {
  const withoutEntryPoint = ensureDerivedEngineImage('claim-no-measure', [
    'RUN rm /app/src/backup/tree-measure-cli.ts',
  ]);
  for (const image of [busyboxImage, withoutEntryPoint]) {
    const cluster = bed.cluster('root');
    const ports = new ClusterPorts(
      new Map<string, ClusterConfig>([
        ['lab', { ...cluster, backups: { ...cluster.backups, image } }],
      ]),
    );
    const site = await ports.for(app).volumeFiles?.open('data', 'read');
    if (site === undefined) throw new Error('no site');
    try {
      for (const attempt of [
        () => site.measure({}),
        () => site.compare({ files: 1, bytes: 1, sha256: '0'.repeat(64) }),
      ]) {
        const thrown = await attempt().catch((e: unknown) => e);
        expect(isUserError(thrown) && thrown.code, image).toBe('backup-engine-launcher-missing');
        expect((thrown as Error).message).toContain(image);
      }
    } finally {
      await site.close();
    }
  }
  await bed.noClaimPodLeft();
});
