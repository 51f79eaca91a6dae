/**
 * Confirm / Cancel buttons: the pending confirmation is rendered as interactive buttons whose
 * signed context comes back on a click; the click runs `confirm CODE` as the clicking person.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { actionIdOf, type ActionContext } from '../../src/chat/mattermost/action-context.ts';
import {
  slashTokens,
  startHarness,
  waitFor,
  wiped,
  type Harness,
} from '../fakes/mattermost/harness.ts';
import { visibleText, type FakePost, type HttpResult } from '../fakes/mattermost/index.ts';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  wiped.length = 0;
});
afterEach(async () => {
  await h.close();
});

const token = slashTokens[0] ?? '';

/** `/pes wipe moodle` by the admin: the bot's post with the buttons. */
async function askToWipe(): Promise<{ post: FakePost; code: string; contexts: ActionContext[] }> {
  const before = h.fake.data.botPosts(h.ops.id).length;
  const result = await h.fake.slash(h.commandUrl, token, h.admin, h.ops, 'wipe moodle');
  expect(result.status).toBe(200);
  // The prompt is the bot's own post, not the answer, so that a typed decision can edit it;
  // the answer only tells the person where it is.
  expect(result.body['response_type']).toBe('ephemeral');
  expect(String(result.body['text'])).toContain('confirmation');
  await waitFor(() => h.fake.data.botPosts(h.ops.id).length > before, 'the prompt post');
  const post = h.fake.data.botPosts(h.ops.id).at(-1);
  if (post === undefined) throw new Error('no post with buttons');
  const attachments = post.props['attachments'] as {
    actions: { id: string; name: string; integration: { context: ActionContext } }[];
  }[];
  const actions = attachments[0]?.actions ?? [];
  expect(actions.map((a) => a.name)).toEqual(['Confirm', 'Cancel']);
  for (const action of actions) expect(action.id).toMatch(/^[A-Za-z0-9]+$/);
  const code = actions[0]?.integration.context.code ?? '';
  expect(code).toMatch(/^[2-9A-HJ-NP-Z]{4}$/);
  // Each id names what its button runs, so it can never stand for another command.
  expect(actions.map((a) => a.id)).toEqual([
    actionIdOf(`confirm ${code}`),
    actionIdOf(`decline ${code}`),
  ]);
  return { post, code, contexts: actions.map((a) => a.integration.context) };
}

/** What anyone who can reach the bot's button URL could send, without Mattermost. */
function forge(post: FakePost, context: unknown, channelId = h.ops.id): Promise<HttpResult> {
  return h.fake.forgeClick(`${h.baseUrl}/mattermost/actions`, {
    user_id: h.admin.id,
    user_name: h.admin.username,
    channel_id: channelId,
    post_id: post.id,
    context,
  });
}

describe('Mattermost buttons', () => {
  it('runs the job when an allowed person confirms, and updates the post to say who did', async () => {
    const { post } = await askToWipe();
    const click = await h.fake.click(h.admin, post, 0);
    expect(click.status).toBe(200);
    expect(visibleText(post)).toContain('Confirmed by @anna');
    expect(JSON.stringify(post.props)).not.toContain('"actions"');
    // What it was about stays, with when it was decided.
    expect(visibleText(post)).toContain('All data of moodle will be deleted.');
    expect(visibleText(post)).toMatch(/Confirmed by @anna — \d{4}-\d\d-\d\d \d\d:\d\d \S+/);
    await waitFor(() => wiped.includes('moodle'), 'the job');
    await waitFor(
      () => h.fake.data.botPosts(h.ops.id).some((p) => visibleText(p).includes('wiped moodle')),
      'the result',
    );
    // The result is a reply in the thread of the confirmation post.
    const result = h.fake.data
      .botPosts(h.ops.id)
      .find((p) => visibleText(p).includes('wiped moodle'));
    expect(result?.root_id).toBe(post.id);
    const audited = h.audit.last(5).map((r) => `${r.source} ${r.actor} ${r.decision}`);
    expect(audited).toContain(`button mattermost:${h.admin.id} allowed`);
  });

  it('cancels on Cancel, and a second click changes nothing', async () => {
    const { post, code } = await askToWipe();
    const buttons = structuredClone(post.props);
    const cancel = await h.fake.click(h.admin, post, 1);
    expect(cancel.status).toBe(200);
    expect(visibleText(post)).toContain('Cancelled by @anna');
    expect(visibleText(post)).toContain('All data of moodle will be deleted.');
    expect(h.confirmations.get(code)?.state).toBe('declined');
    const after = structuredClone(post.props);
    // A client that still shows the buttons clicks Confirm.
    post.props = buttons;
    const second = await h.fake.click(h.admin, post, 0);
    expect(second.status).toBe(200);
    expect(second.body['update']).toBeUndefined();
    // The bot's edit took the buttons away (it is in the outbox, post-buttons.ts).
    expect(String(second.body['ephemeral_text'])).toMatch(/no longer/);
    expect(h.confirmations.get(code)?.state).toBe('declined');
    expect(wiped).toEqual([]);
    expect(after).not.toEqual(buttons);
  });

  it('refuses a click by someone not allowed to confirm, with an ephemeral answer', async () => {
    const { post, code } = await askToWipe();
    const click = await h.fake.click(h.operator, post, 0);
    expect(click.status).toBe(200);
    expect(click.body['update']).toBeUndefined();
    expect(String(click.body['ephemeral_text'])).toMatch(/may not|not allowed|cannot/i);
    expect(h.confirmations.get(code)?.state).toBe('pending');
    const stranger = await h.fake.click(h.stranger, post, 0);
    expect(stranger.body['update']).toBeUndefined();
    expect(String(stranger.body['ephemeral_text'])).not.toBe('');
    expect(wiped).toEqual([]);
  });

  it('refuses a click after expiry', async () => {
    const { post, code } = await askToWipe();
    h.db
      .prepare("UPDATE confirmations SET expires_at = '2000-01-01T00:00:00.000Z' WHERE code = ?")
      .run(code);
    const click = await h.fake.click(h.admin, post, 0);
    expect(click.status).toBe(200);
    expect(click.body['update']).toBeUndefined();
    expect(String(click.body['ephemeral_text'])).toMatch(/expired/i);
    expect(wiped).toEqual([]);
  });

  it('refuses a forged or altered context, says so, and runs nothing', async () => {
    const { post, code, contexts } = await askToWipe();
    const context = contexts[0];
    if (context === undefined) throw new Error('no context');
    // A 200 with the refusal: Mattermost drops the body of any other status.
    const refusedWith = (result: HttpResult): void => {
      expect(result.status).toBe(200);
      expect(result.body['update']).toBeUndefined();
      expect(String(result.body['ephemeral_text'])).toContain('signature');
    };
    refusedWith(await forge(post, { ...context, command: 'confirm ZZZZ', code: 'ZZZZ' }));
    refusedWith(await forge(post, { ...context, sig: '0'.repeat(64) }));
    refusedWith(await forge(post, { command: `confirm ${code}` }));
    // A valid context replayed from another channel.
    const other = h.fake.data.addChannel('other', [h.fake.bot, h.admin]);
    refusedWith(await forge(post, context, other.id));
    expect(h.confirmations.get(code)?.state).toBe('pending');
    expect(wiped).toEqual([]);
  });

  it('tells the clicker that a button of an older version is no longer valid', async () => {
    const { post, code, contexts } = await askToWipe();
    // What a post made before ids named commands carries: version 1, id `pes0`.
    const old = { ...contexts[0], v: 1 };
    const result = await forge(post, old);
    expect(result.status).toBe(200);
    expect(String(result.body['ephemeral_text'])).toContain('no longer');
    expect(h.confirmations.get(code)?.state).toBe('pending');
    expect(wiped).toEqual([]);
  });

  it('never shows the signature when the post is read back', async () => {
    const { post } = await askToWipe();
    const response = await fetch(`${h.fake.url}/api/v4/channels/${h.ops.id}/posts?since=0`, {
      headers: { authorization: `Bearer ${h.fake.bot.token}` },
    });
    const list = (await response.json()) as { posts: Record<string, { props: unknown }> };
    expect(JSON.stringify(list.posts[post.id]?.props)).not.toContain('integration');
  });
});
