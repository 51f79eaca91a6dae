/** The buttons of a bot post as the bot last wrote it, read from the outbox. */
import { describe, expect, it } from 'vitest';
import { actionIdOf } from '../../../src/chat/mattermost/action-context.ts';
import { MattermostOutbox } from '../../../src/chat/mattermost/outbox-writer.ts';
import { OutboxPostButtons } from '../../../src/chat/mattermost/post-buttons.ts';
import { renderMessage } from '../../../src/chat/mattermost/render.ts';
import type { Action } from '../../../src/core/message.ts';
import { openDatabase } from '../../../src/store/database.ts';
import { SqliteOutboxStore } from '../../../src/store/outbox-repo.ts';

const channel = 'c'.repeat(26);
const binding = { url: 'https://bot.example/mattermost/actions', secret: 's', channel, root: '' };
const ack: Action = { label: 'Acknowledge', style: 'primary', command: 'alerts ack 3' };
const silence: Action = { label: 'Silence 1 h', style: 'default', command: 'silence x 1h' };

function rendered(actions: readonly Action[]): ReturnType<typeof renderMessage> {
  return renderMessage({ severity: 'error', title: 'Firing', actions }, 'en', binding);
}

describe('OutboxPostButtons', () => {
  it('follows the newest edit, sent or still queued, and ignores one that failed', () => {
    const db = openDatabase(':memory:');
    const store = new SqliteOutboxStore(db);
    const outbox = new MattermostOutbox(store, () => undefined);
    const buttons = new OutboxPostButtons(db);
    const post = outbox.post('root', channel, rendered([ack, silence]));
    expect(buttons.current('p'.repeat(26))).toBeUndefined();
    store.markSent(post.id, 'p'.repeat(26));
    const both = [actionIdOf(ack.command), actionIdOf(silence.command)];
    expect(buttons.current('p'.repeat(26))).toEqual(both);

    // Acknowledged: the edit is queued, not yet delivered.
    outbox.patch('root:edit:1', 'root', channel, rendered([silence]));
    expect(buttons.current('p'.repeat(26))).toEqual([actionIdOf(silence.command)]);

    // An edit Mattermost refused never reached the post.
    const failed = outbox.patch('root:edit:2', 'root', channel, rendered([]));
    store.fail(failed.id, '400 refused');
    expect(buttons.current('p'.repeat(26))).toEqual([actionIdOf(silence.command)]);
    db.close();
  });
});
