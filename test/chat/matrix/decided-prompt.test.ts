/**
 * A confirmation prompt in Matrix once decided, as it is rendered: what it was about, who
 * decided and when (in the configured zone), no reaction menu; in both languages (golden);
 * and a refusal to someone who may not decide names the command that waits and who may.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderMessage } from '../../../src/chat/matrix/render.ts';
import type { Confirmation } from '../../../src/core/confirmations.ts';
import { decidedPromptMessage } from '../../../src/core/confirmation-story.ts';
import { startHarness, waitFor, type Harness } from './harness.ts';

const golden = (value: unknown): string => JSON.stringify(value, null, 2) + '\n';

describe('a decided prompt in Matrix', () => {
  it('reads the same in both languages (golden)', async () => {
    const confirmation: Confirmation = {
      code: '7F3K',
      text: 'restore moodle latest',
      command: 'restore',
      actor: 'matrix:@anna:example.org',
      room: 'matrix:!ops:example.org',
      description: '',
      step: 0,
      createdAt: new Date('2026-12-06T00:10:00Z'),
      expiresAt: new Date('2026-12-06T00:15:00Z'),
      state: 'confirmed',
      decidedBy: 'matrix:@anna:example.org',
      decidedAt: new Date('2026-12-06T00:12:30Z'),
    };
    // The description is written in the room's language by the command.
    const descriptions = {
      ru: 'moodle будет восстановлен из снимка 4f2a9c1e; тома moodle_data, moodle_db будут перезаписаны.',
      en: 'Restore moodle from snapshot 4f2a9c1e; overwrites volumes moodle_data, moodle_db.',
    };
    for (const locale of ['ru', 'en'] as const) {
      const events = (['confirmed', 'declined', 'expired'] as const).map((state) => {
        const description = descriptions[locale];
        // Without a name for the decider, their Matrix id.
        const message = decidedPromptMessage({ ...confirmation, state, description }, locale, {
          timeZone: 'Europe/Moscow',
        });
        return message === undefined ? undefined : renderMessage(message, locale);
      });
      await expect(golden(events)).toMatchFileSnapshot(`./golden/decided-prompt-${locale}.json`);
    }
  });
});

describe('a refusal to decide in Matrix', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
    await h.ready();
  });
  afterEach(async () => {
    await h.close();
  });

  it('names the command that waits and who may decide', async () => {
    h.hs.say(h.admin, h.ops, '!pes wipe moodle');
    const prompt = await h.botSays(h.ops, /Confirmation \w{4} needed/);
    const code = /Confirmation (\w{4}) needed/.exec(String(prompt.content['body']))?.[1] ?? '';
    h.hs.say(h.operator, h.ops, `!pes confirm ${code}`);
    const refusal = await h.botSays(h.ops, /may not decide/);
    const text = String(refusal.content['body']);
    expect(text).toContain('“wipe moodle”');
    expect(text).toContain(code);
    expect(text).toMatch(/Who may decide: .*admin/);
  });

  it('edits the prompt at once when the decision is typed in a direct chat', async () => {
    h.hs.say(h.admin, h.ops, '!pes wipe moodle');
    const prompt = await h.botSays(h.ops, /Confirmation \w{4} needed/);
    const code = /Confirmation (\w{4}) needed/.exec(String(prompt.content['body']))?.[1] ?? '';
    const dm = h.hs.createRoom(h.admin, { direct: true, invite: [h.botUser] });
    h.hs.say(h.admin, dm, `decline ${code}`);
    // Long before the periodic pass (every 30 s) would find it.
    await waitFor(
      () => /: cancelled/.test(String(h.hs.currentContent(h.ops, prompt)['body'])),
      'the prompt in the room edited',
      5000,
    );
    expect(String(h.hs.currentContent(h.ops, prompt)['body'])).toContain(
      'All data of moodle will be deleted.',
    );
  });
});
