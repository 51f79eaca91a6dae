/**
 * The Matrix front end end to end against the fake homeserver: commands in a room and in a
 * direct chat, replies as HTML notices, progress edits, and what is not a command.
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

describe('matrix conversation', () => {
  it('answers !pes in a room with an m.notice reply', async () => {
    const command = h.hs.say(h.operator, h.ops, '!pes echo hello world');
    const answer = await h.botSays(h.ops, /hello world/);
    expect(answer.content).toMatchObject({
      msgtype: 'm.notice',
      format: 'org.matrix.custom.html',
      'm.mentions': {},
      'm.relates_to': { 'm.in_reply_to': { event_id: command.event_id } },
    });
    expect(answer.content['formatted_body']).toContain('hello world');
  });
});
