/**
 * Answers in the order the commands came, after an outage: the posts typed while the bot
 * was cut off are read back together and run side by side, and a slower command (`nap`,
 * 400 ms) used to be answered after the quick one that followed it. The first sends after
 * the outage fail too (500), and are retried in order. A direct chat is not held up.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../fakes/mattermost/harness.ts';
import { visibleText } from '../fakes/mattermost/index.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('Mattermost answers after an outage', () => {
  it('come in the order the commands were typed, and a direct chat is not held up', async () => {
    const t = await startHarness();
    h = t;
    const texts = (channelId: string): string[] =>
      t.fake.data.botPosts(channelId).map((p) => visibleText(p));
    await waitFor(() => t.fake.sockets.connected === 1 && t.adapter.me !== undefined, 'socket');
    await t.adapter.settled();
    // A direct chat the bot already knows, so the catch-up reads it too.
    const other = t.fake.data.directChannel(t.admin, t.fake.bot);
    t.fake.say(t.admin, other, 'echo before');
    await waitFor(() => texts(other.id).length === 1, 'the direct chat');
    t.fake.dropSockets(true);
    await waitFor(() => t.fake.sockets.stats.upgrades >= 3, 'reconnect attempts while refused');
    t.fake.say(t.admin, t.ops, '@pes whoami');
    t.fake.say(t.admin, t.ops, '@pes nap');
    t.fake.say(t.admin, t.ops, '@pes echo third');
    t.fake.say(t.admin, other, 'echo elsewhere');
    t.fake.rest.faults.push('http-500', 'http-500');
    t.fake.acceptSockets();
    await waitFor(() => texts(t.ops.id).length >= 3, 'the three answers', 30_000);
    const order = texts(t.ops.id).map((text) => {
      if (text.includes('rested')) return 'nap';
      if (text.includes('third')) return 'echo';
      return text.includes('Who you are') ? 'whoami' : text;
    });
    expect(order).toEqual(['whoami', 'nap', 'echo']);
    await waitFor(() => texts(other.id).length > 1, 'the other channel');
    const at = (channelId: string, word: string): number =>
      t.fake.data.botPosts(channelId).find((p) => visibleText(p).includes(word))?.create_at ??
      Number.NaN;
    expect(at(other.id, 'elsewhere')).toBeLessThanOrEqual(at(t.ops.id, 'third'));
  });
});
