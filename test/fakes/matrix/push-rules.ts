/**
 * The server-default push rules every account starts with, as listed in
 * https://spec.matrix.org/v1.13/client-server-api/#predefined-rules (in that order, since the
 * order decides which rule wins). The fake never pushes; clients read these to decide what
 * notifies, and matrix-js-sdk warns about each one a server leaves out.
 */
import type { JsonObject } from './types.ts';

const sound = { set_tweak: 'sound', value: 'default' };
const highlight = { set_tweak: 'highlight' };
const match = (key: string, pattern: string): JsonObject => ({ kind: 'event_match', key, pattern });

function rule(
  ruleId: string,
  conditions: JsonObject[],
  actions: unknown[],
  enabled = true,
): JsonObject {
  return { rule_id: ruleId, default: true, enabled, conditions, actions };
}

export function defaultPushRules(userId: string): JsonObject {
  const localpart = userId.slice(1).split(':')[0] ?? '';
  return {
    global: {
      override: [
        rule('.m.rule.master', [], [], false),
        rule('.m.rule.suppress_notices', [match('content.msgtype', 'm.notice')], []),
        rule(
          '.m.rule.invite_for_me',
          [
            match('type', 'm.room.member'),
            match('content.membership', 'invite'),
            match('state_key', userId),
          ],
          ['notify', sound],
        ),
        rule('.m.rule.member_event', [match('type', 'm.room.member')], []),
        rule(
          '.m.rule.is_user_mention',
          [
            {
              kind: 'event_property_contains',
              key: 'content.m\\.mentions.user_ids',
              value: userId,
            },
          ],
          ['notify', sound, highlight],
        ),
        rule(
          '.m.rule.contains_display_name',
          [{ kind: 'contains_display_name' }],
          ['notify', sound, highlight],
        ),
        rule(
          '.m.rule.is_room_mention',
          [
            { kind: 'event_property_is', key: 'content.m\\.mentions.room', value: true },
            { kind: 'sender_notification_permission', key: 'room' },
          ],
          ['notify', highlight],
        ),
        rule(
          '.m.rule.roomnotif',
          [{ kind: 'sender_notification_permission', key: 'room' }, match('content.body', '@room')],
          ['notify', highlight],
        ),
        rule(
          '.m.rule.tombstone',
          [match('type', 'm.room.tombstone'), match('state_key', '')],
          ['notify', highlight],
        ),
        rule('.m.rule.reaction', [match('type', 'm.reaction')], []),
        rule(
          '.m.rule.room.server_acl',
          [match('type', 'm.room.server_acl'), match('state_key', '')],
          [],
        ),
        rule(
          '.m.rule.suppress_edits',
          [
            {
              kind: 'event_property_is',
              key: 'content.m\\.relates_to.rel_type',
              value: 'm.replace',
            },
          ],
          [],
        ),
      ],
      content: [
        {
          rule_id: '.m.rule.contains_user_name',
          default: true,
          enabled: true,
          pattern: localpart,
          actions: ['notify', sound, highlight],
        },
      ],
      room: [],
      sender: [],
      underride: [
        rule(
          '.m.rule.call',
          [match('type', 'm.call.invite')],
          ['notify', { set_tweak: 'sound', value: 'ring' }],
        ),
        rule(
          '.m.rule.encrypted_room_one_to_one',
          [{ kind: 'room_member_count', is: '2' }, match('type', 'm.room.encrypted')],
          ['notify', sound],
        ),
        rule(
          '.m.rule.room_one_to_one',
          [{ kind: 'room_member_count', is: '2' }, match('type', 'm.room.message')],
          ['notify', sound],
        ),
        rule('.m.rule.message', [match('type', 'm.room.message')], ['notify']),
        rule('.m.rule.encrypted', [match('type', 'm.room.encrypted')], ['notify']),
      ],
    },
  };
}
