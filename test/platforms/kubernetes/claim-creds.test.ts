/**
 * The engine's variables in a claim pod (claim-runner.ts): they go through the launcher's
 * stdin (src/backup/engine-launch.ts), never argv, the exec URL or the pod's spec. Claim pods
 * here have no network, so no remote repository is reached: what is proved is that the
 * variables arrive (the repository's place on its claim is now only in the header, and
 * RESTIC_COMPRESSION=off, as a backup.env variable, visibly changes what restic writes) and
 * that none of them, nor an S3 key riding along, is in any request to the API server, any
 * exec's argv (the exec URL's `command` parameters), any stored pod, or the pod's container
 * as Docker runs it. The fake API server with real-process pods (DockerKubelet) and the claim
 * pods' image of claim-backup.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { EngineCommand } from '../../../src/backup/volume-access.ts';
import type { ClusterConfig } from '../../../src/config/kubernetes.ts';
import { ClusterClients } from '../../../src/platforms/kubernetes/client.ts';
import { openClaimPod, type ClaimPod } from '../../../src/platforms/kubernetes/claim-pod.ts';
import { claimLaunch, claimRunner } from '../../../src/platforms/kubernetes/claim-runner.ts';
import { resticProgressWatch } from '../../../src/backup/engines/stall.ts';
import { DockerKubelet } from '../../fakes/kubernetes/docker-kubelet.ts';
import {
  resourceByName,
  startFakeKubernetes,
  type FakeKubernetes,
} from '../../fakes/kubernetes/index.ts';
import { requireTestDocker } from '../../helpers/docker.ts';
import { kubectl } from '../../helpers/kubectl.ts';
import { claimEngineImage } from './claim-engine-image.ts';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 600_000 });

const docker = requireTestDocker().docker;
const runId = `kc${randomBytes(4).toString('hex')}`;
const labels = { 'pes.test': '1', 'pes.test.run': runId };
const password = `pw-${randomBytes(12).toString('hex')}`;
const s3Key = `s3-${randomBytes(12).toString('hex')}`;
const claims = resourceByName('persistentvolumeclaims');
/** Random hex: restic's default compression makes it about half as big; off leaves it whole. */
const fileBytes = 2_000_000;

let fake: FakeKubernetes;
let kubelet: DockerKubelet;
let pod: ClaimPod;
let backupsMount = '';
/** The argv of every exec, as the exec URL's `command` parameters carried it to the kubelet. */
const execCommands: string[][] = [];

async function claimVolume(name: string): Promise<string> {
  const volume = DockerKubelet.volumeOf(fake.store.mustGet(claims, 'default', name));
  await docker.createVolume({ Name: volume, Labels: labels });
  return (await docker.getVolume(volume).inspect()).Mountpoint;
}

beforeAll(async () => {
  const image = await claimEngineImage();
  kubelet = new DockerKubelet({ docker, labels, pollMs: 100 });
  const exec = kubelet.exec.bind(kubelet);
  kubelet.exec = (target, container, command, io) => {
    execCommands.push([...command]);
    return exec(target, container, command, io);
  };
  fake = await startFakeKubernetes({ kubelet, timeScale: 30 });
  const config = await fake.kubeconfigPath('pes@lab');
  const manifest = `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: backups}
spec:
  accessModes: [ReadWriteMany]
  resources: {requests: {storage: 1Gi}}
`;
  expect((await kubectl(config, ['apply', '--server-side', '-f', '-'], manifest)).code).toBe(0);
  // The claims' volumes, made and filled here before any pod mounts them (this process runs
  // where the test engine keeps its volumes, as claim-backup.test.ts reads them too).
  const dataMount = await claimVolume('data');
  writeFileSync(join(dataMount, 'hex'), randomBytes(fileBytes / 2).toString('hex'));
  backupsMount = await claimVolume('backups');
  const clients = await new ClusterClients(
    new Map<string, ClusterConfig>([
      ['lab', { name: 'lab', source: 'kubeconfig', kubeconfig: config, context: 'pes@lab' }],
    ]),
  ).get('lab');
  pod = await openClaimPod(
    clients,
    { image, startSeconds: 90 },
    {
      namespace: 'default',
      claim: 'data',
      purpose: 'backup',
      repositoryClaim: 'backups',
      runAs: { runAsUser: 0, runAsGroup: 0 },
    },
  );
});

afterAll(async () => {
  await pod?.delete();
  await fake?.close();
  const left = await docker.listContainers({
    all: true,
    filters: { label: [`pes.test.run=${runId}`] },
  });
  await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true })));
  const { Volumes } = await docker.listVolumes({ filters: { label: [`pes.test.run=${runId}`] } });
  await Promise.all((Volumes ?? []).map((v) => docker.getVolume(v.Name).remove({ force: true })));
});

function restic(args: readonly string[], env: Record<string, string> = {}): EngineCommand {
  return {
    program: 'restic',
    binary: '/usr/bin/restic',
    args,
    // The bot's own path of the repository: the runner points the engine at its claim.
    env: { RESTIC_REPOSITORY: '/srv/pes/restic', AWS_SECRET_ACCESS_KEY: s3Key, ...env },
    password,
    passwordOnStdin: {},
  };
}

/** Bytes of restic's packs in a repository folder of the backups claim. */
function packBytes(folder: string): number {
  let total = 0;
  const root = join(backupsMount, folder, 'data');
  for (const sub of readdirSync(root)) {
    for (const file of readdirSync(join(root, sub))) total += statSync(join(root, sub, file)).size;
  }
  return total;
}

async function backupInto(folder: string, env: Record<string, string>): Promise<number> {
  const run = claimRunner(pod, { cluster: 'lab', repositoryInClaim: folder });
  const init = await run(restic(['init'], env), {});
  expect(init.stderr).not.toMatch(/Fatal/);
  expect(init.exitCode).toBe(0);
  const backup = await run(restic(['backup', '--json', '.'], env), {});
  expect(backup.exitCode).toBe(0);
  return packBytes(folder);
}

/** The launcher's stdin written by hand, with a name it does not take. */
function refusedRun(): ReturnType<ClaimPod['exec']> {
  return pod.exec(['node', '/app/src/backup/engine-launch.ts', 'restic', 'snapshots'], {
    stdin: Readable.from([Buffer.from('{"LD_PRELOAD":"/x"}\npw')]),
  });
}

describe('an engine in a claim pod', () => {
  it('gets its variables through the launcher: the repository and RESTIC_COMPRESSION', async () => {
    const compressed = await backupInto('auto', {});
    const whole = await backupInto('off', { RESTIC_COMPRESSION: 'off' });
    expect(compressed).toBeLessThan(fileBytes * 0.7);
    expect(whole).toBeGreaterThan(fileBytes);
  });

  it('a refused input runs nothing: the launcher is what starts the engine', async () => {
    const run = await refusedRun();
    expect(run.exitCode).toBe(122);
    expect(run.stderr).toContain('engine-launch: variables not allowed: LD_PRELOAD');
  });

  it('shows none of them in a request, a stored pod or the container Docker runs', async () => {
    const secrets = [s3Key, password, 'RESTIC_REPOSITORY', 'RESTIC_COMPRESSION', '/repository/'];
    // Runs of its own, whatever ran before: an init and a backup with backup.env's
    // variable, and the refused run.
    const from = execCommands.length;
    await backupInto('shown', { RESTIC_COMPRESSION: 'off' });
    expect((await refusedRun()).exitCode).toBe(122);
    const commands = execCommands.slice(from);
    expect(commands.length).toBeGreaterThanOrEqual(3);
    for (const command of commands) {
      expect(command.slice(0, 3)).toEqual(['node', '/app/src/backup/engine-launch.ts', 'restic']);
      for (const secret of secrets) expect(command.join(' ')).not.toContain(secret);
    }
    for (const r of fake.requests) {
      for (const secret of secrets) expect(`${r.path}?${r.query} ${r.body}`).not.toContain(secret);
    }
    for (const stored of fake.store.list(resourceByName('pods'), 'default')) {
      const shown = JSON.stringify(stored);
      for (const secret of [s3Key, password, 'RESTIC_REPOSITORY']) {
        expect(shown).not.toContain(secret);
      }
    }
    const containers = await docker.listContainers({
      filters: { label: [`pes.test.run=${runId}`] },
    });
    expect(containers.length).toBeGreaterThan(0);
    for (const c of containers) {
      const shown = JSON.stringify(await docker.getContainer(c.Id).inspect());
      for (const secret of [s3Key, password, 'RESTIC_REPOSITORY']) {
        expect(shown).not.toContain(secret);
      }
    }
  });

  it("hands the stall watch to the launcher, which can stop an exec'd engine", () => {
    const { argv } = claimLaunch(
      restic(['backup', '--json', '.']),
      { cluster: 'lab' },
      {
        ms: 300_000,
        isProgress: resticProgressWatch(),
        killGraceMs: 5000,
      },
    );
    expect(argv.slice(0, 4)).toEqual([
      'node',
      '/app/src/backup/engine-launch.ts',
      '--stall=300000,5000',
      'restic',
    ]);
  });
});
