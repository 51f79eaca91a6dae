/**
 * In an encrypted room only what came encrypted is obeyed. Whoever runs the homeserver can
 * put a clear-text event into the room under any member's name (here: the fake server's
 * `say` and `react`, as Anna): such a command is refused in one line and not run, and a
 * reaction decides nothing (clients send reactions in clear text even in encrypted rooms, so
 * the bot asks for the decision to be typed, which comes encrypted).
 */
import type { MatrixClient } from 'matrix-js-sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeRoom } from '../../fakes/matrix/index.ts';
import { startSdkClient } from '../../fakes/matrix/sdk-client.ts';
import { startHarness, waitFor, wiped, type Harness } from './harness.ts';

let h: Harness;
let anna: MatrixClient;
let room: FakeRoom;
/** What Anna's client shows of the bot's messages, decrypted. */
const seen: { id: string; body: string }[] = [];

beforeEach(async () => {
  seen.length = 0;
  h = await startHarness({ settings: { cryptoPassphrase: 'passphrase-for-the-test-store' } });
  await h.ready();
  room = h.hs.createRoom(h.admin, { encrypted: true, members: [h.botUser] });
  await startSdkClient(h.hs, h.admin, {
    crypto: true,
    created: (client) => {
      anna = client;
    },
    onEvent: (event, client) => {
      if (event.getSender() !== h.botUser.userId) return;
      void client.decryptEventIfNeeded(event).then(() => {
        if (event.getType() !== 'm.room.message') return;
        seen.push({ id: event.getId() ?? '', body: String(event.getContent()['body']) });
      });
    },
  });
});

afterEach(async () => {
  anna.stopClient();
  await h.close();
});

async function annaSays(text: string): Promise<void> {
  await waitFor(() => anna.getRoom(room.roomId) !== null, 'the room in Anna’s client');
  await anna.sendTextMessage(room.roomId, text);
}

async function botSaid(match: RegExp, what: string): Promise<{ id: string; body: string }> {
  await waitFor(() => seen.some((m) => match.test(m.body)), what, 15_000);
  return seen.find((m) => match.test(m.body)) as { id: string; body: string };
}

describe('commands in an encrypted matrix room', () => {
  it('refuses a command that came in clear text, and runs the encrypted ones', async () => {
    await annaSays('!pes echo sealed words');
    await botSaid(/sealed words/, 'the answer to the encrypted command');

    h.hs.say(h.admin, room, '!pes echo injected words');
    const refusal = await botSaid(/runs only encrypted commands/, 'the refusal');
    expect(refusal.body.trim().split('\n')).toHaveLength(1);
    expect(seen.some((m) => m.body.includes('injected words'))).toBe(false);
    expect(h.logs.some((l) => l.includes('unencrypted command in an encrypted matrix room'))).toBe(
      true,
    );
  });

  it('takes no decision from a reaction, and asks for it typed', async () => {
    wiped.length = 0;
    await annaSays('!pes wipe moodle');
    const prompt = await botSaid(/Confirmation \w{4} needed/, 'the prompt');
    const code = /Confirmation (\w{4}) needed/.exec(prompt.body)?.[1] ?? '';
    h.hs.react(h.admin, room, prompt.id, '✅');
    const refusal = await botSaid(/Reactions are not encrypted/, 'the refusal');
    expect(refusal.body).toContain(`!pes confirm ${code}`);
    expect(wiped).toEqual([]);

    await annaSays(`!pes confirm ${code}`);
    await waitFor(() => wiped.length === 1, 'the typed confirmation to run the job');
    expect(wiped).toEqual(['moodle']);
  });
});

describe('commands in an encrypted matrix room, without encryption configured', () => {
  it('refuses a clear-text command there too', async () => {
    const plain = await startHarness();
    try {
      await plain.ready();
      const locked = plain.hs.createRoom(plain.admin, {
        encrypted: true,
        members: [plain.botUser],
      });
      await plain.hs.syncedPast(plain.botUser);
      plain.hs.say(plain.admin, locked, '!pes echo injected words');
      await plain.botSays(locked, /runs only encrypted commands/);
      await plain.adapter.settled();
      expect(
        plain.botMessages(locked).some((e) => String(e.content['body']).includes('injected words')),
      ).toBe(false);
    } finally {
      await plain.close();
    }
  });
});
