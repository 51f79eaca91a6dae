/**
 * Answers in the order the commands came, after a homeserver outage: the commands people
 * typed meanwhile arrive together and run side by side, and a slower one (here `crunch`,
 * which takes 400 ms before it says anything) used to be answered after the quick ones that
 * followed it. Another room's answers do not wait for this room's.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeRoom } from '../../fakes/matrix/index.ts';
import { startHarness, waitFor, type Harness } from './harness.ts';

let h: Harness;

beforeEach(async () => {
  h = await startHarness({ timing: { progressIntervalMs: 100 } });
  await h.ready();
});

afterEach(async () => {
  await h.close();
});

const bodies = (room: FakeRoom): string[] =>
  h.botMessages(room).map((e) => String(e.content['body']));

describe('matrix answers after an outage', () => {
  it('come in the order the commands were typed, and another room is not held up', async () => {
    const other = h.hs.createRoom(h.admin, { name: 'other', members: [h.botUser] });
    await h.hs.syncedPast(h.botUser);
    await h.hs.stop();
    h.hs.say(h.admin, h.ops, '!pes whoami');
    h.hs.say(h.admin, h.ops, '!pes crunch moodle 2');
    h.hs.say(h.admin, h.ops, '!pes echo third');
    h.hs.say(h.admin, other, '!pes echo elsewhere');
    await h.hs.start();
    await waitFor(() => bodies(h.ops).some((b) => b.includes('third')), 'the last answer', 30_000);
    await waitFor(() => bodies(h.ops).some((b) => b.includes('crunched moodle')), 'the result');
    const order = bodies(h.ops).map((b) => {
      if (b.includes('matrix:@anna')) return 'whoami';
      if (b.includes('crunched moodle')) return 'crunch';
      return b.includes('third') ? 'echo' : b;
    });
    expect(order).toEqual(['whoami', 'crunch', 'echo']);
    // The other room's answer did not wait for the slow command of this one.
    const sent = (room: FakeRoom, word: string): number =>
      h.hs.messagesBy(room, h.botUser).find((e) => String(e.content['body']).includes(word))
        ?.origin_server_ts ?? Number.NaN;
    await waitFor(() => bodies(other).length > 0, 'the other room');
    expect(sent(other, 'elsewhere')).toBeLessThanOrEqual(sent(h.ops, 'third'));
  });
});
