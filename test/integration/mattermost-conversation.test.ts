/**
 * The bot in conversation over the WebSocket: direct messages and @mentions are commands,
 * its own posts are not, and after a dropped connection it reconnects and answers what was
 * missed exactly once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../fakes/mattermost/harness.ts';
import { visibleText } from '../fakes/mattermost/index.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function connected(): Promise<Harness> {
  const harness = await startHarness();
  h = harness;
  await waitFor(
    () => harness.fake.sockets.connected === 1 && harness.adapter.me !== undefined,
    'the socket',
  );
  await harness.adapter.settled();
  return harness;
}

function answers(harness: Harness, channelId: string, text: string): number {
  return harness.fake.data.botPosts(channelId).filter((p) => visibleText(p).includes(text)).length;
}

describe('Mattermost conversation', () => {
  it('answers a direct message', async () => {
    const t = await connected();
    const dm = t.fake.data.directChannel(t.operator, t.fake.bot);
    t.fake.say(t.operator, dm, 'echo hi there');
    await waitFor(() => answers(t, dm.id, 'hi there') === 1, 'the answer');
    const answer = t.fake.data.botPosts(dm.id)[0];
    expect(answer?.root_id).toBe('');
  });

  it('answers a mention in a served channel in its thread, and ignores other posts', async () => {
    const t = await connected();
    t.fake.say(t.operator, t.ops, 'just chatting, echo nothing');
    const asked = t.fake.say(t.operator, t.ops, '@pes echo in thread');
    await waitFor(() => answers(t, t.ops.id, 'in thread') === 1, 'the answer');
    const answer = t.fake.data.botPosts(t.ops.id).find((p) => visibleText(p).includes('in thread'));
    expect(answer?.root_id).toBe(asked.id);
    await sleep(200);
    expect(t.fake.data.botPosts(t.ops.id)).toHaveLength(1);
  });

  it('never takes its own posts as commands', async () => {
    const t = await connected();
    const dm = t.fake.data.directChannel(t.operator, t.fake.bot);
    // The bot's answer to `echo echo echo` is "echo echo", itself a command were it read.
    t.fake.say(t.operator, dm, 'echo echo echo');
    await waitFor(() => answers(t, dm.id, 'echo echo') === 1, 'the answer');
    await sleep(300);
    expect(t.fake.data.botPosts(dm.id)).toHaveLength(1);
  });

  it('refuses a person without a role, privately, naming the role', async () => {
    const t = await connected();
    t.fake.say(t.stranger, t.ops, '@pes crunch moodle');
    await waitFor(() => t.fake.data.ephemerals.length === 1, 'the ephemeral answer');
    const ephemeral = t.fake.data.ephemerals[0];
    expect(ephemeral?.userId).toBe(t.stranger.id);
    expect(JSON.stringify(ephemeral?.post)).toContain('operator');
    expect(t.fake.data.botPosts(t.ops.id)).toHaveLength(0);
    expect(t.audit.last(1)[0]?.decision).toBe('denied');
  });

  it('answers "busy" privately to a mention in a channel', async () => {
    const t = await connected();
    t.fake.say(t.operator, t.ops, '@pes crunch moodle 25');
    await waitFor(() => t.fake.data.botPosts(t.ops.id).length === 1, 'the progress post');
    t.fake.say(t.admin, t.ops, '@pes crunch moodle');
    await waitFor(() => t.fake.data.ephemerals.length === 1, 'the ephemeral answer');
    const ephemeral = t.fake.data.ephemerals[0];
    expect(ephemeral?.userId).toBe(t.admin.id);
    expect(JSON.stringify(ephemeral?.post)).toContain('moodle is busy');
    const shown = t.fake.data.botPosts(t.ops.id).map((p) => visibleText(p));
    expect(shown.filter((text) => text.includes('is busy'))).toEqual([]);
  }, 20_000);

  it('reconnects after a drop and answers a DM sent meanwhile exactly once, without a login storm', async () => {
    const t = await connected();
    const dm = t.fake.data.directChannel(t.operator, t.fake.bot);
    t.fake.say(t.operator, dm, 'echo before');
    await waitFor(() => answers(t, dm.id, 'before') === 1, 'the first answer');

    t.fake.dropSockets(true);
    await waitFor(() => t.fake.sockets.stats.upgrades >= 3, 'reconnect attempts while refused');
    t.fake.say(t.operator, dm, 'echo during the drop');
    t.fake.say(t.operator, t.ops, '@pes echo mention during the drop');
    await sleep(100);
    expect(answers(t, dm.id, 'during the drop')).toBe(0);
    t.fake.acceptSockets();

    await waitFor(
      () => answers(t, dm.id, 'during the drop') === 1,
      'the missed DM answered',
      15_000,
    );
    await waitFor(
      () => answers(t, t.ops.id, 'mention during the drop') === 1,
      'the missed mention',
    );
    await t.adapter.settled();
    // Live again: a new DM is answered over the socket.
    t.fake.say(t.operator, dm, 'echo after');
    await waitFor(() => answers(t, dm.id, 'after') === 1, 'the answer after reconnecting');
    await sleep(300);
    expect(answers(t, dm.id, 'during the drop')).toBe(1);
    expect(answers(t, dm.id, 'before')).toBe(1);
    // One authentication per connection, and a handful of connections, not a storm.
    expect(t.fake.sockets.stats.authentications).toBe(2);
    expect(t.fake.rest.log.filter((r) => r.route === 'GET /api/v4/users/me')).toHaveLength(1);
  }, 30_000);

  it('answers a command typed while the bot was stopped, once, after it starts again', async () => {
    const t = await connected();
    const dm = t.fake.data.directChannel(t.operator, t.fake.bot);
    t.fake.say(t.operator, dm, 'echo first');
    await waitFor(() => answers(t, dm.id, 'first') === 1, 'the first answer');
    await t.restart(() => {
      t.fake.say(t.operator, dm, 'echo while restarting');
    });
    await waitFor(
      () => answers(t, dm.id, 'while restarting') === 1,
      'the answer after the restart',
    );
    await t.adapter.settled();
    await sleep(300);
    expect(answers(t, dm.id, 'first')).toBe(1);
    expect(answers(t, dm.id, 'while restarting')).toBe(1);
  }, 20_000);
});
