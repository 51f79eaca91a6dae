/**
 * KubernetesPort and ClusterPorts against the fake API server: catalog services reach their
 * cluster's platform, `rollback` plans and applies the undo of the last rollout, and every
 * verb the cluster does not do yet is refused with its one line, changing nothing.
 */
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterConfig } from '../../../src/config/kubernetes.ts';
import type { ServiceDefinition } from '../../../src/core/catalog.ts';
import { isUserError } from '../../../src/core/errors.ts';
import { localize } from '../../../src/core/i18n.ts';
import { errorTexts } from '../../../src/core/error-texts.ts';
import type { Platform, WorkloadSpec } from '../../../src/core/platform.ts';
import { ClusterPorts } from '../../../src/platforms/kubernetes/cluster-ports.ts';
import { startFakeKubernetes, type FakeKubernetes } from '../../fakes/kubernetes/index.ts';
import { call } from '../../fakes/kubernetes/test-client.ts';

let fake: FakeKubernetes;
let ports: ClusterPorts;

const moodle: ServiceDefinition = {
  name: 'moodle',
  platform: 'kubernetes',
  containers: {},
  scale: { min: 1, max: 3 },
  health: { minRunning: 1, timeoutSeconds: 60 },
  volumes: [],
  databases: [],
  kubernetes: {
    cluster: 'lab',
    namespace: 'lms',
    workload: { kind: 'Deployment', name: 'moodle' },
  },
};

const spec: WorkloadSpec = {
  name: 'files',
  template: 'nextcloud',
  image: 'nextcloud:30',
  env: {},
  command: undefined,
  volumes: [],
  labels: {},
  healthcheck: undefined,
  network: 'none',
  stopTimeoutSeconds: 10,
};

async function imageOnCluster(): Promise<string | undefined> {
  const reply = await call(fake, 'GET', '/apis/apps/v1/namespaces/lms/deployments/moodle');
  const d = reply.json as { spec: { template: { spec: { containers: { image: string }[] } } } };
  return d.spec.template.spec.containers[0]?.image;
}

async function refusal(
  run: () => Promise<unknown>,
): Promise<{ code: string; ru: string; en: string }> {
  const error = await run().then(
    () => expect.fail('expected a refusal'),
    (e: unknown) => e,
  );
  if (!isUserError(error)) throw error;
  const text = errorTexts[error.code].message;
  return {
    code: error.code,
    ru: localize(text, 'ru', error.params),
    en: localize(text, 'en', error.params),
  };
}

beforeAll(async () => {
  fake = await startFakeKubernetes({ namespaces: ['lms'] });
  const kubeconfig = await fake.kubeconfigPath('pes@lab');
  const clusters = new Map<string, ClusterConfig>([
    ['lab', { name: 'lab', source: 'kubeconfig', kubeconfig, context: 'pes@lab' }],
    // Never used: a broken cluster must not matter to the services of another.
    ['gone', { name: 'gone', source: 'kubeconfig', kubeconfig: '/nonexistent', context: 'x' }],
  ]);
  ports = new ClusterPorts(clusters);
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
});

afterAll(async () => {
  expect(fake.controllerErrors).toEqual([]);
  await fake.close();
});

describe('a catalog service on a cluster', () => {
  it('gets one platform per cluster, the same one each time', () => {
    const platform = ports.for(moodle);
    expect(platform.name).toBe('kubernetes');
    expect(ports.for({ ...moodle, name: 'other' })).toBe(platform);
  });

  it('has nothing to roll back before its first update', async () => {
    const r = await refusal(() => ports.for(moodle).planUpdate(moodle, { kind: 'previous' }));
    expect(r.code).toBe('kubernetes-no-rollout-history');
  });

  it('plans a rollback as the images the undo brings back, and applies it', async () => {
    const platform: Platform = ports.for(moodle);
    const update = await platform.planUpdate(moodle, { kind: 'tag', tag: '4.5.2' });
    await platform.update(moodle, update, () => undefined);
    expect(await imageOnCluster()).toBe('registry.test/moodle:4.5.2');

    const plan = await platform.planUpdate(moodle, { kind: 'previous' });
    expect(plan.changes).toEqual([
      {
        container: 'app',
        from: { reference: 'registry.test/moodle:4.5.2', id: '' },
        to: { reference: 'registry.test/moodle:4.5.1', id: undefined },
      },
    ]);
    // Planning changed nothing.
    expect(await imageOnCluster()).toBe('registry.test/moodle:4.5.2');
    const reports = await platform.update(moodle, plan, () => undefined);
    expect(reports.map((r) => r.action)).toEqual(['rolled-back']);
    expect(await imageOnCluster()).toBe('registry.test/moodle:4.5.1');
  });

  it('refuses every verb the cluster does not do yet, in both languages, changing nothing', async () => {
    const platform = ports.for(moodle);
    const writes = fake.requests.filter((r) => r.method !== 'GET').length;
    const stdout = new PassThrough();
    const cases: [() => Promise<unknown>, string][] = [
      [() => platform.planProvision(spec), 'provision files'],
      [() => platform.provision(spec, () => undefined), 'provision files'],
      [() => platform.planDeprovision('files', false), 'deprovision files'],
      [() => platform.readVolume('moodle-data'), 'backup of volume moodle-data'],
      [
        () => platform.writeVolume('moodle-data', new PassThrough()),
        'restore of volume moodle-data',
      ],
      // Without claim settings for the cluster, volumes are not reached (claim-backup.test.ts).
      [() => platform.createScratchVolume({}), 'scratch volume for a restore drill'],
      [() => platform.removeVolume('moodle-data'), 'removal of volume moodle-data'],
    ];
    for (const [run, verb] of cases) {
      const r = await refusal(run);
      expect(r).toEqual({
        code: 'kubernetes-not-supported',
        ru: `В Kubernetes пока не поддерживается: ${verb}.`,
        en: `Not supported on Kubernetes yet: ${verb}.`,
      });
    }
    // exec runs on a cluster (exec.test.ts); a target that is not <namespace>/<pod> is one
    // line, and its output is closed as after a failed run.
    expect(await refusal(() => platform.exec('app', ['true'], { stdout }))).toMatchObject({
      code: 'kubernetes-exec-target',
    });
    expect(stdout.destroyed).toBe(true);
    expect(fake.requests.filter((r) => r.method !== 'GET').length).toBe(writes);
  });
});
