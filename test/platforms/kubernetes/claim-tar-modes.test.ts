/**
 * A claim's tar-stream snapshot restored by a claim pod keeps every file's mode: GNU tar run
 * as another user than root applies its umask to what it extracts unless told to keep the
 * permissions (claim-tar.ts), so a 0666 file would come back 0644 and a 0775 folder 0755.
 * As root it keeps the owners as well, by number. The fake API server with real-process pods
 * (DockerKubelet), real restic and the claim pods' image, as in claim-empty.test.ts
 * (claim-test-bed.ts).
 *
 * The snapshot is an old tar-stream one with files in it: made as the bot made it before it
 * read claims file by file, by the platform with no file-level access (its volume goes as a
 * tar, claim-tar.ts), as test/integration/backup-files.test.ts makes one on Docker.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { EngineBackupService } from '../../../src/backup/service.ts';
import { createBackupService } from '../../../src/backup/wire.ts';
import type { Platform } from '../../../src/core/platform.ts';
import {
  app,
  appDeployment,
  claimManifest,
  ClaimTestBed,
  signal,
  steps,
} from './claim-test-bed.ts';

vi.setConfig({ testTimeout: 240_000, hookTimeout: 600_000 });

const run = promisify(execFile);
const bed = new ClaimTestBed('km');

/** Modes a umask of 022 would change (group or other may write), and some it would not. */
const files =
  'mkdir /v/d /v/shared /v/p && echo w > /v/d/w && echo x > /v/x && echo s > /v/shared/f && ' +
  'echo p > /v/p/s && chmod 775 /v/d /v/x && chmod 666 /v/d/w && chmod 777 /v/shared && ' +
  'chmod 664 /v/shared/f && chmod 700 /v/p && chmod 600 /v/p/s && chown -R 1000:1000 /v';

/** Claim pods as the workload's user (1000). */
let backups: EngineBackupService;
/** The same repository and ledger, claim pods as root (`engineUser: root`). */
let asRoot: EngineBackupService;
/** The same, the platform with no file-level access to claims: a claim goes as a tar. */
let streamOnly: EngineBackupService;

/** Every entry of a claim as root sees it: path, mode, owner, type. */
async function listing(claim: string): Promise<string> {
  const stdout = await bed.find(claim, ['-mindepth', '1', '-printf', '%P %m %U:%G %y\\n']);
  return stdout.trim().split('\n').sort().join('\n');
}

beforeAll(async () => {
  await bed.start();
  await bed.apply([claimManifest('backups', 'ReadWriteMany'), claimManifest('data')].join('---\n'));
  await bed.prepare('backups', 'true');
  await bed.prepare('data', files);
  // The workload runs as uid 1000, as do its claim pods unless engineUser is root.
  await bed.apply(appDeployment(1000));
  await bed.podRunning();
  const common = await bed.wiring();
  const plain = bed.ports(undefined);
  const root = bed.ports('root');
  backups = createBackupService({ ...common, platform: (s) => plain.for(s) });
  asRoot = createBackupService({ ...common, platform: (s) => root.for(s) });
  streamOnly = createBackupService({
    ...common,
    platform: (s) => Object.create(plain.for(s), { volumeFiles: { value: undefined } }) as Platform,
  });
});

afterAll(() => bed.close());

it('a tar snapshot restored by a claim pod, as the workload’s user or as root, keeps every mode', async () => {
  const original = await listing('data');
  expect(original).toBe(
    [
      'd 775 1000:1000 d',
      'd/w 666 1000:1000 f',
      'p 700 1000:1000 d',
      'p/s 600 1000:1000 f',
      'shared 777 1000:1000 d',
      'shared/f 664 1000:1000 f',
      'x 775 1000:1000 f',
    ].join('\n'),
  );
  const made = await streamOnly.backup(
    app,
    { only: undefined, tags: [], job: 'modes-1' },
    steps,
    signal(),
  );
  const id = made.sources[0]?.snapshotId ?? '';
  const snapshot = (await backups.snapshots(app, signal())).find((s) => s.id === id);
  expect([snapshot?.kind, snapshot?.manifest?.files]).toEqual(['stream', 7]);
  await bed.noClaimPodLeft();

  for (const [service, job] of [
    [backups, 'modes-2'],
    [asRoot, 'modes-3'],
  ] as const) {
    // The repository was made here, as root; a claim pod of the workload's user writes the
    // safety backup into it too.
    await run('chmod', ['-R', 'a+rwX', `${await bed.mountpointOf('backups')}/restic`]);
    const data = await bed.mountpointOf('data');
    await run('rm', ['-rf', `${data}/d`, `${data}/shared`]);
    await run('chmod', ['644', `${data}/x`]);
    expect(await listing('data')).not.toBe(original);
    const plan = await service.planRestore(app, id.slice(0, 8), undefined, signal());
    await service.restore(app, plan, { job }, steps, signal());
    expect(await listing('data')).toBe(original);
    await bed.noClaimPodLeft();
  }
});
