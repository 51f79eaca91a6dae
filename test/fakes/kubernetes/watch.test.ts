/**
 * Watch as "API Concepts" describes it
 * (https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes ,
 * #watch-bookmarks, #410-gone-responses): events after a resourceVersion as JSON lines,
 * bookmarks, an ERROR event with a 410 Status once history is compacted, timeoutSeconds, and
 * list with a label selector.
 */
import { request } from 'node:https';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startFakeKubernetes, type FakeKubernetes } from './index.ts';
import { at, list, str, type Json } from './json.ts';
import { call } from './test-client.ts';

let fake: FakeKubernetes;
beforeEach(async () => {
  fake = await startFakeKubernetes({ controllers: false, bookmarkIntervalMs: 50 });
});
afterEach(async () => {
  await fake.close();
});

const SECRETS = '/api/v1/namespaces/default/secrets';

/** Opens a watch; `events` fills as lines arrive; `ended` resolves when the server ends it. */
function watch(query: string): { events: Json[]; ended: Promise<number> } {
  const events: Json[] = [];
  const ended = new Promise<number>((resolve, reject) => {
    const req = request(
      `${fake.url}${SECRETS}?watch=1&${query}`,
      {
        headers: { Authorization: 'Bearer fake-token' },
        ca: fake.caCertificate,
      },
      (res) => {
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          buffer += d;
          for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
            events.push(JSON.parse(buffer.slice(0, i)) as Json);
            buffer = buffer.slice(i + 1);
          }
        });
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
  return { events, ended };
}

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const secret = (name: string, labels: Record<string, string> = {}): Json => ({
  metadata: { name, labels },
  data: {},
});

it('streams ADDED, MODIFIED and DELETED after the given resourceVersion, and bookmarks', async () => {
  await call(fake, 'POST', SECRETS, { body: secret('before') });
  const listed = await call(fake, 'GET', SECRETS);
  const rv = at(listed.json, 'metadata', 'resourceVersion');
  expect(typeof rv).toBe('string');
  const w = watch(`resourceVersion=${str(rv) ?? ''}&allowWatchBookmarks=true&timeoutSeconds=30`);
  await call(fake, 'POST', SECRETS, { body: secret('s1') });
  await call(fake, 'PATCH', `${SECRETS}/s1`, {
    body: { metadata: { labels: { a: 'b' } } },
    contentType: 'application/merge-patch+json',
  });
  await call(fake, 'DELETE', `${SECRETS}/s1`);
  await until(() => w.events.filter((e) => at(e, 'type') !== 'BOOKMARK').length >= 3);
  const real = w.events.filter((e) => at(e, 'type') !== 'BOOKMARK');
  expect(real.map((e) => [at(e, 'type'), at(e, 'object', 'metadata', 'name')])).toEqual([
    ['ADDED', 's1'],
    ['MODIFIED', 's1'],
    ['DELETED', 's1'],
  ]);
  await until(() => w.events.some((e) => at(e, 'type') === 'BOOKMARK'));
  const bookmark = w.events.find((e) => at(e, 'type') === 'BOOKMARK');
  expect(at(bookmark, 'object', 'kind')).toBe('Secret');
  expect(Object.keys((at(bookmark, 'object', 'metadata') ?? {}) as object)).toContain(
    'resourceVersion',
  );
  fake.cutWatches();
  await w.ended;
});

it('a watch without resourceVersion starts with ADDED for what exists; timeoutSeconds ends it', async () => {
  await call(fake, 'POST', SECRETS, { body: secret('one') });
  const w = watch('timeoutSeconds=1');
  expect(await w.ended).toBe(200);
  expect(w.events.map((e) => [at(e, 'type'), at(e, 'object', 'metadata', 'name')])).toEqual([
    ['ADDED', 'one'],
  ]);
});

it('after compaction a watch from an older resourceVersion gets an ERROR event with 410 Expired', async () => {
  const created = await call(fake, 'POST', SECRETS, { body: secret('one') });
  const old = str(at(created.json, 'metadata', 'resourceVersion')) ?? '';
  await call(fake, 'POST', SECRETS, { body: secret('two') });
  fake.compact();
  const w = watch(`resourceVersion=${old}`);
  expect(await w.ended).toBe(200);
  expect(w.events).toHaveLength(1);
  expect(w.events[0]).toMatchObject({
    type: 'ERROR',
    object: { kind: 'Status', code: 410, reason: 'Expired' },
  });
  const fresh = await call(fake, 'GET', SECRETS);
  const w2 = watch(
    `resourceVersion=${str(at(fresh.json, 'metadata', 'resourceVersion')) ?? ''}&timeoutSeconds=1`,
  );
  await call(fake, 'POST', SECRETS, { body: secret('three') });
  await w2.ended;
  expect(w2.events.map((e) => at(e, 'type'))).toEqual(['ADDED']);
  // A list at the old rv is served (NotOlderThan); only resourceVersionMatch=Exact is 410.
  expect((await call(fake, 'GET', `${SECRETS}?resourceVersion=${old}`)).status).toBe(200);
  const exact = await call(
    fake,
    'GET',
    `${SECRETS}?resourceVersion=${old}&resourceVersionMatch=Exact`,
  );
  expect([exact.status, at(exact.json, 'reason')]).toEqual([410, 'Expired']);
});

it('lists with a label selector (=, !=, in, notin, exists, !exists)', async () => {
  await call(fake, 'POST', SECRETS, { body: secret('a', { app: 'web', tier: 'front' }) });
  await call(fake, 'POST', SECRETS, { body: secret('b', { app: 'db' }) });
  await call(fake, 'POST', SECRETS, { body: secret('c', {}) });
  const names = async (selector: string): Promise<Json[]> =>
    list(
      at(
        (await call(fake, 'GET', `${SECRETS}?labelSelector=${encodeURIComponent(selector)}`)).json,
        'items',
      ),
    ).map((i) => at(i, 'metadata', 'name') ?? null);
  expect(await names('app=web')).toEqual(['a']);
  expect(await names('app!=web')).toEqual(['b', 'c']);
  expect(await names('app in (web,db)')).toEqual(['a', 'b']);
  expect(await names('app notin (web)')).toEqual(['b', 'c']);
  expect(await names('tier')).toEqual(['a']);
  expect(await names('!app')).toEqual(['c']);
  expect(await names('app=web,tier=back')).toEqual([]);
});

it('a watch with a label selector sees an object that stops matching as DELETED and one that starts as ADDED', async () => {
  await call(fake, 'POST', SECRETS, { body: secret('x', { app: 'web' }) });
  const listed = await call(fake, 'GET', `${SECRETS}?labelSelector=app%3Dweb`);
  const rv = str(at(listed.json, 'metadata', 'resourceVersion')) ?? '';
  const w = watch(`labelSelector=app%3Dweb&resourceVersion=${rv}&timeoutSeconds=30`);
  const relabel = (app: string): Promise<unknown> =>
    call(fake, 'PATCH', `${SECRETS}/x`, {
      body: { metadata: { labels: { app } } },
      contentType: 'application/merge-patch+json',
    });
  await relabel('db');
  await relabel('other');
  await relabel('web');
  await until(() => w.events.length >= 2);
  fake.cutWatches();
  await w.ended;
  expect(w.events.map((e) => at(e, 'type'))).toEqual(['DELETED', 'ADDED']);
});
