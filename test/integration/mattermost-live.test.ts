/**
 * Against a real Mattermost, when PES_MM_URL and PES_MM_TOKEN (a bot token) are set; skipped
 * otherwise (no Mattermost is reachable from the test machines). Optional PES_MM_CHANNEL: a
 * channel id the bot may post in, to check a post and an edit.
 */
import { describe, expect, it } from 'vitest';
import { MattermostClient } from '../../src/chat/mattermost/client.ts';
import { MattermostSocket } from '../../src/chat/mattermost/websocket.ts';
import { createLogger } from '../../src/core/logger.ts';

const url = process.env['PES_MM_URL'];
const token = process.env['PES_MM_TOKEN'];
const channel = process.env['PES_MM_CHANNEL'];

describe.skipIf(url === undefined || token === undefined)('live Mattermost', () => {
  it('knows the bot account, connects the WebSocket, and posts and edits', async () => {
    const client = new MattermostClient({ url: url ?? '', token: token ?? '' });
    const me = await client.getMe();
    expect(me.id).toMatch(/^[a-z0-9]{26}$/);
    let hellos = 0;
    const socket = new MattermostSocket({
      url: url ?? '',
      token: token ?? '',
      log: createLogger({ level: 'silent' }),
      onPost: () => undefined,
      onHello: () => hellos++,
    });
    socket.start();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    socket.stop();
    expect(hellos).toBe(1);
    if (channel !== undefined) {
      const post = await client.createPost({ channel_id: channel, message: 'pes-bot live test' });
      const edited = await client.patchPost({ id: post.id, message: 'pes-bot live test (edited)' });
      expect(edited.message).toContain('edited');
    }
  }, 20_000);
});
