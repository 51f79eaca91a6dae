/**
 * Confirmations in Matrix: the prompt offers ✅ / ❌ reactions (the bot reacts first, so they
 * are one click away) and a text fallback; only people allowed to decide count; the prompt
 * is edited to show who decided.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ClientEvent } from '../../fakes/matrix/index.ts';
import { startHarness, waitFor, wiped, type Harness } from './harness.ts';

let h: Harness;

beforeEach(async () => {
  wiped.length = 0;
  h = await startHarness();
  await h.ready();
});

afterEach(async () => {
  await h.close();
});

const body = (e: { content: Record<string, unknown> }): string => String(e.content['body']);

async function prompt(): Promise<{ event: ClientEvent; code: string }> {
  h.hs.say(h.admin, h.ops, '!pes wipe moodle');
  const event = await h.botSays(h.ops, /Confirmation \w{4} needed/);
  const code = /Confirmation (\w{4}) needed/.exec(body(event))?.[1] ?? '';
  // The bot's own reactions make the menu.
  await waitFor(
    () => h.hs.relations(h.ops, event, 'm.annotation').length === 2,
    'the reaction menu',
  );
  return { event, code };
}

/**
 * The decided prompt keeps what it was about and says when it was decided (a time naming
 * its zone), and offers nothing more to do.
 */
function expectStory(event: ClientEvent, state: 'confirmed' | 'cancelled'): void {
  const text = body({ content: h.hs.currentContent(h.ops, event) });
  expect(text).toMatch(new RegExp(`Confirmation \\w{4}: ${state}`));
  expect(text).toContain('All data of moodle will be deleted.');
  expect(text).toMatch(/— \d{4}-\d\d-\d\d \d\d:\d\d \S+/);
  expect(text).not.toMatch(/confirm \w{4}|decline \w{4}/);
}

describe('matrix confirmations', () => {
  it('offers ✅ / ❌ and the text fallback', async () => {
    const { event, code } = await prompt();
    expect(body(event)).toContain(`!pes confirm ${code}`);
    const keys = h.hs
      .relations(h.ops, event, 'm.annotation')
      .map((r) => (r.content['m.relates_to'] as { key: string }).key);
    expect(keys).toEqual(['✅', '❌']);
    expect(wiped).toEqual([]);
  });

  it('runs the job when an allowed person reacts ✅, and shows who decided', async () => {
    const { event } = await prompt();
    h.hs.react(h.admin, h.ops, event, '✅');
    await h.botSays(h.ops, /wiped moodle/);
    expect(wiped).toEqual(['moodle']);
    await waitFor(
      () =>
        /Confirmed by (?:@anna:pes\.test|anna) — /.test(
          body({ content: h.hs.currentContent(h.ops, event) }),
        ),
      'the prompt to show who decided',
    );
    expect(h.hs.currentContent(h.ops, event)['formatted_body']).not.toContain('!pes confirm');
    expectStory(event, 'confirmed');
  });

  it('ignores reactions from people not allowed to decide', async () => {
    const { event } = await prompt();
    const before = h.botMessages(h.ops).length;
    h.hs.react(h.operator, h.ops, event, '✅');
    h.hs.react(h.stranger, h.ops, event, '✅\uFE0F');
    await waitFor(
      () => h.logs.filter((l) => l.includes('reaction refused')).length === 2,
      'both reactions to be refused',
    );
    await h.adapter.settled();
    await sleep(200);
    expect(wiped).toEqual([]);
    expect(h.botMessages(h.ops)).toHaveLength(before);
    expect(body({ content: h.hs.currentContent(h.ops, event) })).toMatch(
      /Confirmation \w{4} needed/,
    );
    // The allowed person still can.
    h.hs.react(h.admin, h.ops, event, '✅');
    await h.botSays(h.ops, /wiped moodle/);
    expect(wiped).toEqual(['moodle']);
  });

  it('cancels on ❌ and says so in the prompt', async () => {
    const { event } = await prompt();
    h.hs.react(h.admin, h.ops, event, '❌');
    await waitFor(
      () =>
        /Cancelled by (?:@anna:pes\.test|anna) — /.test(
          body({ content: h.hs.currentContent(h.ops, event) }),
        ),
      'the prompt to show the cancellation',
    );
    expectStory(event, 'cancelled');
    h.hs.react(h.admin, h.ops, event, '✅');
    await sleep(500);
    await h.adapter.settled();
    expect(wiped).toEqual([]);
  });

  it('accepts the text fallback and edits the prompt too', async () => {
    const { event, code } = await prompt();
    h.hs.say(h.admin, h.ops, `!pes confirm ${code}`);
    await h.botSays(h.ops, /wiped moodle/);
    await waitFor(
      () =>
        /Confirmed by (?:@anna:pes\.test|anna) — /.test(
          body({ content: h.hs.currentContent(h.ops, event) }),
        ),
      'the prompt to show who decided',
    );
    expect(wiped).toEqual(['moodle']);
    expectStory(event, 'confirmed');
  });
});
