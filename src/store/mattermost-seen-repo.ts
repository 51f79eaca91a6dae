/**
 * What the Mattermost adapter has already read: the posts it took as commands (so each is
 * answered once, whether it arrives over the WebSocket or in a catch-up after a reconnect),
 * and per channel the server time of the newest post, where the next catch-up starts.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { immediate } from './transactions.ts';
import { systemClock, toIso } from './values.ts';
import type { Clock } from './values.ts';

export type SeenChannelKind = 'served' | 'direct';

export interface SeenChannel {
  readonly channelId: string;
  readonly kind: SeenChannelKind;
  /** Server time (ms) of the newest post seen there. */
  readonly lastPostAt: number;
}

export class SqliteMattermostSeen {
  private readonly db: DatabaseSync;
  private readonly now: Clock;
  private readonly claimStmt: StatementSync;
  private readonly touchStmt: StatementSync;

  constructor(db: DatabaseSync, options: { now?: Clock } = {}) {
    this.db = db;
    this.now = options.now ?? systemClock;
    this.claimStmt = db.prepare(
      `INSERT INTO mattermost_seen (post_id, channel_id, create_at, seen_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (post_id) DO NOTHING`,
    );
    this.touchStmt = db.prepare(
      `INSERT INTO mattermost_channels (channel_id, kind, last_post_at) VALUES (?, ?, ?)
       ON CONFLICT (channel_id) DO UPDATE SET
         last_post_at = max(last_post_at, excluded.last_post_at),
         kind = CASE WHEN kind = 'direct' OR excluded.kind = 'direct' THEN 'direct' ELSE kind END`,
    );
  }

  /** True exactly once per post id, across processes and restarts. */
  claim(postId: string, channelId: string, createAt: number): boolean {
    return immediate(this.db, () => {
      const result = this.claimStmt.run(postId, channelId, createAt, toIso(this.now()));
      return Number(result.changes) === 1;
    });
  }

  /** Records that a post of this time was seen in the channel. */
  touch(channelId: string, kind: SeenChannelKind, postAt: number): void {
    immediate(this.db, () => {
      this.touchStmt.run(channelId, kind, postAt);
    });
  }

  channels(): SeenChannel[] {
    const rows = this.db
      .prepare('SELECT channel_id, kind, last_post_at FROM mattermost_channels ORDER BY channel_id')
      .all() as unknown as { channel_id: string; kind: string; last_post_at: number }[];
    return rows.map((row) => ({
      channelId: row.channel_id,
      kind: row.kind === 'direct' ? 'direct' : 'served',
      lastPostAt: row.last_post_at,
    }));
  }

  /** Forgets claims older than the oldest post a catch-up could still return. */
  prune(olderThanPostAt: number): void {
    immediate(this.db, () => {
      this.db.prepare('DELETE FROM mattermost_seen WHERE create_at < ?').run(olderThanPostAt);
    });
  }
}
