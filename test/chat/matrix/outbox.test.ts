/**
 * What survives: a restart resumes /sync from the stored token without replaying old
 * commands; a 429 storm, lost answers and a restart with unsent messages post every message
 * exactly once (the stored transaction id makes a repeated send the same event).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from './harness.ts';

let h: Harness;

beforeEach(async () => {
  h = await startHarness();
  await h.ready();
});

afterEach(async () => {
  await h.close();
});

const bodies = (): string[] => h.botMessages(h.ops).map((e) => String(e.content['body']));
const count = (word: string): number => bodies().filter((b) => b.includes(word)).length;

describe('matrix outbox and sync', () => {
  it('resumes from the stored sync token after a restart without replaying old commands', async () => {
    h.hs.say(h.admin, h.ops, '!pes echo first-command');
    await h.botSays(h.ops, /first-command/);
    await h.restart(() => {
      // Without the per-event claims, only the stored token can keep old commands from
      // running again.
      h.db.exec('DELETE FROM matrix_seen');
      // Typed while the bot is down: answered once after the restart (an initial sync
      // without the token would have treated it as history).
      h.hs.say(h.admin, h.ops, '!pes echo while-away');
    });
    await h.botSays(h.ops, /while-away/);
    // Before the restart's first sync the client replays its saved rooms; none of that runs.
    await waitFor(() => h.adapter.prepared, 'the sync after the restart');
    h.hs.say(h.admin, h.ops, '!pes echo after-restart');
    await h.botSays(h.ops, /after-restart/);
    await h.adapter.settled();
    expect(count('first-command')).toBe(1);
    expect(count('while-away')).toBe(1);
    expect(count('after-restart')).toBe(1);
    // The first /sync after the restart carried the stored token: no initial sync again.
    const row = h.db.prepare('SELECT next_batch FROM matrix_sync').get() as
      { next_batch: string } | undefined;
    expect(row?.next_batch).toBeTruthy();
  });

  it('reads back a gap after a restart: commands beyond one sync are answered once', async () => {
    await h.restart(() => {
      h.hs.timelineLimit = 3;
      h.hs.say(h.admin, h.ops, '!pes echo gap-first');
      for (let i = 0; i < 8; i++) h.hs.say(h.operator, h.ops, `chatter ${i}`);
      h.hs.say(h.admin, h.ops, '!pes echo gap-second');
      for (let i = 0; i < 5; i++) h.hs.say(h.operator, h.ops, `more chatter ${i}`);
    });
    await h.botSays(h.ops, /gap-first/);
    await h.botSays(h.ops, /gap-second/);
    h.hs.say(h.admin, h.ops, '!pes echo gap-after');
    await h.botSays(h.ops, /gap-after/);
    await h.adapter.settled();
    expect(count('gap-first')).toBe(1);
    expect(count('gap-second')).toBe(1);
    expect(h.hs.requests.some((r) => r.endpoint === 'messages')).toBe(true);
  });

  it('announces once per key into a matrix room, and refuses other rooms', async () => {
    const message = { severity: 'warning' as const, text: 'job 7 was interrupted' };
    const room = `matrix:${h.ops.roomId}`;
    expect(h.adapter.announce(room, message, 'interrupted:7')).toBe(true);
    expect(h.adapter.announce(room, message, 'interrupted:7')).toBe(true);
    expect(h.adapter.announce('mattermost:' + 'c'.repeat(26), message, 'x')).toBe(false);
    await h.botSays(h.ops, /job 7 was interrupted/);
    await sleep(300);
    expect(count('job 7 was interrupted')).toBe(1);
  });

  it('posts every message exactly once through a 429 storm', async () => {
    // retry_after_ms only (a server before v1.10 sends no Retry-After header).
    h.hs.rateLimit({ endpoint: 'send', times: 25, retryAfterMs: 150, omitHeader: true });
    for (let i = 1; i <= 6; i++) h.hs.say(h.admin, h.ops, `!pes echo storm-${i}`);
    await waitFor(
      () => [1, 2, 3, 4, 5, 6].every((i) => count(`storm-${i}`) > 0),
      'all answers',
      20_000,
    );
    await h.adapter.settled();
    await sleep(300);
    for (let i = 1; i <= 6; i++) expect(count(`storm-${i}`)).toBe(1);
    expect(h.hs.count(429, 'send')).toBe(25);
    // In the order the commands came.
    expect(bodies().map((b) => /storm-(\d)/.exec(b)?.[1])).toEqual(['1', '2', '3', '4', '5', '6']);
  });

  it('waits as long as Retry-After says', async () => {
    h.hs.rateLimit({ endpoint: 'send', times: 1, retryAfterMs: 1000 });
    h.hs.say(h.admin, h.ops, '!pes echo patient');
    await h.botSays(h.ops, /patient/);
    const sends = h.hs.requests.filter((r) => r.endpoint === 'send');
    const limited = sends.find((r) => r.status === 429);
    const next = sends.find((r) => r.status === 200 && r.at > (limited?.at ?? 0));
    expect(limited).toBeDefined();
    expect((next?.at ?? 0) - (limited?.at ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it('posts once when the answer to a send is lost, by reusing its transaction id', async () => {
    h.hs.fail({ endpoint: 'send', kind: 'stored-then-502', times: 1 });
    h.hs.fail({ endpoint: 'send', kind: 'stored-then-drop', times: 1 });
    h.hs.say(h.admin, h.ops, '!pes echo lost-answer-1');
    h.hs.say(h.admin, h.ops, '!pes echo lost-answer-2');
    await waitFor(
      () => count('lost-answer-1') > 0 && count('lost-answer-2') > 0,
      'the answers',
      20_000,
    );
    await sleep(500);
    expect(count('lost-answer-1')).toBe(1);
    expect(count('lost-answer-2')).toBe(1);
  });

  it('sends what was queued before a restart, once, when the homeserver is back', async () => {
    h.hs.rateLimit({ endpoint: 'send', times: 1000, retryAfterMs: 100 });
    h.hs.say(h.admin, h.ops, '!pes echo queued-1');
    h.hs.say(h.admin, h.ops, '!pes echo queued-2');
    await waitFor(() => h.hs.count(429, 'send') >= 2, 'the sends to be refused');
    await h.restart(() => h.hs.clearFaults());
    await waitFor(
      () => count('queued-1') > 0 && count('queued-2') > 0,
      'the queued answers',
      20_000,
    );
    await sleep(300);
    expect(count('queued-1')).toBe(1);
    expect(count('queued-2')).toBe(1);
  });
});
