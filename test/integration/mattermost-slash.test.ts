/**
 * Slash commands driven as Mattermost sends them (form-encoded POST or GET, token in the form
 * and in `Authorization: Token …`), against the real routes, adapter and outbox, with a fake
 * Mattermost server receiving the bot's posts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { slashTokens, startHarness, waitFor, type Harness } from '../fakes/mattermost/harness.ts';
import { visibleText } from '../fakes/mattermost/index.ts';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const tokenA = slashTokens[0] ?? '';

const crunched = (): boolean =>
  h.fake.data.botPosts(h.ops.id).some((p) => visibleText(p).includes('crunched moodle'));

/** The bot's posts in the ops channel, once the crunch job's result is among them. */
async function afterCrunch(): Promise<ReturnType<typeof h.fake.data.botPosts>> {
  await waitFor(crunched, 'the result', 15_000);
  return h.fake.data.botPosts(h.ops.id);
}
const tokenB = slashTokens[1] ?? '';

describe('Mattermost slash command', () => {
  // How fast the answers come is measured by `npm run bench:mattermost`, not here.
  it('answers a quick command with the whole result, in the channel', async () => {
    const result = await h.fake.slash(h.commandUrl, tokenA, h.operator, h.ops, 'echo hello world');
    expect(result.status).toBe(200);
    expect(result.body['response_type']).toBe('in_channel');
    const attachments = result.body['attachments'] as { text: string; color: string }[];
    expect(attachments[0]?.text).toBe('hello world');
    // Shown in the channel by Mattermost itself; the bot posted nothing of its own.
    expect(h.fake.data.channelPosts(h.ops.id).map((p) => visibleText(p))).toContain('hello world');
    expect(h.fake.data.botPosts()).toHaveLength(0);
  });

  it('accepts any configured token, in the form or the Authorization header, and GET', async () => {
    const header = await h.fake.slash(h.commandUrl, tokenB, h.operator, h.ops, 'echo b', {
      tokenIn: 'header',
    });
    expect(header.status).toBe(200);
    const form = await h.fake.slash(h.commandUrl, tokenA, h.operator, h.ops, 'echo a', {
      tokenIn: 'form',
    });
    expect(form.status).toBe(200);
    const get = await h.fake.slash(h.commandUrl, tokenA, h.operator, h.ops, 'echo g', {
      method: 'GET',
    });
    expect(get.status).toBe(200);
    expect((get.body['attachments'] as { text: string }[])[0]?.text).toBe('g');
  });

  it('refuses a wrong or missing token with 401 and runs nothing', async () => {
    const before = h.audit.last(100).length;
    const wrong = await h.fake.slash(h.commandUrl, 'not-a-token', h.admin, h.ops, 'wipe moodle');
    expect(wrong.status).toBe(401);
    const missing = await h.fake.slash(h.commandUrl, '', h.admin, h.ops, 'wipe moodle', {
      tokenIn: 'form',
    });
    expect(missing.status).toBe(401);
    expect(h.audit.last(100)).toHaveLength(before);
    expect(h.confirmations.get('XXXX')).toBeUndefined();
  });

  it('acknowledges a long command at once, then the bot edits one post with progress and the result', async () => {
    const result = await h.fake.slash(h.commandUrl, tokenA, h.operator, h.ops, 'crunch moodle 25');
    expect(result.status).toBe(200);
    // Acknowledged without waiting for the job: its result is not there yet.
    expect(crunched()).toBe(false);
    expect(result.body['response_type']).toBe('ephemeral');
    expect(String(result.body['text'])).toContain('crunch moodle 25');

    const posts = await afterCrunch();
    expect(posts).toHaveLength(1);
    const post = posts[0];
    if (post === undefined) throw new Error('no post');
    expect(visibleText(post)).toContain('25 steps');
    const edits = h.fake.rest.edits.filter((e) => e.postId === post.id);
    const progress = edits.filter((e) => e.text.includes('%'));
    expect(progress.length).toBeGreaterThanOrEqual(1);
    // Progress edits at most every 2 s (a little slack for timers); the result may follow sooner.
    for (let i = 1; i < progress.length; i++) {
      expect((progress[i]?.at ?? 0) - (progress[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(1900);
    }
    expect(edits.at(-1)?.text).toContain('crunched moodle');
  }, 20_000);

  it("posts a long command's result in the thread it was typed in, when Mattermost names it", async () => {
    const root = h.fake.say(h.operator, h.ops, 'moodle is slow again');
    const result = await h.fake.slash(h.commandUrl, tokenA, h.operator, h.ops, 'crunch moodle 3', {
      rootId: root.id,
    });
    expect(result.body['response_type']).toBe('ephemeral');
    const posts = await afterCrunch();
    expect(posts).toHaveLength(1);
    expect(posts[0]?.root_id).toBe(root.id);
  }, 20_000);

  it('refuses a person without a role politely, naming the role, and audits it', async () => {
    const result = await h.fake.slash(h.commandUrl, tokenA, h.stranger, h.ops, 'crunch moodle');
    expect(result.status).toBe(200);
    expect(result.body['response_type']).toBe('ephemeral');
    const text = (result.body['attachments'] as { text: string }[])[0]?.text ?? '';
    expect(text).toContain('operator');
    const last = h.audit.last(1)[0];
    expect(last?.actor).toBe(`mattermost:${h.stranger.id}`);
    expect(last?.decision).toBe('denied');
    expect(last?.source).toBe('mattermost');
  });

  it('answers "busy" only to the person who asked, never to the whole channel', async () => {
    await h.fake.slash(h.commandUrl, tokenA, h.operator, h.ops, 'crunch moodle 25');
    await waitFor(() => h.fake.data.botPosts(h.ops.id).length === 1, 'the progress post');
    const busy = await h.fake.slash(h.commandUrl, tokenA, h.admin, h.ops, 'crunch moodle');
    expect(busy.status).toBe(200);
    expect(busy.body['response_type']).toBe('ephemeral');
    const text = (busy.body['attachments'] as { text: string }[])[0]?.text ?? '';
    expect(text).toMatch(/^moodle is busy: job \d+/);
    await afterCrunch();
    const shown = h.fake.data.channelPosts(h.ops.id).map((p) => visibleText(p));
    expect(shown.filter((t) => t.includes('is busy'))).toEqual([]);
  }, 20_000);

  it('refuses a 2 MB body with 413', async () => {
    const big = `token=${tokenA}&text=${'a'.repeat(2 * 1024 * 1024)}`;
    const response = await fetch(h.commandUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: big,
    });
    expect(response.status).toBe(413);
  });

  it('refuses a channel the bot does not serve, without running the command', async () => {
    const other = h.fake.data.addChannel('random', [h.fake.bot, h.admin]);
    const before = h.audit.last(100).length;
    const result = await h.fake.slash(h.commandUrl, tokenA, h.admin, other, 'echo hi');
    expect(result.status).toBe(200);
    expect(result.body['response_type']).toBe('ephemeral');
    expect(String(result.body['text'])).toContain('does not take commands in this channel');
    expect(h.audit.last(100)).toHaveLength(before);
  });

  it('refuses a request with malformed ids with 400', async () => {
    const response = await fetch(h.commandUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        token: tokenA,
        channel_id: '../x',
        user_id: 'y',
        text: 'help',
      }).toString(),
    });
    expect(response.status).toBe(400);
  });
});
