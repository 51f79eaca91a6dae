/**
 * The fake API server's HTTP rules, each as the API reference states it (cited per test):
 * discovery, metadata, Status errors, concurrency, patches, apply, scale, dry run, access.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeKubernetes, type FakeKubernetes } from './index.ts';
import { at, list, type Json } from './json.ts';
import { DEPLOYMENTS, call, deployment } from './test-client.ts';

let fake: FakeKubernetes;
beforeEach(async () => {
  fake = await startFakeKubernetes({ controllers: false });
});
afterEach(async () => {
  await fake.close();
});

const names = (j: Json): Json[] => list(at(j, 'resources')).map((r) => at(r, 'name') ?? null);

describe('discovery (api-concepts: discovery API)', () => {
  it('lists resources with their subresources and the groups', async () => {
    const apps = await call(fake, 'GET', '/apis/apps/v1');
    expect(apps.status).toBe(200);
    expect(names(apps.json)).toEqual(
      expect.arrayContaining([
        'deployments',
        'deployments/scale',
        'deployments/status',
        'statefulsets/scale',
        'controllerrevisions',
      ]),
    );
    const core = await call(fake, 'GET', '/api/v1');
    expect(names(core.json)).toEqual(
      expect.arrayContaining([
        'pods',
        'pods/log',
        'pods/exec',
        'secrets',
        'persistentvolumeclaims',
      ]),
    );
    const groups = await call(fake, 'GET', '/apis');
    expect(list(at(groups.json, 'groups')).map((g) => at(g, 'name'))).toEqual([
      'apps',
      'authorization.k8s.io',
      'rbac.authorization.k8s.io',
      'networking.k8s.io',
    ]);
    expect(at(await call(fake, 'GET', '/version').then((r) => r.json), 'minor')).toBe('33');
    expect((await call(fake, 'GET', '/openapi/v2')).status).toBe(404);
  });

  it('answers 401 as a Status without a valid token', async () => {
    for (const token of [null, 'wrong']) {
      const r = await call(fake, 'GET', DEPLOYMENTS, { token });
      expect(r.status).toBe(401);
      expect(r.json).toMatchObject({
        kind: 'Status',
        status: 'Failure',
        reason: 'Unauthorized',
        code: 401,
      });
    }
  });
});

describe('metadata and errors (api-conventions: metadata, concurrency, Status kind)', () => {
  it('sets uid, creationTimestamp, resourceVersion and generation 1; 409 AlreadyExists; 404 NotFound', async () => {
    const created = await call(fake, 'POST', DEPLOYMENTS, { body: deployment('web') });
    expect(created.status).toBe(201);
    expect(at(created.json, 'metadata', 'uid')).toMatch(/^[0-9a-f-]{36}$/);
    expect(at(created.json, 'metadata', 'creationTimestamp')).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    );
    expect(typeof at(created.json, 'metadata', 'resourceVersion')).toBe('string');
    expect(at(created.json, 'metadata', 'generation')).toBe(1);
    const again = await call(fake, 'POST', DEPLOYMENTS, { body: deployment('web') });
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({
      kind: 'Status',
      reason: 'AlreadyExists',
      message: 'deployments.apps "web" already exists',
      details: { name: 'web', group: 'apps', kind: 'deployments' },
    });
    const missing = await call(fake, 'GET', `${DEPLOYMENTS}/nope`);
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({
      reason: 'NotFound',
      message: 'deployments.apps "nope" not found',
      code: 404,
    });
    const pod = await call(fake, 'GET', '/api/v1/namespaces/default/pods/nope');
    expect(at(pod.json, 'message')).toBe('pods "nope" not found');
    const noNs = await call(fake, 'POST', '/apis/apps/v1/namespaces/ghost/deployments', {
      body: deployment('web'),
    });
    expect(noNs.status).toBe(404);
    expect(at(noNs.json, 'message')).toBe('namespaces "ghost" not found');
  });

  it('refuses a PUT with a stale resourceVersion with the real Conflict message', async () => {
    const created = (await call(fake, 'POST', DEPLOYMENTS, { body: deployment('web') })).json;
    const changed = structuredClone(created);
    const meta = at(changed, 'metadata');
    if (meta !== null && typeof meta === 'object' && !Array.isArray(meta))
      meta.labels = { app: 'web', v: '2' };
    const first = await call(fake, 'PUT', `${DEPLOYMENTS}/web`, { body: changed });
    expect(first.status).toBe(200);
    // A PUT that changes nothing keeps the resourceVersion, as the real server does.
    const same = await call(fake, 'PUT', `${DEPLOYMENTS}/web`, { body: first.json });
    expect(at(same.json, 'metadata', 'resourceVersion')).toBe(
      at(first.json, 'metadata', 'resourceVersion'),
    );
    const stale = await call(fake, 'PUT', `${DEPLOYMENTS}/web`, { body: created });
    expect(stale.status).toBe(409);
    expect(stale.json).toMatchObject({
      reason: 'Conflict',
      message:
        'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again',
    });
  });

  it('moves generation on spec changes only, and resourceVersion on every change', async () => {
    await call(fake, 'POST', DEPLOYMENTS, { body: deployment('web') });
    const labelled = await call(fake, 'PATCH', `${DEPLOYMENTS}/web`, {
      body: { metadata: { labels: { tier: 'front' } } },
      contentType: 'application/merge-patch+json',
    });
    expect(at(labelled.json, 'metadata', 'generation')).toBe(1);
    const scaled = await call(fake, 'PATCH', `${DEPLOYMENTS}/web`, {
      body: { spec: { replicas: 5 } },
      contentType: 'application/merge-patch+json',
    });
    expect(at(scaled.json, 'metadata', 'generation')).toBe(2);
    expect(at(scaled.json, 'metadata', 'resourceVersion')).not.toBe(
      at(labelled.json, 'metadata', 'resourceVersion'),
    );
  });

  it('answers 422 Invalid with causes for a name that is not DNS-1123', async () => {
    const r = await call(fake, 'POST', DEPLOYMENTS, { body: deployment('Bad_Name') });
    expect(r.status).toBe(422);
    expect(r.json).toMatchObject({
      reason: 'Invalid',
      details: { name: 'Bad_Name', group: 'apps', kind: 'Deployment' },
    });
    expect(at(r.json, 'message')).toMatch(
      /^Deployment\.apps "Bad_Name" is invalid: metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/,
    );
    expect(list(at(r.json, 'details', 'causes'))[0]).toMatchObject({
      reason: 'FieldValueInvalid',
      field: 'metadata.name',
    });
    const svc = await call(fake, 'POST', '/api/v1/namespaces/default/services', {
      body: { metadata: { name: '1svc' }, spec: { ports: [{ port: 80 }] } },
    });
    expect(svc.status).toBe(422);
    expect(at(svc.json, 'message')).toMatch(/DNS-1035 label/);
  });

  it('answers 415 for a patch content type it does not take', async () => {
    await call(fake, 'POST', DEPLOYMENTS, { body: deployment('web') });
    const r = await call(fake, 'PATCH', `${DEPLOYMENTS}/web`, {
      body: { spec: {} },
      contentType: 'application/json',
    });
    expect(r.status).toBe(415);
    expect(r.json).toMatchObject({ reason: 'UnsupportedMediaType', code: 415 });
  });

  it('dryRun=All validates and answers but stores nothing', async () => {
    const before = fake.store.resourceVersion;
    const r = await call(fake, 'POST', `${DEPLOYMENTS}?dryRun=All`, { body: deployment('web') });
    expect(r.status).toBe(201);
    expect(at(r.json, 'metadata', 'name')).toBe('web');
    expect((await call(fake, 'GET', `${DEPLOYMENTS}/web`)).status).toBe(404);
    const bad = await call(fake, 'POST', `${DEPLOYMENTS}?dryRun=All`, {
      body: deployment('Bad_Name'),
    });
    expect(bad.status).toBe(422);
    expect(fake.store.resourceVersion).toBe(before);
  });

  it('dryRun=All on patch, scale and delete answers the result and changes nothing', async () => {
    await call(fake, 'POST', DEPLOYMENTS, { body: deployment('web') });
    const before = fake.store.resourceVersion;
    const patched = await call(fake, 'PATCH', `${DEPLOYMENTS}/web?dryRun=All`, {
      body: { spec: { replicas: 7 } },
      contentType: 'application/merge-patch+json',
    });
    expect(at(patched.json, 'spec', 'replicas')).toBe(7);
    expect(at(patched.json, 'metadata', 'generation')).toBe(2);
    const scaled = await call(fake, 'PATCH', `${DEPLOYMENTS}/web/scale?dryRun=All`, {
      body: { spec: { replicas: 9 } },
      contentType: 'application/merge-patch+json',
    });
    expect(at(scaled.json, 'spec', 'replicas')).toBe(9);
    expect((await call(fake, 'DELETE', `${DEPLOYMENTS}/web?dryRun=All`)).status).toBe(200);
    const now = await call(fake, 'GET', `${DEPLOYMENTS}/web`);
    expect([at(now.json, 'spec', 'replicas'), at(now.json, 'metadata', 'generation')]).toEqual([
      3, 1,
    ]);
    expect(fake.store.resourceVersion).toBe(before);
  });
});

describe('patch types (update-api-object-kubectl-patch; strategic-merge-patch.md)', () => {
  beforeEach(async () => {
    await call(fake, 'POST', DEPLOYMENTS, { body: deployment('web') });
  });
  const containers = (j: Json): Json[] => list(at(j, 'spec', 'template', 'spec', 'containers'));

  it('strategic merge merges containers and env by name; merge patch replaces the list', async () => {
    const smp = await call(fake, 'PATCH', `${DEPLOYMENTS}/web`, {
      body: {
        spec: {
          template: { spec: { containers: [{ name: 'app', env: [{ name: 'B', value: 'two' }] }] } },
        },
      },
      contentType: 'application/strategic-merge-patch+json',
    });
    expect(smp.status).toBe(200);
    expect(at(containers(smp.json)[0] ?? null, 'image')).toBe('registry.test/app:1');
    expect(at(containers(smp.json)[0] ?? null, 'env')).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: 'two' },
    ]);
    const merge = await call(fake, 'PATCH', `${DEPLOYMENTS}/web`, {
      body: {
        spec: {
          template: { spec: { containers: [{ name: 'app', image: 'registry.test/app:2' }] } },
        },
      },
      contentType: 'application/merge-patch+json',
    });
    expect(at(containers(merge.json)[0] ?? null, 'env')).toBeUndefined();
  });

  it('JSON patch applies operations in order and fails a test operation with 422', async () => {
    const ok = await call(fake, 'PATCH', `${DEPLOYMENTS}/web`, {
      body: [
        {
          op: 'replace',
          path: '/spec/template/spec/containers/0/image',
          value: 'registry.test/app:3',
        },
        { op: 'add', path: '/metadata/annotations', value: { a: 'b' } },
      ],
      contentType: 'application/json-patch+json',
    });
    expect(at(containers(ok.json)[0] ?? null, 'image')).toBe('registry.test/app:3');
    const failed = await call(fake, 'PATCH', `${DEPLOYMENTS}/web`, {
      body: [{ op: 'test', path: '/spec/replicas', value: 99 }],
      contentType: 'application/json-patch+json',
    });
    expect(failed.status).toBe(422);
  });

  it('server-side apply needs fieldManager, records it, and conflicts with another manager unless forced', async () => {
    const applyPath = (q: string): string => `${DEPLOYMENTS}/api${q}`;
    const body = JSON.stringify(deployment('api', 'registry.test/api:1', 2));
    const noManager = await call(fake, 'PATCH', applyPath(''), {
      body,
      contentType: 'application/apply-patch+yaml',
    });
    expect(noManager.status).toBe(422);
    expect(at(noManager.json, 'message')).toContain('fieldManager: Required value');
    const created = await call(fake, 'PATCH', applyPath('?fieldManager=pes-bot'), {
      body,
      contentType: 'application/apply-patch+yaml',
    });
    expect(created.status).toBe(201);
    expect(list(at(created.json, 'metadata', 'managedFields'))[0]).toMatchObject({
      manager: 'pes-bot',
      operation: 'Apply',
      fieldsType: 'FieldsV1',
    });
    await call(fake, 'PATCH', `${DEPLOYMENTS}/api?fieldManager=someone`, {
      body: { spec: { replicas: 5 } },
      contentType: 'application/merge-patch+json',
    });
    const conflict = await call(fake, 'PATCH', applyPath('?fieldManager=pes-bot'), {
      body,
      contentType: 'application/apply-patch+yaml',
    });
    expect(conflict.status).toBe(409);
    expect(at(conflict.json, 'message')).toBe(
      'Apply failed with 1 conflict: conflict with "someone" using apps/v1: .spec.replicas',
    );
    const forced = await call(fake, 'PATCH', applyPath('?fieldManager=pes-bot&force=true'), {
      body,
      contentType: 'application/apply-patch+yaml',
    });
    expect(forced.status).toBe(200);
    expect(at(forced.json, 'spec', 'replicas')).toBe(2);
  });

  it('server-side apply removes a field the same manager applied before and no longer applies', async () => {
    const withLabel = deployment('api', 'registry.test/api:1', 2);
    const meta = at(withLabel, 'metadata');
    if (meta !== undefined && meta !== null && typeof meta === 'object' && !Array.isArray(meta))
      meta.annotations = { note: 'x' };
    const path = `${DEPLOYMENTS}/api?fieldManager=pes-bot`;
    await call(fake, 'PATCH', path, {
      body: JSON.stringify(withLabel),
      contentType: 'application/apply-patch+yaml',
    });
    const r = await call(fake, 'PATCH', path, {
      body: JSON.stringify(deployment('api', 'registry.test/api:1', 2)),
      contentType: 'application/apply-patch+yaml',
    });
    expect(at(r.json, 'metadata', 'annotations', 'note')).toBeUndefined();
  });
});

describe('scale subresource (autoscaling/v1 Scale)', () => {
  it('GET, PUT with a stale resourceVersion (409), PATCH', async () => {
    await call(fake, 'POST', DEPLOYMENTS, { body: deployment('web') });
    const scale = await call(fake, 'GET', `${DEPLOYMENTS}/web/scale`);
    expect(scale.json).toMatchObject({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      spec: { replicas: 3 },
      status: { selector: 'app=web' },
    });
    const put = await call(fake, 'PUT', `${DEPLOYMENTS}/web/scale`, {
      body: { ...(scale.json as object), spec: { replicas: 4 } },
    });
    expect(at(put.json, 'spec', 'replicas')).toBe(4);
    const stale = await call(fake, 'PUT', `${DEPLOYMENTS}/web/scale`, {
      body: { ...(scale.json as object), spec: { replicas: 1 } },
    });
    expect(stale.status).toBe(409);
    expect(at(stale.json, 'reason')).toBe('Conflict');
    const patched = await call(fake, 'PATCH', `${DEPLOYMENTS}/web/scale`, {
      body: { spec: { replicas: 0 } },
      contentType: 'application/merge-patch+json',
    });
    expect(at(patched.json, 'spec', 'replicas')).toBe(0);
    expect(at((await call(fake, 'GET', `${DEPLOYMENTS}/web`)).json, 'spec', 'replicas')).toBe(0);
  });
});

describe('access rules (RBAC rule shape; SelfSubjectAccessReview)', () => {
  it('answers 403 with the authorizer message and the same answer in a review', async () => {
    fake.setRules([
      { verbs: ['get', 'list', 'watch'], apiGroups: ['apps'], resources: ['deployments'] },
      {
        verbs: ['create'],
        apiGroups: ['apps'],
        resources: ['deployments'],
        namespaces: ['default'],
      },
    ]);
    expect((await call(fake, 'POST', DEPLOYMENTS, { body: deployment('web') })).status).toBe(201);
    const denied = await call(fake, 'PATCH', `${DEPLOYMENTS}/web/scale`, {
      body: { spec: { replicas: 1 } },
      contentType: 'application/merge-patch+json',
    });
    expect(denied.status).toBe(403);
    expect(at(denied.json, 'message')).toBe(
      'deployments.apps "web" is forbidden: User "system:serviceaccount:pes:pes-bot" cannot patch resource "deployments/scale" in API group "apps" in the namespace "default"',
    );
    const review = async (verb: string, subresource = ''): Promise<Json | undefined> =>
      at(
        (
          await call(fake, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
            body: {
              apiVersion: 'authorization.k8s.io/v1',
              kind: 'SelfSubjectAccessReview',
              spec: {
                resourceAttributes: {
                  namespace: 'default',
                  verb,
                  group: 'apps',
                  resource: 'deployments',
                  subresource,
                },
              },
            },
          })
        ).json,
        'status',
        'allowed',
      );
    expect(await review('patch', 'scale')).toBe(false);
    expect(await review('get')).toBe(true);
    expect(await review('create')).toBe(true);
    const otherNs = await call(fake, 'POST', '/apis/apps/v1/namespaces/kube-system/deployments', {
      body: deployment('web'),
    });
    expect(otherNs.status).toBe(403);
  });
});
