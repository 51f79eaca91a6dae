import { describe, expect, it } from 'vitest';
import {
  commandInPost,
  isDirectChannelName,
  isServed,
  parseActionRequest,
  parseSlashRequest,
  tokenFromHeader,
} from '../../../src/chat/mattermost/inbound.ts';
import { isKnownToken } from '../../../src/chat/mattermost/slash.ts';
import { postFromEvent } from '../../../src/chat/mattermost/websocket.ts';

const id = (c: string): string => c.repeat(26);

describe('Mattermost inbound', () => {
  it('takes the command after a mention, or the whole direct message', () => {
    expect(commandInPost('@pes status moodle', 'pes', false)).toBe('status moodle');
    expect(commandInPost('hey @PES: status', 'pes', false)).toBe('status');
    expect(commandInPost('@pesky status', 'pes', false)).toBeUndefined();
    expect(commandInPost('status moodle', 'pes', false)).toBeUndefined();
    expect(commandInPost('status moodle', 'pes', true)).toBe('status moodle');
    expect(commandInPost('/pes status', 'pes', true)).toBe('status');
    expect(commandInPost('@pes', 'pes', false)).toBe('');
  });

  it('reads the slash form, with the token from the form or the header', () => {
    const form = new URLSearchParams({
      channel_id: id('c'),
      user_id: id('u'),
      text: ' jobs ',
      user_name: 'anna',
    });
    expect(parseSlashRequest(form, 'from-header')).toMatchObject({
      token: 'from-header',
      channelId: id('c'),
      text: 'jobs',
      rootId: undefined,
    });
    form.set('channel_id', 'not an id');
    expect(parseSlashRequest(form, undefined)).toBeUndefined();
    expect(tokenFromHeader('Token abc')).toBe('abc');
    expect(tokenFromHeader('Bearer abc')).toBeUndefined();
  });

  it('compares tokens against every configured one', () => {
    expect(isKnownToken('b', ['a', 'b'])).toBe(true);
    expect(isKnownToken('c', ['a', 'b'])).toBe(false);
    expect(isKnownToken('', [''])).toBe(false);
  });

  it('reads a click, and knows direct channels and served ones', () => {
    expect(
      parseActionRequest({ user_id: id('u'), channel_id: id('c'), post_id: id('p'), context: {} }),
    ).toMatchObject({
      userName: id('u'),
    });
    expect(parseActionRequest({ user_id: 'x' })).toBeUndefined();
    expect(isDirectChannelName(`${id('a')}__${id('b')}`)).toBe(true);
    expect(isServed({ channels: [] }, id('c'), false)).toBe(true);
    expect(isServed({ channels: [id('d')] }, id('c'), false)).toBe(false);
    expect(isServed({ channels: [id('d')] }, id('c'), true)).toBe(true);
  });

  it('reads the post of a posted event from its JSON string', () => {
    const post = {
      id: id('p'),
      user_id: id('u'),
      channel_id: id('c'),
      message: 'hi',
      create_at: 1,
      root_id: '',
    };
    const found = postFromEvent({
      post: JSON.stringify(post),
      channel_type: 'D',
      sender_name: '@anna',
    });
    expect(found).toMatchObject({
      channelType: 'D',
      senderName: '@anna',
      post: { message: 'hi', type: '' },
    });
    expect(postFromEvent({ post })).toBeUndefined();
    expect(postFromEvent({ post: '{not json' })).toBeUndefined();
  });
});
