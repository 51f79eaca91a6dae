/**
 * A catalog that mixes Docker and Kubernetes, through the real `pes` entry point: a Compose
 * service on the test Docker engine and a Deployment on the fake API server
 * (test/fakes/kubernetes). The same commands reach either platform by the service's
 * `platform`, and a Docker-only catalog does not load the cluster code's clients at all.
 */
import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPes, tempWorkdir } from '../helpers/cli.ts';
import { DockerTestBed } from '../helpers/docker.ts';
import { startFakeKubernetes, type FakeKubernetes } from '../fakes/kubernetes/index.ts';
import { call } from '../fakes/kubernetes/test-client.ts';

interface StatusJson {
  status: string;
  data: {
    services: {
      service: string;
      state: string;
      containers: { name: string; state: string }[];
      workload?: { kind: string; name: string; replicas: Record<string, number> };
      pods?: { name: string; phase: string; ready: boolean; images: { image: string }[] }[];
    }[];
  };
}

const bed = new DockerTestBed();
let fake: FakeKubernetes;
let mixed: { dir: string; config: string };
let broken: { dir: string; config: string };
const env = () => ({
  DOCKER_HOST: process.env['DOCKER_HOST'],
  PES_TEST_BACKUP_PASSWORD: 'not-used-by-these-tests',
});

function pes(workdir: { dir: string; config: string }, ...args: string[]) {
  return runPes(['--config', workdir.config, ...args], { cwd: workdir.dir, env: env() });
}

async function imageOnCluster(): Promise<unknown> {
  const reply = await call(fake, 'GET', '/apis/apps/v1/namespaces/lms/deployments/moodle');
  const spec = (reply.json as { spec: { replicas: number; template: unknown } }).spec;
  const template = spec.template as { spec: { containers: { image: string }[] } };
  return { replicas: spec.replicas, image: template.spec.containers[0]?.image };
}

function config(kubeconfig: string, project: string): string {
  return `
state: { path: state/pes.db }
clusters:
  lab: { kubeconfig: ${kubeconfig}, context: pes@lab }
services:
  files:
    containers: { compose: { project: ${project}, service: files } }
  moodle:
    platform: kubernetes
    cluster: lab
    namespace: lms
    workload: { kind: Deployment, name: moodle }
    scale: { min: 1, max: 3 }
    health: { timeoutSeconds: 60 }
roles:
  admin: { members: ['local:@me'], commands: ['*'] }
backup:
  engine: restic
  repository: ${join(tmpdir(), 'pes-k8s-wiring-repo-never-created')}
  password: '\${PES_TEST_BACKUP_PASSWORD}'
`;
}

beforeAll(async () => {
  fake = await startFakeKubernetes({ namespaces: ['lms'] });
  const created = await call(fake, 'POST', '/apis/apps/v1/namespaces/lms/deployments', {
    body: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'moodle' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'moodle' } },
        template: {
          metadata: { labels: { app: 'moodle' } },
          spec: { containers: [{ name: 'app', image: 'registry.test/moodle:4.5.1' }] },
        },
      },
    },
  });
  expect(created.status).toBe(201);
  const project = bed.project('pes');
  await bed.createContainer({
    name: bed.containerName('files-1'),
    compose: { project, service: 'files', number: 1 },
  });
  mixed = tempWorkdir(config(await fake.kubeconfigPath('pes@lab'), project));
  // The same catalog, its cluster's API server address pointing nowhere.
  const dead = await startFakeKubernetes({ namespaces: ['lms'] });
  broken = tempWorkdir('');
  // The fake removes its own files on close; the copy outlives it.
  const deadConfig = join(broken.dir, 'kubeconfig.yaml');
  copyFileSync(await dead.kubeconfigPath('pes@lab'), deadConfig);
  await dead.close();
  writeFileSync(broken.config, config(deadConfig, project));
});

afterAll(async () => {
  await bed.cleanup();
  expect(fake.controllerErrors).toEqual([]);
  await fake.close();
});

describe('a mixed Docker and Kubernetes catalog through pes', () => {
  it('lists both services in one status', async () => {
    // The first rollout may still be on its way: wait until the pod is ready.
    await expect
      .poll(
        async () => {
          const r = await pes(mixed, 'status', 'moodle', '--json');
          return (JSON.parse(r.stdout) as StatusJson).data.services[0]?.state;
        },
        { timeout: 30_000, interval: 200 },
      )
      .toBe('up');
    const r = await pes(mixed, 'status', '--json');
    expect(r.code, r.stderr).toBe(0);
    const services = new Map(
      (JSON.parse(r.stdout) as StatusJson).data.services.map((s) => [s.service, s]),
    );
    expect(services.get('files')?.state).toBe('up');
    expect(services.get('files')?.containers.map((c) => c.name)).toEqual([
      bed.containerName('files-1'),
    ]);
    const moodle = services.get('moodle');
    expect(moodle?.state).toBe('up');
    expect(moodle?.workload).toMatchObject({
      kind: 'Deployment',
      name: 'moodle',
      replicas: { desired: 1, updated: 1, ready: 1, available: 1 },
    });
    expect(moodle?.pods?.map((p) => [p.phase, p.ready, p.images[0]?.image])).toEqual([
      ['Running', true, 'registry.test/moodle:4.5.1'],
    ]);
  });

  it('renders the pods and the replicas next to the containers, in Russian by default', async () => {
    const r = await pes(mixed, 'status');
    expect(r.code, r.stderr).toBe(0);
    // The Docker service reads as before.
    expect(r.stdout).toContain('🟢 files — работает (1 из 1 контейнера работает)');
    expect(r.stdout).toContain('🟢 moodle — работает (1 из 1 пода готов)');
    expect(r.stdout).toContain(
      'Deployment moodle: реплик нужно 1, обновлено 1, готово 1, доступно 1; выкатка завершена',
    );
    expect(r.stdout).toMatch(
      /moodle\s+moodle-[a-z0-9]+-[a-z0-9]+ @ \S+\s+Running\s+готов\s+registry\.test\/moodle:4\.5\.1\s+\d+ с\s+0/,
    );
    expect(r.stdout).toMatch(
      new RegExp(`files\\s+${bed.containerName('files-1')}\\s+работает\\s+—\\s+pes-test/`),
    );
  });

  it('scales the Deployment through the cluster', async () => {
    const r = await pes(mixed, 'scale', 'moodle', '2', '--lang', 'en');
    expect(r.code, r.stderr).toBe(0);
    expect(await imageOnCluster()).toEqual({ replicas: 2, image: 'registry.test/moodle:4.5.1' });
    const status = await pes(mixed, 'status', 'moodle', '--json');
    const moodle = (JSON.parse(status.stdout) as StatusJson).data.services[0];
    expect(moodle?.workload?.replicas).toMatchObject({ desired: 2, ready: 2 });
  });

  it('updates the image, then rolls it back on demand', async () => {
    const r = await pes(mixed, 'update', 'moodle', '4.5.2', '--yes', '--lang', 'en');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('moodle updated');
    expect(r.stdout).toContain('registry.test/moodle:4.5.2');
    expect(await imageOnCluster()).toEqual({ replicas: 2, image: 'registry.test/moodle:4.5.2' });

    const plan = await pes(mixed, 'rollback', 'moodle', '--dry-run', '--lang', 'en');
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('registry.test/moodle:4.5.1');
    expect(await imageOnCluster()).toEqual({ replicas: 2, image: 'registry.test/moodle:4.5.2' });

    const back = await pes(mixed, 'rollback', 'moodle', '--yes', '--lang', 'en');
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout).toContain('moodle rolled back');
    expect(await imageOnCluster()).toEqual({ replicas: 2, image: 'registry.test/moodle:4.5.1' });
  });

  it('restarts the Deployment the way kubectl rollout restart does', async () => {
    const r = await pes(mixed, 'restart', 'moodle', '--yes', '--lang', 'en');
    expect(r.code, r.stderr).toBe(0);
    const reply = await call(fake, 'GET', '/apis/apps/v1/namespaces/lms/deployments/moodle');
    const template = (
      reply.json as { spec: { template: { metadata: { annotations?: Record<string, string> } } } }
    ).spec.template;
    expect(template.metadata.annotations?.['kubectl.kubernetes.io/restartedAt']).toMatch(
      /^\d{4}-\d\d-\d\dT/,
    );
  });

  it('keeps the logs verb on the cluster too', async () => {
    const r = await pes(mixed, 'logs', 'moodle', '--lang', 'en');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('app started (registry.test/moodle:4.5.1)');
  });

  it('refuses a backup of the service on the cluster with one line, touching nothing', async () => {
    const r = await pes(mixed, 'backup', 'moodle', '--lang', 'en');
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('✖ Not supported on Kubernetes yet: backup.');
    expect(existsSync(join(tmpdir(), 'pes-k8s-wiring-repo-never-created'))).toBe(false);
    const ru = await pes(mixed, 'backup', 'moodle');
    expect(ru.code).toBe(2);
    expect(ru.stderr).toContain('В Kubernetes пока не поддерживается: backup.');
  });

  it('pes doctor checks only the Docker services against the engine', async () => {
    const r = await pes(mixed, 'doctor', '--lang', 'en');
    expect(r.stdout + r.stderr).toContain('Service files');
    expect(r.stdout + r.stderr).not.toContain('Service moodle');
  });

  it('a cluster that does not answer fails its own service only', async () => {
    const docker = await pes(broken, 'status', 'files', '--json');
    expect(docker.code, docker.stderr).toBe(0);
    const help = await pes(broken, 'help');
    expect(help.code, help.stderr).toBe(0);
    // The whole catalog: the Docker service as usual, the cluster's in one line.
    const all = await pes(broken, 'status', '--lang', 'en');
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toContain('🟢 files — up (1 of 1 container running)');
    expect(all.stdout).toMatch(
      /🔴 moodle — status unavailable: The API server of cluster lab does not answer \(.+\); nothing was changed\./,
    );
    const k8s = await pes(broken, 'status', 'moodle', '--lang', 'en');
    expect(k8s.code).toBe(1);
    expect(k8s.stderr).toContain('The API server of cluster lab does not answer');
    expect(k8s.stderr.trim().split('\n')[0]).not.toMatch(/at .*\.ts:\d+/);
  });
});
