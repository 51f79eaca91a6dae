/**
 * The fake as an end-to-end-encryption relay: two matrix-js-sdk 43 clients with the Rust
 * crypto (WASM, keys in memory) exchange messages in an encrypted room through it. The server
 * only stores and forwards keys and to-device messages; everything secret happens in the
 * clients, so the room holds nothing but `m.room.encrypted` events.
 */
import { MatrixEventEvent, MsgType, type MatrixClient, type MatrixEvent } from 'matrix-js-sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeHomeserver, type FakeMatrixUser, type FakeRoom } from './index.ts';
import { silenceSdkRootLogger, startSdkClient } from './sdk-client.ts';

silenceSdkRootLogger();

let hs: FakeHomeserver;
let anna: FakeMatrixUser;
let bot: FakeMatrixUser;
let room: FakeRoom;
const clients: MatrixClient[] = [];

beforeEach(async () => {
  hs = await new FakeHomeserver().start();
  anna = hs.addUser('anna');
  bot = hs.addUser('pes');
  room = hs.createRoom(anna, { encrypted: true, members: [bot] });
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.stopClient();
  await hs.close();
});

/** A started client with Rust crypto; `texts` collects decrypted message bodies. */
async function start(user: FakeMatrixUser): Promise<{ c: MatrixClient; texts: string[] }> {
  const texts: string[] = [];
  const collect = (event: MatrixEvent): void => {
    const content: Record<string, unknown> = event.getContent();
    if (event.getType() === 'm.room.message' && typeof content['body'] === 'string') {
      texts.push(content['body']);
    }
  };
  const c = await startSdkClient(hs, user, {
    crypto: true,
    created: (created) => clients.push(created),
    onEvent: (event) => {
      if (event.isBeingDecrypted() || event.isEncrypted()) {
        event.once(MatrixEventEvent.Decrypted, collect);
      }
      collect(event);
    },
  });
  return { c, texts };
}

/** Waits until `c` has downloaded the device keys of `user` (via `/keys/query`). */
async function knows(c: MatrixClient, user: FakeMatrixUser): Promise<void> {
  const crypto = c.getCrypto();
  if (crypto === undefined) throw new Error('no crypto');
  const deadline = Date.now() + 20_000;
  for (;;) {
    const devices = await crypto.getUserDeviceInfo([user.userId], true);
    if (devices.get(user.userId)?.has(user.deviceId) === true) return;
    if (Date.now() > deadline) throw new Error(`${user.userId} keys never arrived`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('end-to-end encryption through the fake', () => {
  it('relays keys and to-device messages so two clients read each other', async () => {
    const a = await start(anna);
    const b = await start(bot);
    // Each side must know the other's device before it encrypts for it, as in a real room.
    await knows(a.c, bot);
    await knows(b.c, anna);
    await a.c.sendMessage(room.roomId, { msgtype: MsgType.Text, body: '!pes status' });
    await until(() => b.texts.includes('!pes status'), 'the bot to decrypt');
    await b.c.sendMessage(room.roomId, { msgtype: MsgType.Notice, body: 'all green' });
    await until(() => a.texts.includes('all green'), 'anna to decrypt');

    const messages = hs
      .roomEvents(room)
      .filter((e) => e.type === 'm.room.encrypted' || e.type === 'm.room.message');
    expect(messages.map((e) => e.type)).toEqual(['m.room.encrypted', 'm.room.encrypted']);
    expect(JSON.stringify(messages)).not.toContain('all green');
    expect(hs.count(200, 'send_to_device')).toBeGreaterThan(0);
    expect(hs.count(200, 'keys_claim')).toBeGreaterThan(0);
  });

  it('refuses the keys of a device that lost its crypto store, so it cannot read on', async () => {
    const a = await start(anna);
    const b = await start(bot);
    await knows(a.c, bot);
    await knows(b.c, anna);
    await a.c.sendMessage(room.roomId, { msgtype: MsgType.Text, body: 'first' });
    await until(() => b.texts.includes('first'), 'the bot to decrypt');
    b.c.stopClient();
    // Same device id, new (empty) crypto store: a new account whose one-time key ids collide
    // with the ones still on the server, which refuses them as Synapse does.
    const fresh = await start(bot);
    await until(() => hs.count(400, 'keys_upload') > 0, 'the refused key upload');
    await a.c.sendMessage(room.roomId, { msgtype: MsgType.Text, body: 'second' });
    const undecryptable = (): number =>
      fresh.texts.filter((t) => t.startsWith('** Unable to decrypt')).length;
    await until(() => undecryptable() === 2, 'both messages to stay unreadable');
    expect(fresh.texts).not.toContain('second');
  });
});
