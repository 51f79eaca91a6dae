/**
 * `pes serve` with a Matrix room and a service on a cluster (the fake API server of
 * test/fakes/kubernetes): `!pes status` in the room is answered from the cluster, with the
 * workload's replicas and its pods, beside a Docker service whose engine cannot be reached.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeKubernetes, type FakeKubernetes } from '../fakes/kubernetes/index.ts';
import { call } from '../fakes/kubernetes/test-client.ts';
import { FakeHomeserver } from '../fakes/matrix/index.ts';
import { tempWorkdir } from '../helpers/cli.ts';
import { freePort, startServe } from '../helpers/serve.ts';
import { waitFor } from '../helpers/wait.ts';

let hs: FakeHomeserver;
let kube: FakeKubernetes;

/** A whole process starting a homeserver client: more time than the default. */
const waitLong = (check: () => boolean, what: string): Promise<void> =>
  waitFor(check, what, 15_000);

beforeAll(async () => {
  hs = await new FakeHomeserver().start();
  kube = await startFakeKubernetes({ namespaces: ['lms'] });
  const created = await call(kube, 'POST', '/apis/apps/v1/namespaces/lms/deployments', {
    body: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'moodle' },
      spec: {
        replicas: 2,
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
  await hs.close();
  expect(kube.controllerErrors).toEqual([]);
  await kube.close();
});

describe('pes serve with matrix and a cluster', () => {
  it('answers status of a service on the cluster in the room', async () => {
    const bot = hs.addUser('pes');
    const anna = hs.addUser('anna');
    const ops = hs.createRoom(anna, { name: 'ops', members: [bot] });
    const w = tempWorkdir(`
locale: en
state: { path: state/pes.db }
docker: { host: 'unix:///nonexistent/pes/docker.sock' }
clusters:
  lab: { kubeconfig: ${await kube.kubeconfigPath('pes@lab')} }
services:
  files:
    containers: { compose: { project: pes, service: files } }
  moodle:
    platform: kubernetes
    cluster: lab
    namespace: lms
    workload: { kind: Deployment, name: moodle }
    scale: { min: 1, max: 3 }
roles:
  admin: { members: ['matrix:${anna.userId}'], commands: ['*'] }
matrix:
  homeserverUrl: ${hs.url}
  userId: '${bot.userId}'
  accessToken: '\${PES_MATRIX_TOKEN}'
  deviceId: '\${PES_MATRIX_DEVICE}'
  allowedInviters: ['${anna.userId}']
`);
    const { child, output, exited } = startServe(w, {
      PES_PORT: String(await freePort()),
      PES_MATRIX_TOKEN: bot.accessToken,
      PES_MATRIX_DEVICE: bot.deviceId,
    });
    const answers = (): string[] => hs.messagesBy(ops, bot).map((e) => String(e.content['body']));
    try {
      await waitLong(() => output().includes('listening'), 'the server to listen');
      // Events from before the first sync are history, not commands: wait for it.
      await waitLong(() => output().includes('matrix sync ready'), 'the first sync');
      hs.say(anna, ops, '!pes status moodle');
      await waitLong(
        () => answers().some((a) => a.includes('Deployment moodle')),
        'the status of moodle',
      );
      const answer = answers().find((a) => a.includes('Deployment moodle')) ?? '';
      expect(answer).toMatch(/moodle — (up|degraded|down)/);
      expect(answer).toMatch(
        /Deployment moodle: replicas 2 desired, \d updated, \d ready, \d available; rollout /,
      );
      expect(answer).toMatch(/moodle-[a-z0-9]+-[a-z0-9]+ @ \S+\s+(Running|Pending)/);
      expect(answer).toContain('registry.test/moodle:4.5.1');
      // The Docker service's engine is away; the cluster's service still answered.
      hs.say(anna, ops, '!pes status files');
      await waitLong(
        () => answers().some((a) => /Docker/i.test(a) && !a.includes('Deployment')),
        'the Docker service refused on its own',
      );
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(output()).not.toContain(bot.accessToken);
  });
});
