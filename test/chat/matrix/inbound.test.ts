/** What counts as a command, a reaction or an acceptable invitation in Matrix. */
import { describe, expect, it } from 'vitest';
import {
  acceptsInvite,
  commandIn,
  reactionOf,
  stripReplyFallback,
  textMessage,
  type InboundEvent,
} from '../../../src/chat/matrix/inbound.ts';

const event = (content: Record<string, unknown>, type = 'm.room.message'): InboundEvent => ({
  eventId: '$e',
  roomId: '!r:s',
  sender: '@anna:s',
  type,
  originTs: 0,
  content,
  encrypted: false,
  roomEncrypted: false,
});

describe('matrix inbound', () => {
  it('takes !pes in rooms and anything in a direct chat', () => {
    expect(commandIn('!pes status moodle', false)).toBe('status moodle');
    expect(commandIn('  !PES  status', false)).toBe('status');
    expect(commandIn('!pes', false)).toBe('');
    expect(commandIn('!pesky status', false)).toBeUndefined();
    expect(commandIn('status moodle', false)).toBeUndefined();
    expect(commandIn('status moodle', true)).toBe('status moodle');
    expect(commandIn('pes status', true)).toBe('status');
    expect(commandIn('!pes status', true)).toBe('status');
  });

  it('reads text messages only: no notices (other bots), no edits', () => {
    expect(textMessage(event({ msgtype: 'm.text', body: '!pes help' }))?.body).toBe('!pes help');
    expect(textMessage(event({ msgtype: 'm.notice', body: '!pes help' }))).toBeUndefined();
    expect(
      textMessage(
        event({
          msgtype: 'm.text',
          body: '* !pes help',
          'm.relates_to': { rel_type: 'm.replace', event_id: '$x' },
        }),
      ),
    ).toBeUndefined();
    expect(
      textMessage(
        event({
          msgtype: 'm.text',
          body: '!pes help',
          'm.relates_to': { rel_type: 'm.thread', event_id: '$root' },
        }),
      )?.threadRoot,
    ).toBe('$root');
    expect(textMessage(event({ msgtype: 'm.text', body: 5 }))).toBeUndefined();
  });

  it('drops the quote of an older client’s reply fallback', () => {
    expect(stripReplyFallback('> <@bot:s> result\n> more\n\n!pes status')).toBe('!pes status');
    expect(stripReplyFallback('!pes status')).toBe('!pes status');
  });

  it('reads annotations', () => {
    const rel = { rel_type: 'm.annotation', event_id: '$t', key: '✅' };
    expect(reactionOf(event({ 'm.relates_to': rel }, 'm.reaction'))).toEqual({
      target: '$t',
      key: '✅',
    });
    expect(
      reactionOf(event({ 'm.relates_to': { ...rel, rel_type: 'm.reference' } }, 'm.reaction')),
    ).toBeUndefined();
    expect(reactionOf(event({ 'm.relates_to': rel }))).toBeUndefined();
  });

  it('accepts invitations from allowed people or into allowed rooms only', () => {
    const settings = { allowedInviters: ['@anna:s'], allowedRooms: ['!ops:s'] };
    expect(acceptsInvite(settings, '@anna:s', '!any:s')).toBe(true);
    expect(acceptsInvite(settings, '@sam:s', '!ops:s')).toBe(true);
    expect(acceptsInvite(settings, '@sam:s', '!any:s')).toBe(false);
    expect(acceptsInvite(settings, undefined, '!any:s')).toBe(false);
    expect(acceptsInvite({ allowedInviters: [], allowedRooms: [] }, '@anna:s', '!ops:s')).toBe(
      false,
    );
  });
});
