/**
 * Provisioning on a cluster at the port, against the fake API server with its in-memory
 * kubelet: applying the same objects again changes nothing and kubectl 1.33 agrees with
 * what the bot applied; bad input (a name that is not DNS-1123, a namespace that does not
 * exist, a verb the account may not use) is one line with nothing stored; a rollout that
 * never becomes ready, is cancelled or stops on a bug takes back what it created and only
 * that (never an object someone else made under one of its names), saying what was deleted
 * and what is left; the README's provisioning Role is enough on its own; and update and scale
 * plans ask the server with dryRun=All.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { ClusterConfig } from '../../../src/config/kubernetes.ts';
import type { ServiceDefinition } from '../../../src/core/catalog.ts';
import { isUserError, type UserError } from '../../../src/core/errors.ts';
import type { Platform, WorkloadSpec } from '../../../src/core/platform.ts';
import { ClusterPorts } from '../../../src/platforms/kubernetes/cluster-ports.ts';
import { ClusterClients } from '../../../src/platforms/kubernetes/client.ts';
import { provisionOn } from '../../../src/platforms/kubernetes/provision-route.ts';
import { DirectoryTemplateCatalog } from '../../../src/provision/templates.ts';
import { createTestBot, fakePlatform } from '../../helpers/bot.ts';
import {
  applyObject,
  listObjects,
  readObject,
} from '../../../src/platforms/kubernetes/provision-api.ts';
import {
  instanceSelector,
  provisionObjects,
} from '../../../src/platforms/kubernetes/provision-objects.ts';
import { ownLabels } from '../../../src/platforms/docker/provision-lookup.ts';
import { kubectl } from '../../helpers/kubectl.ts';
import {
  ALLOW_ALL,
  resourceByName,
  startFakeKubernetes,
  type FakeKubernetes,
  type Rule,
} from '../../fakes/kubernetes/index.ts';
import { at, str, type JsonObject } from '../../fakes/kubernetes/json.ts';
import { recordUpdate } from '../../fakes/kubernetes/managed-fields.ts';
import { call } from '../../fakes/kubernetes/test-client.ts';

const ns = 'apps';
let fake: FakeKubernetes;
let kubeconfig: string;
let clusters: Map<string, ClusterConfig>;

function spec(name: string, image = 'registry.test/files:1'): WorkloadSpec {
  return {
    name,
    template: 'files',
    image,
    env: { FILES_PASSWORD: 'pw-0123456789', GREETING: 'hello' },
    command: ['serve', '/data'],
    volumes: [{ name: `${name}-data`, target: '/data' }],
    labels: { 'org.opencontainers.image.title': 'Files server' },
    healthcheck: {
      test: ['/health'],
      intervalSeconds: 1,
      timeoutSeconds: 1,
      retries: 1,
      startPeriodSeconds: 0,
    },
    network: 'none',
    stopTimeoutSeconds: 5,
  };
}

function port(namespace = ns): Platform {
  const ports = new ClusterPorts(clusters, {}, { cluster: 'lab', namespace });
  const found = ports.provisioning();
  if (found === undefined) throw new Error('no provisioning port');
  return found;
}

async function refusal(run: Promise<unknown>): Promise<UserError> {
  const error = await run.then(
    () => expect.fail('expected a refusal'),
    (e: unknown) => e,
  );
  if (!isUserError(error)) throw error;
  return error;
}

/** Every stored version of the namespace's objects: a change anywhere shows. */
function versions(): string {
  const kinds = ['deployments', 'services', 'secrets', 'persistentvolumeclaims', 'pods'];
  return JSON.stringify(
    kinds.flatMap((k) =>
      fake.store
        .list(resourceByName(k), ns)
        .map((o) => [k, str(at(o, 'metadata', 'name')), str(at(o, 'metadata', 'resourceVersion'))]),
    ),
  );
}

beforeAll(async () => {
  fake = await startFakeKubernetes({ timeScale: 100, namespaces: [ns, 'lms'] });
  kubeconfig = await fake.kubeconfigPath('pes@lab');
  clusters = new Map([
    ['lab', { name: 'lab', source: 'kubeconfig', kubeconfig, context: 'pes@lab' }],
  ]);
});

afterAll(async () => {
  expect(fake.controllerErrors).toEqual([]);
  await fake.close();
});

describe('provision at the port (in-memory kubelet)', () => {
  it('labels everything as Docker does, plus the recommended labels', () => {
    for (const o of provisionObjects(spec('files'), ns)) {
      const labels = (o.body.metadata as { labels: Record<string, string> }).labels;
      expect(labels).toMatchObject(ownLabels('files', 'files'));
      expect(labels['app.kubernetes.io/managed-by']).toBe('pes-bot');
    }
  });

  it('applies, and applying the same objects again changes nothing; kubectl agrees', async () => {
    const platform = port();
    const reports = await platform.provision(spec('files'), () => undefined);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ action: 'created', health: 'healthy' });
    const before = versions();

    // The bot's own apply, again: every object keeps its resourceVersion.
    const clients = await new ClusterClients(clusters).get('lab');
    for (const object of provisionObjects(spec('files'), ns)) {
      await applyObject(clients, { cluster: 'lab', namespace: ns }, object, { dryRun: false });
    }
    expect(versions()).toBe(before);

    // kubectl with the same field manager and the same manifests: nothing to change either.
    const manifests = provisionObjects(spec('files'), ns)
      .map((o) => stringify(o.body))
      .join('---\n');
    const applied = await kubectl(
      kubeconfig,
      ['apply', '--server-side', '--field-manager=pes-bot', '-f', '-'],
      manifests,
    );
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    expect(versions()).toBe(before);

    // kubectl get shows what the bot applied, labels and all.
    const got = await kubectl(kubeconfig, ['get', 'deploy,svc,secret,pvc', '-n', ns, '-o', 'json']);
    const items = (
      JSON.parse(got.stdout) as {
        items: { kind: string; metadata: { name: string; labels: Record<string, string> } }[];
      }
    ).items;
    expect(items.map((i) => `${i.kind}/${i.metadata.name}`).sort()).toEqual([
      'Deployment/files',
      'PersistentVolumeClaim/files-data',
      'Secret/files-env',
      'Service/files',
    ]);
    for (const i of items) expect(i.metadata.labels['pes.bot/instance']).toBe('files');

    // Another manager changing a field the bot owns is a conflict, as on a real cluster.
    const deployment = provisionObjects(spec('files'), ns).find((o) => o.kind === 'Deployment');
    const other = await kubectl(
      kubeconfig,
      ['apply', '--server-side', '-f', '-'],
      stringify(deployment?.body).replace('registry.test/files:1', 'registry.test/files:2'),
    );
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('conflict with "pes-bot"');
    expect(other.stderr).toContain('.spec.template.spec.containers[name="files"].image');
    expect(versions()).toBe(before);

    const plan = await platform.planDeprovision('files', true);
    expect(plan).toEqual({
      instance: 'files',
      containers: ['deployment/files', 'service/files', 'secret/files-env'],
      volumes: ['files-data'],
      deleteData: true,
      units: 'cluster',
    });
    await platform.deprovision(plan, () => undefined);
    expect(versions()).toBe('[]');
  });

  it('reads and lists metadata only: a Secret’s values never reach the bot', async () => {
    const platform = port();
    await platform.provision(spec('notes'), () => undefined);
    const clients = await new ClusterClients(clusters).get('lab');
    const place = { cluster: 'lab', namespace: ns };
    const read = await readObject(clients, place, 'Secret', 'notes-env');
    const listed = await listObjects(clients, place, 'Secret', instanceSelector('notes'));
    for (const secret of [read, ...listed]) {
      expect(secret?.metadata.labels?.['pes.bot/instance']).toBe('notes');
      expect(JSON.stringify(secret)).not.toContain(Buffer.from('pw-0123456789').toString('base64'));
      expect(secret).not.toHaveProperty('data');
    }
    expect(listed).toHaveLength(1);
    // What is taken and what is the bot's is still told from the metadata alone.
    expect(await platform.planDeprovision('notes', true)).toMatchObject({
      containers: ['deployment/notes', 'service/notes', 'secret/notes-env'],
      volumes: ['notes-data'],
    });
    const taken = await refusal(platform.planProvision(spec('notes')));
    expect(taken.code).toBe('kubernetes-provision-exists');
    await platform.deprovision(await platform.planDeprovision('notes', true), () => undefined);
    expect(await readObject(clients, place, 'Secret', 'notes-env')).toBeUndefined();
  });

  it('a name that is not DNS-1123: the server says so (422) in one line, nothing stored', async () => {
    const before = versions();
    const error = await refusal(port().planProvision(spec('files-')));
    expect(error.code).toBe('kubernetes-api-error');
    expect(error.text('en')).toMatch(
      /^Cluster lab answered 422 Invalid: Service "files-" is invalid: metadata\.name: Invalid value: "files-": a DNS-1035 label/,
    );
    expect(error.text('en')).not.toContain('\n');
    expect(
      fake.requests.filter((r) => r.status === 422).every((r) => r.query.includes('dryRun=All')),
    ).toBe(true);
    expect(versions()).toBe(before);
  });

  it('a namespace that does not exist: one line, nothing stored', async () => {
    const before = versions();
    const error = await refusal(port('nowhere').provision(spec('files'), () => undefined));
    expect(error.text('en')).toBe(
      'Cluster lab answered 404 NotFound: namespaces "nowhere" not found',
    );
    expect(versions()).toBe(before);
  });

  it('a verb the account may not use: the grant in one line, nothing stored', async () => {
    const before = versions();
    // Everything but create: an apply that creates is authorized as create too.
    fake.setRules([
      {
        apiGroups: ['', 'apps'],
        resources: ['*'],
        verbs: ['get', 'list', 'watch', 'patch', 'delete'],
      },
      {
        apiGroups: ['authorization.k8s.io'],
        resources: ['selfsubjectaccessreviews'],
        verbs: ['create'],
      },
    ]);
    try {
      const error = await refusal(port().provision(spec('files'), () => undefined));
      expect(error.text('en')).toBe(
        "The bot's account may not create secrets in namespace apps: grant verb create on secrets.",
      );
    } finally {
      fake.setRules(ALLOW_ALL);
    }
    expect(versions()).toBe(before);
  });

  it('takes back what it applied when the pod never becomes ready', async () => {
    const before = versions();
    const error = await refusal(
      port().provision(spec('files', 'registry.test/broken:1'), () => undefined),
    );
    expect(error.code).toBe('kubernetes-provision-failed');
    expect(error.text('en')).toBe(
      `Provisioning files failed: ${error.params['firstEn']} What this run created was deleted: deployment/files, service/files, persistentvolumeclaim/files-data, secret/files-env.`,
    );
    expect(String(error.params['firstEn'])).toContain('the image cannot be pulled');
    expect(versions()).toBe(before);
  });

  it('a claim someone else made after the plan is theirs: never deleted, never named as deleted', async () => {
    const before = versions();
    const claims = resourceByName('persistentvolumeclaims');
    const from = fake.requests.length;
    let theirs: JsonObject | undefined;
    let secretUid: string | undefined;
    // Just before the bot applies its claim (the plan found the name free), someone makes one,
    // as `kubectl create` would: its own manager owns its fields, so the apply conflicts.
    const onStep = (step: { container: string; phase: string }): void => {
      if (step.phase !== 'creating' || step.container !== 'persistentvolumeclaim/files-data')
        return;
      const secret = fake.store.get(resourceByName('secrets'), ns, 'files-env');
      secretUid = str(at(secret, 'metadata', 'uid'));
      const body: JsonObject = {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: 'files-data' },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } } },
      };
      recordUpdate(undefined, body, 'kubectl-create', '', fake.clock.now());
      theirs = fake.store.create(claims, ns, body);
    };
    const error = await refusal(port().provision(spec('files'), onStep));
    expect(error.code).toBe('kubernetes-provision-failed');
    expect(String(error.params['firstEn'])).toMatch(/^Cluster lab answered 409 Conflict: /);
    expect(error.text('en')).toBe(
      `Provisioning files failed: ${error.params['firstEn']} What this run created was deleted: secret/files-env.`,
    );
    // Their claim is untouched: the same object, never sent a delete.
    const claim = fake.store.get(claims, ns, 'files-data');
    expect(at(claim, 'metadata', 'uid')).toBe(at(theirs, 'metadata', 'uid'));
    expect(at(claim, 'metadata', 'resourceVersion')).toBe(
      at(theirs, 'metadata', 'resourceVersion'),
    );
    const deletes = fake.requests.slice(from).filter((r) => r.method === 'DELETE');
    expect(deletes.map((r) => r.path)).toEqual([`/api/v1/namespaces/${ns}/secrets/files-env`]);
    // The Secret it did make went with its own uid as the precondition.
    const options = JSON.parse(deletes[0]?.body ?? '{}') as JsonObject;
    expect(secretUid).toMatch(/./);
    expect(at(options, 'preconditions', 'uid')).toBe(secretUid);
    fake.store.delete(claims, ns, 'files-data');
    expect(versions()).toBe(before);
  });

  it('an object made after the plan that takes the apply without a conflict is still not the bot’s', async () => {
    const before = versions();
    const services = resourceByName('services');
    let theirs: JsonObject | undefined;
    // The same headless Service as the bot's, made by someone else just before its apply:
    // no field differs, so the apply merges into it (200, not 201).
    const onStep = (step: { container: string; phase: string }): void => {
      if (step.phase !== 'creating' || step.container !== 'service/files') return;
      const body: JsonObject = {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'files' },
        spec: {
          clusterIP: 'None',
          selector: { 'app.kubernetes.io/instance': 'files', 'pes.bot/instance': 'files' },
        },
      };
      recordUpdate(undefined, body, 'kubectl-create', '', fake.clock.now());
      theirs = fake.store.create(services, ns, body);
    };
    const error = await refusal(port().provision(spec('files'), onStep));
    expect(error.text('en')).toBe(
      'Provisioning files failed: service/files appeared in namespace apps after the names were checked and was not created by this run: the bot’s apply went to it, but it is not deleted. What this run created was deleted: persistentvolumeclaim/files-data, secret/files-env.',
    );
    expect(at(fake.store.get(services, ns, 'files'), 'metadata', 'uid')).toBe(
      at(theirs, 'metadata', 'uid'),
    );
    fake.store.delete(services, ns, 'files');
    expect(versions()).toBe(before);
  });

  it('an apply refused after the plan: nothing made, nothing named as deleted', async () => {
    const before = versions();
    const from = fake.requests.length;
    // Between the plan and the apply, the account loses create on secrets.
    const onStep = (step: { container: string; phase: string }): void => {
      if (step.phase === 'creating' && step.container === 'secret/files-env') {
        fake.setRules([
          { apiGroups: ['', 'apps'], resources: ['*'], verbs: ['get', 'list', 'watch', 'delete'] },
        ]);
      }
    };
    try {
      const error = await refusal(port().provision(spec('files'), onStep));
      expect(error.code).toBe('kubernetes-provision-nothing-made');
      expect(error.text('en')).toBe(
        `Provisioning files failed: ${error.params['firstEn']} This run created nothing.`,
      );
      expect(String(error.params['firstEn'])).toBe(
        "The bot's account may not patch secrets in namespace apps: grant verb patch on secrets.",
      );
    } finally {
      fake.setRules(ALLOW_ALL);
    }
    expect(fake.requests.slice(from).filter((r) => r.method === 'DELETE')).toEqual([]);
    expect(versions()).toBe(before);
  });

  it('an object of the same name made after the bot’s own was deleted by someone: left alone', async () => {
    const before = versions();
    const services = resourceByName('services');
    let replacement: JsonObject | undefined;
    // Once the rollout is being waited for, someone deletes the bot's Service and makes their
    // own under that name; then the run is stopped by a failing step reporter (a bug).
    const onStep = (step: { container: string; phase: string }): void => {
      if (step.phase !== 'waiting' || replacement !== undefined) return;
      fake.store.delete(services, ns, 'files');
      const body: JsonObject = {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'files' },
        spec: { clusterIP: 'None', selector: { app: 'theirs' } },
      };
      recordUpdate(undefined, body, 'kubectl-create', '', fake.clock.now());
      replacement = fake.store.create(services, ns, body);
      throw new TypeError('the reporter broke');
    };
    const error = await refusal(port().provision(spec('files'), onStep));
    expect(error.code).toBe('kubernetes-provision-failed');
    // The bug stays the cause; the person is told what became of what was made.
    expect(error.cause).toBeInstanceOf(TypeError);
    expect(error.text('en')).toBe(
      'Provisioning files failed: An internal error stopped the run. What this run created was deleted: deployment/files, persistentvolumeclaim/files-data, secret/files-env.',
    );
    expect(at(fake.store.get(services, ns, 'files'), 'metadata', 'uid')).toBe(
      at(replacement, 'metadata', 'uid'),
    );
    fake.store.delete(services, ns, 'files');
    expect(versions()).toBe(before);
  });

  it('a cancel names what was taken back, with the cancel as the cause', async () => {
    const before = versions();
    const controller = new AbortController();
    // The cancel comes while the rollout is waited for: everything has been made by then.
    const onStep = (step: { phase: string }): void => {
      if (step.phase === 'waiting') controller.abort();
    };
    const error = await refusal(
      port().provision(spec('files', 'registry.test/unready:1'), onStep, controller.signal),
    );
    expect(error.cause).toBe(controller.signal.reason);
    expect(error.text('en')).toBe(
      'Provisioning files failed: The run was cancelled. What this run created was deleted: deployment/files, service/files, persistentvolumeclaim/files-data, secret/files-env.',
    );
    expect(error.text('ru')).toBe(
      'Создать files не удалось: Запуск отменён. Созданное этим запуском удалено: deployment/files, service/files, persistentvolumeclaim/files-data, secret/files-env.',
    );
    expect(versions()).toBe(before);
  });
});

describe('a cancel through the bot', () => {
  it('is reported as the account of what was taken back, the job as cancelled', async () => {
    const before = versions();
    const dir = await mkdtemp(join(tmpdir(), 'pes-templates-'));
    // An image the fake's kubelet never makes ready: the rollout is still waited for.
    await writeFile(
      join(dir, 'slow.yaml'),
      [
        'name: slow',
        'description: { ru: медленное, en: slow }',
        'image: registry.test/unready:1',
        "volumes: [{ name: '{{name}}-data', target: /data }]",
        'network: none',
        'stop_timeout: 1',
        '',
      ].join('\n'),
    );
    const t = createTestBot({
      platform: provisionOn(fakePlatform({}), port()),
      templates: new DirectoryTemplateCatalog(dir),
    });
    let cancelled: Promise<unknown> | undefined;
    const outcome = await t.run('local:root', 'provision slow notes', {
      preconfirmed: true,
      sink: {
        progress: (p) => {
          // Once the rollout is being waited for, everything has been made: cancel the job.
          if (cancelled === undefined && (p.text ?? '').startsWith('waiting for')) {
            cancelled = t.run('local:root', `cancel ${p.jobId}`);
          }
        },
      },
    });
    expect((await cancelled) as { status: string }).toMatchObject({ status: 'ok' });
    expect(outcome.errorCode).toBe('kubernetes-provision-failed');
    expect(outcome.message.text).toBe(
      `Provisioning notes failed: Job ${outcome.jobId} was cancelled. What this run created was deleted: deployment/notes, service/notes, persistentvolumeclaim/notes-data.`,
    );
    expect(t.jobs.get(outcome.jobId ?? 0)?.state).toBe('cancelled');
    expect(versions()).toBe(before);
  });
});

describe('the README’s provisioning Role, on its own', () => {
  // As the README shows it and the chart renders it (helm/pes-bot/templates/rbac.yaml).
  const rules: Rule[] = [
    {
      apiGroups: ['apps'],
      resources: ['deployments'],
      verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'],
    },
    { apiGroups: ['apps'], resources: ['replicasets'], verbs: ['list'] },
    {
      apiGroups: [''],
      resources: ['secrets', 'services', 'persistentvolumeclaims'],
      verbs: ['get', 'list', 'create', 'patch', 'delete'],
    },
    { apiGroups: [''], resources: ['pods', 'events'], verbs: ['list'] },
  ].map((r) => ({ ...r, namespaces: [ns] }));
  const basicUser: Rule = {
    apiGroups: ['authorization.k8s.io'],
    resources: ['selfsubjectaccessreviews'],
    verbs: ['create'],
  };

  it('is enough to provision, to name why a provision failed, and to deprovision with --delete-data', async () => {
    const from = fake.requests.length;
    fake.setRules([...rules, basicUser]);
    try {
      const platform = port();
      await platform.provision(spec('wiki'), () => undefined);
      await platform.deprovision(await platform.planDeprovision('wiki', true), () => undefined);
      const error = await refusal(
        platform.provision(spec('wiki', 'registry.test/broken:1'), () => undefined),
      );
      expect(String(error.params['firstEn'])).toContain('the image cannot be pulled');
    } finally {
      fake.setRules(ALLOW_ALL);
    }
    expect(fake.requests.slice(from).filter((r) => r.status === 403)).toEqual([]);
    expect(versions()).toBe('[]');
  });
});

describe('plans of update and scale on a cluster service', () => {
  const web: ServiceDefinition = {
    name: 'web',
    platform: 'kubernetes',
    containers: {},
    scale: { min: 1, max: 4 },
    health: { minRunning: 1, timeoutSeconds: 60 },
    volumes: [],
    databases: [],
    kubernetes: { cluster: 'lab', namespace: 'lms', workload: { kind: 'Deployment', name: 'web' } },
  };
  const path = '/apis/apps/v1/namespaces/lms/deployments/web';

  beforeAll(async () => {
    const created = await call(fake, 'POST', '/apis/apps/v1/namespaces/lms/deployments', {
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'app', image: 'registry.test/web:1' }] },
          },
        },
      },
    });
    expect(created.status).toBe(201);
  });

  /** What a change would touch: the spec and its generation (status moves on its own). */
  const stored = async (): Promise<unknown> => {
    const o = (await call(fake, 'GET', path)).json;
    return [at(o, 'spec'), at(o, 'metadata', 'generation')];
  };

  it('ask the server with dryRun=All and keep nothing', async () => {
    const before = await stored();
    const platform = new ClusterPorts(clusters).for(web);
    const update = await platform.planUpdate(web, { kind: 'tag', tag: '2' });
    expect(update.changes).toEqual([
      {
        container: 'app',
        from: { reference: 'registry.test/web:1', id: '' },
        to: { reference: 'registry.test/web:2', id: undefined },
      },
    ]);
    const scale = await platform.planScale(web, 4);
    expect(scale).toMatchObject({ before: 2, after: 4 });
    const writes = fake.requests.filter((r) => r.method !== 'GET' && r.path.startsWith(path));
    expect(writes.map((r) => [r.method, r.path, r.query.includes('dryRun=All')])).toEqual([
      ['PATCH', path, true],
      ['PUT', `${path}/scale`, true],
    ]);
    expect(await stored()).toEqual(before);
  });

  it('a refusal of the server on the dry run is the one-line grant, nothing changed', async () => {
    const before = await stored();
    fake.setRules([
      { apiGroups: ['', 'apps'], resources: ['*'], verbs: ['get', 'list', 'watch'] },
      {
        apiGroups: ['authorization.k8s.io'],
        resources: ['selfsubjectaccessreviews'],
        verbs: ['create'],
      },
    ]);
    try {
      const platform = new ClusterPorts(clusters).for(web);
      const error = await refusal(platform.planUpdate(web, { kind: 'tag', tag: '3' }));
      expect(error.text('en')).toBe(
        "The bot's account may not patch deployments in namespace lms: grant verb patch on deployments.apps.",
      );
    } finally {
      fake.setRules(ALLOW_ALL);
    }
    expect(await stored()).toEqual(before);
  });
});
