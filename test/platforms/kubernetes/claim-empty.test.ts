/**
 * An empty claim on a cluster: restic 0.14 refuses a snapshot of no files at all ("snapshot
 * is empty"), so an empty claim goes as a tar stream, as an empty Docker volume does
 * (run-backup.ts, claim-tar.ts). The fake API server with real-process pods (DockerKubelet),
 * real restic, the claim pods' image and the repository claim of claim-backup.test.ts
 * (claim-test-bed.ts).
 *
 * Proved here: the empty claim is backed up and listed; its drill passes; restoring it onto
 * the claim that holds data since empties it, after a safety backup of that data; a restore
 * onto the empty claim has its safety backup too; no claim pod is left.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { EngineBackupService } from '../../../src/backup/service.ts';
import { createBackupService } from '../../../src/backup/wire.ts';
import type { ClusterPorts } from '../../../src/platforms/kubernetes/cluster-ports.ts';
import { scratchLabel } from '../../../src/platforms/kubernetes/scratch-claim.ts';
import {
  app,
  appDeployment,
  claimManifest,
  claims,
  ClaimTestBed,
  pods,
  signal,
  steps,
} from './claim-test-bed.ts';

// Each backup, restore and drill starts pods with real containers; slow on a loaded machine.
vi.setConfig({ testTimeout: 240_000, hookTimeout: 600_000 });

const bed = new ClaimTestBed('ke');
let ports: ClusterPorts;
let backups: EngineBackupService;

async function runningPod(): Promise<string> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const found = bed.fake.store.list(pods, 'default').find((p) => {
      const meta = p.metadata as { labels?: Record<string, string> };
      const status = p.status as { phase?: string; containerStatuses?: { ready?: boolean }[] };
      return (
        meta.labels?.['app'] === 'app' &&
        status.phase === 'Running' &&
        (status.containerStatuses ?? []).every((c) => c.ready === true)
      );
    });
    const name = (found?.metadata as { name?: string } | undefined)?.name;
    if (name !== undefined) return name;
    if (Date.now() > deadline)
      throw new Error(`no running pod of app: ${String(bed.kubelet.errors)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A script in the workload's own pod, which mounts the claim at /data. */
async function inApp(script: string): Promise<string> {
  const result = await ports
    .for(app)
    .exec(`default/${await runningPod()}/app`, ['/bin/busybox', 'sh', '-c', script], {});
  expect(result.stderr).toBe('');
  expect(result.exitCode).toBe(0);
  return result.stdout;
}

const listing = (): Promise<string> => inApp('cd /data && find . -mindepth 1 | sort');

beforeAll(async () => {
  await bed.start();
  await bed.apply(
    [
      claimManifest('backups', 'ReadWriteMany', '5Gi'),
      claimManifest('data'),
      appDeployment(0),
    ].join('---\n'),
  );
  // The repository claim's volume, made now so that the bot's own restic finds it here too.
  await bed.prepare('backups');
  ports = bed.ports(undefined);
  backups = createBackupService({ ...(await bed.wiring()), platform: (s) => ports.for(s) });
  expect(await listing()).toBe('');
});

afterAll(() => bed.close());

describe('an empty claim', () => {
  let emptyId = '';

  it('is backed up as a tar stream and listed', async () => {
    const report = await backups.backup(
      app,
      { only: undefined, tags: [], job: 'empty-1' },
      steps,
      signal(),
    );
    const [source] = report.sources;
    expect(source?.source).toBe('volume:data');
    emptyId = source?.snapshotId ?? '';
    const listed = await backups.snapshots(app, signal());
    expect(listed.map((s) => [s.id, s.kind, s.source, s.job])).toEqual([
      [emptyId, 'stream', 'volume:data', 'empty-1'],
    ]);
    // A tar of no member: its end blocks only.
    expect(listed[0]?.manifest?.files).toBe(0);
    await bed.noClaimPodLeft();
  });

  it('a drill of it restores into a scratch claim and passes', async () => {
    const report = await backups.verify(app, { job: 'empty-2' }, steps, signal());
    expect(report.drills.map((d) => [d.source, d.ok, d.reason])).toEqual([
      ['volume:data', true, undefined],
    ]);
    expect(report.ok).toBe(true);
    expect(
      bed.fake.store
        .list(claims, 'default')
        .filter((c) => (c.metadata as { labels?: Record<string, string> }).labels?.[scratchLabel]),
    ).toEqual([]);
    await bed.noClaimPodLeft();
  });

  it('restored onto the claim that holds data since, empties it after a safety backup of that data', async () => {
    await inApp(
      'mkdir -p /data/d/e && echo one > /data/a.txt && echo two > /data/d/e/b.txt && ' +
        'ln -s a.txt /data/link && chmod 700 /data/d',
    );
    const plan = await backups.planRestore(app, emptyId.slice(0, 8), undefined, signal());
    expect(plan.items.map((i) => i.source)).toEqual(['volume:data']);
    const report = await backups.restore(app, plan, { job: 'empty-3' }, steps, signal());
    expect(await listing()).toBe('');
    // The safety backup holds what was there: file by file, since the claim was not empty.
    const safety = (await backups.snapshots(app, signal())).find(
      (s) => s.id === report.safetySnapshot,
    );
    expect(safety?.kind).toBe('files');
    expect(safety?.manifest?.files).toBe(2);
    // Restoring the safety backup brings the data back.
    const back = await backups.planRestore(app, safety?.id.slice(0, 8) ?? '', undefined, signal());
    await backups.restore(app, back, { job: 'empty-4' }, steps, signal());
    expect(await listing()).toBe('./a.txt\n./d\n./d/e\n./d/e/b.txt\n./link\n');
    await bed.noClaimPodLeft();
  });

  it('a restore onto the empty claim has its safety backup too (a tar)', async () => {
    await inApp('rm -rf /data/* && ls -A /data');
    expect(await listing()).toBe('');
    const plan = await backups.planRestore(app, emptyId.slice(0, 8), undefined, signal());
    const report = await backups.restore(app, plan, { job: 'empty-5' }, steps, signal());
    const safety = (await backups.snapshots(app, signal())).find(
      (s) => s.id === report.safetySnapshot,
    );
    expect(safety?.kind).toBe('stream');
    expect(await listing()).toBe('');
    await bed.noClaimPodLeft();
  });
});
