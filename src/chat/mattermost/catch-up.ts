/**
 * Reads over REST what was posted while the WebSocket was down. A socket that authenticates
 * with `authentication_challenge` is never resumed by the server: after a reconnect it gets a
 * fresh `hello` and missed events are not replayed. So every served channel and every
 * direct-message channel is read with GET /api/v4/channels/{id}/posts?since=…, from the
 * newest post seen there (a little earlier, for clock and ordering slack).
 */
import type { Logger } from '../../core/logger.ts';
import type { SeenChannel } from '../../store/mattermost-seen-repo.ts';
import { asInboundPost, type InboundPost } from './inbound.ts';
import type { MattermostSettings } from './types.ts';

export interface CatchUpClient {
  getPostsSince(
    channelId: string,
    since: number,
  ): Promise<{ readonly posts: Readonly<Record<string, unknown>> }>;
  getMyChannels(teamId: string): Promise<readonly { readonly id: string; readonly type: string }[]>;
}

export interface CatchUpDeps {
  readonly client: CatchUpClient;
  readonly settings: MattermostSettings;
  readonly channels: () => readonly SeenChannel[];
  readonly handle: (post: InboundPost, direct: boolean) => Promise<void>;
  readonly log: Logger;
}

/** Re-read a little before the newest post seen: posts can be stored out of order. */
const slackMs = 30_000;
/** Never read further back than this, however long the bot was away. */
const horizonMs = 24 * 60 * 60 * 1000;

/** The channels to read, each with whether it is a direct-message channel and where to start. */
async function channelsToRead(
  deps: CatchUpDeps,
  fallbackSince: number,
): Promise<Map<string, { direct: boolean; since: number }>> {
  const result = new Map<string, { direct: boolean; since: number }>();
  for (const id of deps.settings.channels) result.set(id, { direct: false, since: fallbackSince });
  for (const team of deps.settings.teams) {
    try {
      for (const channel of await deps.client.getMyChannels(team)) {
        if (channel.type === 'D') result.set(channel.id, { direct: true, since: fallbackSince });
      }
    } catch (error) {
      deps.log.warn('cannot list the direct channels of a team', { team, error });
    }
  }
  for (const seen of deps.channels()) {
    const known = result.get(seen.channelId);
    result.set(seen.channelId, {
      direct: known?.direct === true || seen.kind === 'direct',
      since: seen.lastPostAt,
    });
  }
  return result;
}

/** Reads every channel since it was last seen; `fallbackSince` for channels never seen. */
export async function catchUp(
  deps: CatchUpDeps,
  now: number,
  fallbackSince: number,
): Promise<number> {
  let handled = 0;
  const channels = await channelsToRead(deps, fallbackSince);
  for (const [channelId, { direct, since }] of channels) {
    const from = Math.max(since - slackMs, now - horizonMs);
    let posts: InboundPost[];
    try {
      const list = await deps.client.getPostsSince(channelId, from);
      posts = Object.values(list.posts)
        .map(asInboundPost)
        .filter((p): p is InboundPost => p !== undefined && p.create_at >= from);
    } catch (error) {
      deps.log.warn('catch-up of a channel failed', { channel: channelId, error });
      continue;
    }
    posts.sort((a, b) => a.create_at - b.create_at);
    for (const post of posts) {
      await deps.handle(post, direct);
      handled++;
    }
  }
  return handled;
}
