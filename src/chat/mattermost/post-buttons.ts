/**
 * The buttons a post of the bot has now, as the bot last wrote it: the newest edit of the post
 * in the outbox (sent or still waiting), else the post itself. Mattermost sends a click on a
 * button of the post as the server has it, so between an edit being queued and it reaching
 * the server a click can still come for a button the bot has already taken away; this record
 * is how the click handler knows.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { OutboxPayload } from './types.ts';

export interface PostButtons {
  /**
   * The ids of the buttons the post has as the bot last wrote it, or undefined when the bot
   * keeps no record of the post (not posted through its outbox, e.g. a slash command's answer,
   * or a record already pruned).
   */
  current(postId: string): readonly string[] | undefined;
}

function actionIds(payload: string): string[] {
  const parsed = JSON.parse(payload) as OutboxPayload;
  const attachments = parsed.props['attachments'];
  if (!Array.isArray(attachments)) return [];
  return attachments.flatMap((a: { actions?: readonly { id?: unknown }[] }) =>
    (a.actions ?? []).flatMap((action) => (typeof action.id === 'string' ? [action.id] : [])),
  );
}

/** Reads the outbox table (src/store/migrations.ts, `outbox`) without writing to it. */
export class OutboxPostButtons implements PostButtons {
  readonly #post: StatementSync;
  readonly #latestEdit: StatementSync;

  constructor(db: DatabaseSync) {
    this.#post = db.prepare(
      `SELECT idempotency_key AS key, payload FROM outbox
        WHERE remote_id = ? AND kind = 'post' ORDER BY id LIMIT 1`,
    );
    // A failed edit never reached the server, a superseded one was replaced by a later one.
    this.#latestEdit = db.prepare(
      `SELECT payload FROM outbox
        WHERE target_key = ? AND kind = 'patch' AND state IN ('pending', 'sending', 'sent')
        ORDER BY id DESC LIMIT 1`,
    );
  }

  current(postId: string): readonly string[] | undefined {
    const post = this.#post.get(postId) as { key: string; payload: string } | undefined;
    if (post === undefined) return undefined;
    const edit = this.#latestEdit.get(post.key) as { payload: string } | undefined;
    return actionIds(edit?.payload ?? post.payload);
  }
}
