/**
 * Confirm / Cancel buttons: the pending confirmation is rendered as interactive buttons whose
 * signed context comes back on a click; the click runs `confirm CODE` as the clicking person.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ActionContext } from '../../src/chat/mattermost/action-context.ts';
import {
  slashTokens,
  startHarness,
  waitFor,
  wiped,
  type Harness,
} from '../fakes/mattermost/harness.ts';
import { visibleText, type FakePost } from '../fakes/mattermost/index.ts';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  wiped.length = 0;
});
afterEach(async () => {
  await h.close();
});

const token = slashTokens[0] ?? '';

/** `/pes wipe moodle` by the admin: the in-channel answer with the buttons. */
async function askToWipe(): Promise<{ post: FakePost; code: string }> {
  const result = await h.fake.slash(h.commandUrl, token, h.admin, h.ops, 'wipe moodle');
  expect(result.status).toBe(200);
  expect(result.body['response_type']).toBe('in_channel');
  const post = h.fake.data.channelPosts(h.ops.id).at(-1);
  if (post === undefined) throw new Error('no post with buttons');
  const attachments = post.props['attachments'] as {
    actions: { id: string; name: string; integration: { context: ActionContext } }[];
  }[];
  const actions = attachments[0]?.actions ?? [];
  expect(actions.map((a) => a.name)).toEqual(['Confirm', 'Cancel']);
  for (const action of actions) expect(action.id).toMatch(/^[A-Za-z0-9]+$/);
  const code = actions[0]?.integration.context.code ?? '';
  expect(code).toMatch(/^[2-9A-HJ-NP-Z]{4}$/);
  return { post, code };
}

describe('Mattermost buttons', () => {
  it('runs the job when an allowed person confirms, and updates the post to say who did', async () => {
    const { post } = await askToWipe();
    const click = await h.fake.click(h.admin, post, 0);
    expect(click.status).toBe(200);
    expect(visibleText(post)).toContain('Confirmed by @anna');
    expect(JSON.stringify(post.props)).not.toContain('"actions"');
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
    expect(h.confirmations.get(code)?.state).toBe('declined');
    const after = structuredClone(post.props);
    // A client that still shows the buttons clicks Confirm.
    post.props = buttons;
    const second = await h.fake.click(h.admin, post, 0);
    expect(second.status).toBe(200);
    expect(second.body['update']).toBeUndefined();
    expect(String(second.body['ephemeral_text'])).toContain(code);
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

  it('answers 403 to a forged or altered context and runs nothing', async () => {
    const { post, code } = await askToWipe();
    const attachments = post.props['attachments'] as {
      actions: { integration: { context: ActionContext } }[];
    }[];
    const context = attachments[0]?.actions[0]?.integration.context;
    if (context === undefined) throw new Error('no context');
    const altered = await h.fake.click(h.admin, post, 0, {
      ...context,
      command: 'confirm ZZZZ',
      code: 'ZZZZ',
    });
    expect(altered.status).toBe(403);
    const forged = await h.fake.click(h.admin, post, 0, { ...context, sig: '0'.repeat(64) });
    expect(forged.status).toBe(403);
    const missing = await h.fake.click(h.admin, post, 0, { command: `confirm ${code}` });
    expect(missing.status).toBe(403);
    // A valid context replayed from another channel.
    const other = h.fake.data.addChannel('other', [h.fake.bot, h.admin]);
    const moved = { ...post, channel_id: other.id };
    const replay = await h.fake.click(h.admin, moved, 0);
    expect(replay.status).toBe(403);
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
