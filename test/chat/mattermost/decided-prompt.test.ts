/**
 * A confirmation prompt in Mattermost keeps its story once decided: a decision typed in a
 * post or a slash command edits the prompt post as a click does (what it was about, who
 * decided and when, no buttons); a refusal to someone who may not decide names the command
 * that waits and who may; and the decided prompt as it is rendered, in both languages.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderMessage } from '../../../src/chat/mattermost/render.ts';
import type { Confirmation } from '../../../src/core/confirmations.ts';
import { decidedPromptMessage } from '../../../src/core/confirmation-story.ts';
import {
  slashTokens,
  startHarness,
  waitFor,
  wiped,
  type Harness,
} from '../../fakes/mattermost/harness.ts';
import { visibleText, type FakePost } from '../../fakes/mattermost/index.ts';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  wiped.length = 0;
  await waitFor(() => h.adapter.me !== undefined, 'the bot user');
});
afterEach(async () => {
  await h.close();
});

const token = slashTokens[0] ?? '';
const golden = (value: unknown): string => JSON.stringify(value, null, 2) + '\n';
const hasButtons = (post: FakePost): boolean => JSON.stringify(post.props).includes('"actions"');

/** `/pes wipe moodle` by the admin: the bot's prompt post and its code. */
async function prompt(): Promise<{ post: FakePost; code: string }> {
  await h.fake.slash(h.commandUrl, token, h.admin, h.ops, 'wipe moodle');
  let post: FakePost | undefined;
  await waitFor(() => {
    post = h.fake.data.botPosts(h.ops.id).find((p) => hasButtons(p));
    return post !== undefined;
  }, 'the prompt post');
  const code = /Confirmation (\w{4}) needed/.exec(visibleText(post as FakePost))?.[1] ?? '';
  expect(code).toMatch(/^\w{4}$/);
  return { post: post as FakePost, code };
}

const current = (post: FakePost): FakePost => h.fake.data.post(post.id) ?? post;

describe('a decided prompt in Mattermost', () => {
  it('is edited when the decision is typed in a post, as a click edits it', async () => {
    const { post, code } = await prompt();
    h.fake.say(h.admin, h.ops, `@${h.fake.bot.username} confirm ${code}`);
    await waitFor(() => wiped.includes('moodle'), 'the job');
    await waitFor(() => !hasButtons(current(post)), 'the prompt edited');
    const text = visibleText(current(post));
    expect(text).toContain(`Confirmation ${code}: confirmed`);
    expect(text).toContain('All data of moodle will be deleted.');
    expect(text).toMatch(/Confirmed by @anna — \d{4}-\d\d-\d\d \d\d:\d\d \S+/);
  });

  it('is edited when the decision is a slash command', async () => {
    const { post, code } = await prompt();
    const answer = await h.fake.slash(h.commandUrl, token, h.admin, h.ops, `decline ${code}`);
    expect(answer.status).toBe(200);
    await waitFor(() => !hasButtons(current(post)), 'the prompt edited');
    const text = visibleText(current(post));
    expect(text).toContain(`Confirmation ${code}: cancelled`);
    expect(text).toContain('All data of moodle will be deleted.');
    expect(text).toMatch(/Cancelled by @anna — .+; nothing was changed\./);
    expect(wiped).toEqual([]);
  });

  it('is edited when the decision was made in the terminal of pes serve', async () => {
    const { post, code } = await prompt();
    // What the prompt of `pes serve` does after a typed decision (src/cli/serve.ts).
    expect(h.adapter.settlePrompt(code)).toBe(false);
    const outcome = await h.bot.invoke(
      {
        actorId: `mattermost:${h.admin.id}`,
        displayName: 'anna',
        room: { id: 'terminal' },
        source: 'terminal',
        text: `decline ${code}`,
      },
      { confirm: { kind: 'refuse' }, reply: () => undefined, progress: () => undefined },
    );
    expect(outcome.status).toBe('ok');
    expect(h.adapter.settlePrompt(code)).toBe(true);
    await waitFor(() => !hasButtons(current(post)), 'the prompt edited');
    expect(visibleText(current(post))).toContain(`Confirmation ${code}: cancelled`);
    expect(visibleText(current(post))).toContain('All data of moodle will be deleted.');
  });

  it('names who decided, not someone refused afterwards', async () => {
    const { post, code } = await prompt();
    // Anna decides in the terminal of pes serve; her name is known from her slash command.
    const outcome = await h.bot.invoke(
      {
        actorId: `mattermost:${h.admin.id}`,
        displayName: 'anna',
        room: { id: 'terminal' },
        source: 'terminal',
        text: `decline ${code}`,
      },
      { confirm: { kind: 'refuse' }, reply: () => undefined, progress: () => undefined },
    );
    expect(outcome.status).toBe('ok');
    // Oleg's `confirm` comes after and is refused; his is the first edit of the prompt.
    await h.fake.slash(h.commandUrl, token, h.operator, h.ops, `confirm ${code}`);
    await waitFor(() => !hasButtons(current(post)), 'the prompt edited');
    const text = visibleText(current(post));
    expect(text).toContain(`Confirmation ${code}: cancelled`);
    expect(text).toMatch(/Cancelled by @anna — /);
    expect(text).not.toContain('oleg');
    expect(wiped).toEqual([]);
  });

  it('is edited by the housekeeping when another process decided it', async () => {
    const { post, code } = await prompt();
    // As a separate `pes confirm` in a shell does: the store changes, no handler here sees it.
    expect(h.confirmations.decide(code, 'declined', `mattermost:${h.admin.id}`)).toBe(true);
    expect(hasButtons(current(post))).toBe(true);
    expect(h.adapter.settlePrompts()).toBe(1);
    await waitFor(() => !hasButtons(current(post)), 'the prompt edited');
    expect(visibleText(current(post))).toContain(`Confirmation ${code}: cancelled`);
    // Once edited it is not looked at again.
    expect(h.adapter.settlePrompts()).toBe(0);
  });

  it('refuses someone who may not decide, naming the command and who may', async () => {
    const { post, code } = await prompt();
    const click = await h.fake.click(h.operator, post, 0);
    const refusal = String(click.body['ephemeral_text']);
    expect(refusal).toContain('“wipe moodle”');
    expect(refusal).toContain(code);
    expect(refusal).not.toMatch(/“confirm/);
    expect(refusal).toMatch(/Who may decide: .*admin/);
    expect(hasButtons(current(post))).toBe(true);
  });

  it('reads the same in both languages (golden)', async () => {
    const confirmation: Confirmation = {
      code: '7F3K',
      text: 'restore moodle latest',
      command: 'restore',
      actor: 'mattermost:anna',
      room: 'mattermost:ops',
      description:
        'Restore moodle from snapshot 4f2a9c1e; overwrites volumes moodle_data, moodle_db.',
      step: 0,
      createdAt: new Date('2026-12-06T00:10:00Z'),
      expiresAt: new Date('2026-12-06T00:15:00Z'),
      state: 'confirmed',
      decidedBy: 'mattermost:anna',
      decidedAt: new Date('2026-12-06T00:12:30Z'),
    };
    // The description is written in the room's language by the command.
    const descriptions = {
      ru: 'moodle будет восстановлен из снимка 4f2a9c1e; тома moodle_data, moodle_db будут перезаписаны.',
      en: confirmation.description,
    };
    for (const locale of ['ru', 'en'] as const) {
      const posts = (['confirmed', 'declined', 'expired'] as const).map((state) => {
        const description = descriptions[locale];
        const message = decidedPromptMessage({ ...confirmation, state, description }, locale, {
          who: { actorId: 'mattermost:anna', name: '@anna' },
          timeZone: 'Europe/Moscow',
        });
        return message === undefined ? undefined : renderMessage(message, locale);
      });
      await expect(golden(posts)).toMatchFileSnapshot(`./golden/decided-prompt-${locale}.json`);
    }
  });
});
