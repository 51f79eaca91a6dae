/**
 * What provisioning meets in the fake, each as the API reference states it: an apply that
 * creates is authorized as create (API concepts, "Patch and apply"); an apply that changes
 * nothing keeps the object and its resourceVersion (ManagedFieldsEntry.time moves only when
 * the manager's fields change); a conflict names a keyed list item as `[name="…"]`
 * (server-side apply, "Conflicts"); a Service needs ports unless headless and a claim an
 * access mode and a storage request (core validation); a delete whose
 * DeleteOptions.preconditions do not hold is 409 Conflict; metadata-only reads and lists
 * (meta/v1 PartialObjectMetadata, PartialObjectMetadataList) carry no values.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resourceByName, startFakeKubernetes, type FakeKubernetes } from './index.ts';
import { at, list, str } from './json.ts';
import { DEPLOYMENTS, call, deployment } from './test-client.ts';

const APPLY = 'application/apply-patch+yaml';
let fake: FakeKubernetes;
beforeEach(async () => {
  fake = await startFakeKubernetes({ controllers: false });
});
afterEach(async () => {
  await fake.close();
});

const secret = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'files-env' },
  data: { KEY: Buffer.from('value').toString('base64') },
};
const secretPath = '/api/v1/namespaces/default/secrets/files-env?fieldManager=pes-bot';

describe('server-side apply for provisioning', () => {
  it('an apply that creates needs create, one that changes needs patch', async () => {
    fake.setRules([{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'patch'] }]);
    const refused = await call(fake, 'PATCH', secretPath, { body: secret, contentType: APPLY });
    expect(refused.status).toBe(403);
    expect(at(refused.json, 'message')).toBe(
      'secrets "files-env" is forbidden: User "system:serviceaccount:pes:pes-bot" cannot create resource "secrets" in API group "" in the namespace "default"',
    );
    expect((await call(fake, 'GET', '/api/v1/namespaces/default/secrets/files-env')).status).toBe(
      404,
    );
    fake.setRules([{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'patch', 'create'] }]);
    const created = await call(fake, 'PATCH', secretPath, { body: secret, contentType: APPLY });
    expect(created.status).toBe(201);
    fake.setRules([{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'patch'] }]);
    const again = await call(fake, 'PATCH', secretPath, { body: secret, contentType: APPLY });
    expect(again.status).toBe(200);
  });

  it('an apply that changes nothing keeps the object, managedFields time and resourceVersion', async () => {
    const first = await call(fake, 'PATCH', secretPath, { body: secret, contentType: APPLY });
    const rv = at(first.json, 'metadata', 'resourceVersion');
    const time = at(list(at(first.json, 'metadata', 'managedFields'))[0], 'time');
    // A second later by the fake's clock would show in a new time.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const second = await call(fake, 'PATCH', secretPath, { body: secret, contentType: APPLY });
    expect(second.status).toBe(200);
    expect(at(second.json, 'metadata', 'resourceVersion')).toBe(rv);
    expect(at(list(at(second.json, 'metadata', 'managedFields'))[0], 'time')).toBe(time);
    const changed = await call(fake, 'PATCH', secretPath, {
      body: { ...secret, data: { KEY: Buffer.from('other').toString('base64') } },
      contentType: APPLY,
    });
    expect(at(changed.json, 'metadata', 'resourceVersion')).not.toBe(rv);
  });

  it('a conflict on a container names it as [name="…"]', async () => {
    const body = deployment('api', 'registry.test/api:1', 1);
    const path = `${DEPLOYMENTS}/api`;
    await call(fake, 'PATCH', `${path}?fieldManager=pes-bot`, { body, contentType: APPLY });
    const other = JSON.parse(JSON.stringify(body).replace('api:1', 'api:2')) as typeof body;
    const conflict = await call(fake, 'PATCH', `${path}?fieldManager=kubectl`, {
      body: other,
      contentType: APPLY,
    });
    expect(conflict.status).toBe(409);
    expect(at(conflict.json, 'message')).toBe(
      'Apply failed with 1 conflict: conflict with "pes-bot" using apps/v1: .spec.template.spec.containers[name="app"].image',
    );
  });
});

describe('validation of what provisioning applies', () => {
  it('a Service without ports is refused unless headless', async () => {
    const path = '/api/v1/namespaces/default/services';
    const plain = await call(fake, 'POST', path, {
      body: { metadata: { name: 'files' }, spec: { selector: { app: 'files' } } },
    });
    expect(plain.status).toBe(422);
    expect(at(plain.json, 'message')).toBe(
      'Service "files" is invalid: spec.ports: Required value',
    );
    const headless = await call(fake, 'POST', path, {
      body: { metadata: { name: 'files' }, spec: { clusterIP: 'None', selector: { app: 'f' } } },
    });
    expect(headless.status).toBe(201);
  });

  it('a claim needs an access mode and a storage request', async () => {
    const path = '/api/v1/namespaces/default/persistentvolumeclaims';
    const bare = await call(fake, 'POST', path, { body: { metadata: { name: 'data' }, spec: {} } });
    expect(bare.status).toBe(422);
    expect(list(at(bare.json, 'details', 'causes')).map((c) => at(c, 'field'))).toEqual([
      'spec.accessModes',
      'spec.resources[storage]',
    ]);
    const good = await call(fake, 'POST', path, {
      body: {
        metadata: { name: 'data' },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      },
    });
    expect(good.status).toBe(201);
  });
});

describe('what taking back and looking up need', () => {
  const path = '/api/v1/namespaces/default/secrets/files-env';

  it('a delete with a uid precondition of another object is 409 and keeps it', async () => {
    const made = await call(fake, 'PATCH', secretPath, { body: secret, contentType: APPLY });
    const uid = str(at(made.json, 'metadata', 'uid')) ?? '';
    const refused = await call(fake, 'DELETE', path, {
      body: { preconditions: { uid: 'not-this-one' } },
    });
    expect(refused.status).toBe(409);
    expect(at(refused.json, 'reason')).toBe('Conflict');
    expect(at(refused.json, 'message')).toBe(
      `Operation cannot be fulfilled on secrets "files-env": Precondition failed: UID in precondition: not-this-one, UID in object meta: ${uid}`,
    );
    expect((await call(fake, 'GET', path)).status).toBe(200);
    const deleted = await call(fake, 'DELETE', path, { body: { preconditions: { uid } } });
    expect(deleted.status).toBe(200);
    expect((await call(fake, 'GET', path)).status).toBe(404);
  });

  it('metadata only: no data in a PartialObjectMetadata(List), the wrong one is 406', async () => {
    await call(fake, 'PATCH', secretPath, { body: secret, contentType: APPLY });
    const object = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';
    const many = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';
    const one = await call(fake, 'GET', path, { accept: object });
    expect(one.status).toBe(200);
    expect(one.json).toEqual({
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: at(fake.store.get(resourceByName('secrets'), 'default', 'files-env'), 'metadata'),
    });
    const all = await call(fake, 'GET', '/api/v1/namespaces/default/secrets', { accept: many });
    expect(at(all.json, 'kind')).toBe('PartialObjectMetadataList');
    expect(list(at(all.json, 'items')).map((i) => at(i, 'kind'))).toEqual([
      'PartialObjectMetadata',
    ]);
    expect(JSON.stringify([one.json, all.json])).not.toContain(secret.data.KEY);
    expect((await call(fake, 'GET', path, { accept: many })).status).toBe(406);
    const wrong = await call(fake, 'GET', '/api/v1/namespaces/default/secrets', { accept: object });
    expect(wrong.status).toBe(406);
  });
});
