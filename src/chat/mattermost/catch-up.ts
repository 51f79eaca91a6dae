/**
 * Reads over REST what was posted while the WebSocket was down. A socket that authenticates
 * with `authentication_challenge` is never resumed by the server: after a reconnect it gets a
 * fresh `hello` and missed events are not replayed. So every served channel and every
 * direct-message channel is read with GET /api/v4/channels/{id}/posts?since=…, from the
 * newest post seen there (a little earlier, for clock and ordering slack).
 */
import type { Logger } from '../../core/logger.ts';
import type { SeenChannel } from '../../store/mattermost-seen-repo.ts';
import { retryAfterOf } from './client.ts';
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
  /** Waits (for a 429's Retry-After); returns early when the bot stops. */
  readonly pause: (ms: number) => Promise<void>;
  readonly stopped: () => boolean;
}

export interface CatchUpResult {
  /** Posts handed on. */
  readonly handled: number;
  /** Channels (or teams' lists of direct channels) that could not be read: to read again. */
  readonly unread: number;
}

/** Tries of one read that keeps getting 429: each waits for Retry-After. */
const limitedTries = 5;

/**
 * `read`, again after Retry-After while the server answers 429 (its limiter counts GETs too),
 * at most `limitedTries` times. Other errors are thrown at once.
 */
async function patiently<T>(deps: CatchUpDeps, read: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (error) {
      const wait = retryAfterOf(error);
      if (wait === undefined || attempt >= limitedTries || deps.stopped()) throw error;
      deps.log.info('mattermost rate limit during catch-up; waiting', { waitMs: wait });
      await deps.pause(wait);
    }
  }
}

/** Re-read a little before the newest post seen: posts can be stored out of order. */
const slackMs = 30_000;
/** Never read further back than this, however long the bot was away. */
const horizonMs = 24 * 60 * 60 * 1000;

/** The channels to read, each with whether it is a direct-message channel and where to start. */
async function channelsToRead(
  deps: CatchUpDeps,
  fallbackSince: number,
): Promise<{ channels: Map<string, { direct: boolean; since: number }>; unread: number }> {
  const result = new Map<string, { direct: boolean; since: number }>();
  let unread = 0;
  for (const id of deps.settings.channels) result.set(id, { direct: false, since: fallbackSince });
  for (const team of deps.settings.teams) {
    try {
      for (const channel of await patiently(deps, () => deps.client.getMyChannels(team))) {
        if (channel.type === 'D') result.set(channel.id, { direct: true, since: fallbackSince });
      }
    } catch (error) {
      unread++;
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
  return { channels: result, unread };
}

/** Reads every channel since it was last seen; `fallbackSince` for channels never seen. */
export async function catchUp(
  deps: CatchUpDeps,
  now: number,
  fallbackSince: number,
): Promise<CatchUpResult> {
  let handled = 0;
  const { channels, unread: unlisted } = await channelsToRead(deps, fallbackSince);
  let unread = unlisted;
  for (const [channelId, { direct, since }] of channels) {
    if (deps.stopped()) return { handled, unread: unread + 1 };
    const from = Math.max(since - slackMs, now - horizonMs);
    let posts: InboundPost[];
    try {
      const list = await patiently(deps, () => deps.client.getPostsSince(channelId, from));
      posts = Object.values(list.posts)
        .map(asInboundPost)
        .filter((p): p is InboundPost => p !== undefined && p.create_at >= from);
    } catch (error) {
      unread++;
      deps.log.warn('catch-up of a channel failed; it is read again later', {
        channel: channelId,
        error,
      });
      continue;
    }
    posts.sort((a, b) => a.create_at - b.create_at);
    for (const post of posts) {
      await deps.handle(post, direct);
      handled++;
    }
  }
  return { handled, unread };
}
