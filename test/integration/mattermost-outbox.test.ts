/**
 * The durable outbox against a Mattermost that limits, fails and drops: every post arrives,
 * none twice, in order per channel, and what was not sent before a restart is sent after it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MattermostOutbox } from '../../src/chat/mattermost/outbox-writer.ts';
import { renderMessage } from '../../src/chat/mattermost/render.ts';
import { SqliteOutboxStore } from '../../src/store/outbox-repo.ts';
import { startHarness, waitFor, type Harness } from '../fakes/mattermost/harness.ts';
import { visibleText } from '../fakes/mattermost/index.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function enqueue(t: Harness, key: string, text: string, channelId = t.ops.id): void {
  const outbox = new MattermostOutbox(new SqliteOutboxStore(t.db), () =>
    t.adapter.dispatcher.kick(),
  );
  outbox.post(key, channelId, renderMessage({ severity: 'info', text }, 'en'));
}

function texts(t: Harness): string[] {
  return t.fake.data.botPosts(t.ops.id).map((p) => visibleText(p));
}

describe('Mattermost outbox', () => {
  it('delivers every post of a 429 storm once, in order, honouring Retry-After', async () => {
    const t = await startHarness();
    h = t;
    await waitFor(() => t.adapter.me !== undefined, 'the bot user');
    t.fake.rest.limiter = { perSecond: 10, burst: 5 };
    t.fake.rest.fillBucket();
    const wanted = Array.from({ length: 30 }, (_, i) => `message ${String(i).padStart(2, '0')}`);
    for (const [i, text] of wanted.entries()) enqueue(t, `storm:${i}`, text);
    await waitFor(() => texts(t).length === 30, 'all 30 posts', 20_000);
    expect(texts(t)).toEqual(wanted);
    const limited = t.fake.rest.log.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    // After a 429 the next attempt waits for Retry-After (1 s), instead of hammering.
    const posts = t.fake.rest.log.filter((r) => r.route === 'POST /api/v4/posts');
    for (const [i, r] of posts.entries()) {
      const next = posts[i + 1];
      if (r.status === 429 && next !== undefined)
        expect(next.at - r.at).toBeGreaterThanOrEqual(950);
    }
    expect(limited.length).toBeLessThan(15);
  }, 30_000);

  it('retries 5xx with backoff and never posts twice when a send had no clear answer', async () => {
    const t = await startHarness();
    h = t;
    await waitFor(() => t.adapter.me !== undefined, 'the bot user');
    t.fake.rest.faults.push('http-500', 'created-then-502', 'created-then-drop', 'http-500');
    enqueue(t, 'f:1', 'first');
    enqueue(t, 'f:2', 'second');
    enqueue(t, 'f:3', 'third');
    await waitFor(() => texts(t).includes('third'), 'the third post', 20_000);
    expect(texts(t)).toEqual(['first', 'second', 'third']);
  }, 30_000);

  it('sends after a restart what was not sent before it', async () => {
    const t = await startHarness();
    h = t;
    await waitFor(() => t.adapter.me !== undefined, 'the bot user');
    await t.restart(() => {
      // Written while no dispatcher runs (e.g. the process died right after queuing).
      enqueue(t, 'r:1', 'queued before the restart');
      enqueue(t, 'r:2', 'and this one');
      // A send that was in flight when the process died, and did reach the server.
      enqueue(t, 'r:3', 'in flight');
      const store = new SqliteOutboxStore(t.db);
      const inFlight = store.byKey('r:3');
      if (inFlight === undefined) throw new Error('not queued');
      store.markSending(inFlight.id);
      t.fake.rest.addPost(t.fake.bot, t.ops.id, '', {
        props: { pes_key: 'r:3', attachments: [{ text: 'in flight' }] },
      });
    });
    await waitFor(() => texts(t).includes('and this one'), 'the queued posts', 15_000);
    expect(texts(t)).toEqual(['in flight', 'queued before the restart', 'and this one']);
  }, 20_000);

  it('gives up on a channel the bot cannot post in, logs it, and goes on with the others', async () => {
    const t = await startHarness();
    h = t;
    await waitFor(() => t.adapter.me !== undefined, 'the bot user');
    enqueue(t, 'u:1', 'nowhere', 'zzzzzzzzzzzzzzzzzzzzzzzzzz');
    enqueue(t, 'u:2', 'somewhere');
    await waitFor(() => texts(t).includes('somewhere'), 'the other post');
    await waitFor(
      () => new SqliteOutboxStore(t.db).byKey('u:1')?.state === 'failed',
      'the failure',
    );
    expect(
      t.logs.some((l) => l.includes('mattermost refused an outbox item') && l.includes('403')),
    ).toBe(true);
  });

  it('posts in the channel when Mattermost refuses the thread root', async () => {
    const t = await startHarness();
    h = t;
    await waitFor(() => t.adapter.me !== undefined, 'the bot user');
    const root = t.fake.say(t.operator, t.ops, 'root');
    const reply = t.fake.say(t.operator, t.ops, 'reply', root.id);
    const outbox = new MattermostOutbox(new SqliteOutboxStore(t.db), () =>
      t.adapter.dispatcher.kick(),
    );
    outbox.post(
      't:1',
      t.ops.id,
      renderMessage({ severity: 'info', text: 'answer' }, 'en'),
      reply.id,
    );
    await waitFor(() => texts(t).includes('answer'), 'the answer');
    expect(t.fake.data.botPosts(t.ops.id)[0]?.root_id).toBe('');
  });

  it('attaches output longer than a post allows as a file', async () => {
    const t = await startHarness();
    h = t;
    await waitFor(() => t.adapter.me !== undefined, 'the bot user');
    const long = Array.from({ length: 3000 }, (_, i) => `line ${i} of the log`).join('\n');
    const outbox = new MattermostOutbox(new SqliteOutboxStore(t.db), () =>
      t.adapter.dispatcher.kick(),
    );
    outbox.post(
      'long:1',
      t.ops.id,
      renderMessage({ severity: 'info', text: 'logs', code: { content: long } }, 'en'),
    );
    await waitFor(() => t.fake.data.botPosts(t.ops.id).length === 1, 'the post');
    const post = t.fake.data.botPosts(t.ops.id)[0];
    expect(visibleText(post ?? { message: '', props: {} }).length).toBeLessThan(16383);
    const file = t.fake.data.files.get(post?.file_ids[0] ?? '');
    expect(file?.content).toBe(long);
  });
});
