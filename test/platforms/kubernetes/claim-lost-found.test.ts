/**
 * The `lost+found` that ext4 makes at a file system's root (root, 0700) on a claim: a pod of a
 * non-root workload cannot read it, and it is the file system's, not the application's. It
 * is left out of the claim's backup, listing, figures, emptiness and emptying, at the root
 * only; a `lost+found` deeper down is the application's and goes like any folder. The fake
 * API server with real-process pods (DockerKubelet), real restic, the claim pods' image and
 * the repository claim of claim-backup.test.ts (claim-test-bed.ts); the claim's files are made
 * and read here through its Docker volume, as root.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { EngineBackupService } from '../../../src/backup/service.ts';
import { createBackupService } from '../../../src/backup/wire.ts';
import type { ClusterConfig } from '../../../src/config/kubernetes.ts';
import { createLogger } from '../../../src/core/logger.ts';
import { ClusterPorts } from '../../../src/platforms/kubernetes/cluster-ports.ts';
import { SqliteBackupLedger } from '../../../src/store/backup-repo.ts';
import { openDatabase } from '../../../src/store/database.ts';
import {
  app,
  appDeployment,
  appFiles,
  claimManifest,
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

describe('a root lost+found on a claim', () => {
  it('a pod of the non-root workload reads the claim around it: figures and emptiness', async () => {
    const files = plain.for(app).volumeFiles;
    const site = await files?.open('data', 'read');
    if (site === undefined) throw new Error('no site');
    try {
      expect(await site.isEmpty()).toBe(false);
      const measured = await site.measure({ samplesBefore: new Date(Date.now() + 60_000) });
      // f.txt, b/g and a/lost+found/kept; nothing of the root's lost+found.
      expect(measured.figures.files).toBe(3);
      expect(measured.samples.map((s) => s.path).sort()).toEqual([
        'a/lost+found/kept',
        'b/g',
        'f.txt',
      ]);
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
