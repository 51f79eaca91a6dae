/**
 * Matrix has no ephemeral messages: a refusal, a busy service included, is a reply to the
 * command that asked (in its thread, if any), like every other refusal, never a post of its
 * own to the room.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.ts';

let h: Harness;

beforeEach(async () => {
  h = await startHarness();
  await h.ready();
});

afterEach(async () => {
  await h.close();
});

describe('matrix busy answer', () => {
  it('answers "busy" as a reply to the command, as it answers any refusal', async () => {
    h.hs.say(h.operator, h.ops, '!pes crunch moodle 25');
    await h.botSays(h.ops, /%/);
    const asked = h.hs.say(h.admin, h.ops, '!pes crunch moodle');
    const busy = await h.botSays(h.ops, /moodle is busy/);
    expect(busy.content['m.relates_to']).toEqual({ 'm.in_reply_to': { event_id: asked.event_id } });
    const denied = h.hs.say(h.stranger, h.ops, '!pes crunch moodle');
    const refusal = await h.botSays(h.ops, /may not run crunch|no role/i);
    expect(refusal.content['m.relates_to']).toEqual({
      'm.in_reply_to': { event_id: denied.event_id },
    });
  }, 20_000);
});
