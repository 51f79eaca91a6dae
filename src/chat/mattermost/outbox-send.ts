/**
 * One outbox item sent to Mattermost: a post (ephemeral when it can be), an edit of a post
 * sent earlier, with its files uploaded first. A post whose earlier attempt may have gone
 * through (crash, timeout, 5xx) is first looked for by its key among the channel's recent
 * posts, so it is never posted twice.
 */
import type { Logger } from '../../core/logger.ts';
import type { OutboxItem, OutboxStore } from '../../core/outbox.ts';
import type { OutboxLoop } from '../outbox-loop.ts';
import { MattermostHttpError, type RateLimit } from './client.ts';
import { keyProp } from './outbox-writer.ts';
import type { OutboxPayload } from './types.ts';

interface SentPost {
  readonly id: string;
}

interface ReadPost {
  readonly id: string;
  readonly user_id: string;
  readonly props?: Readonly<Record<string, unknown>> | null;
}

/** The calls the dispatcher makes; MattermostClient has them all. */
export interface MattermostPoster {
  createPost(
    post: Record<string, unknown> & { channel_id: string; message: string },
  ): Promise<SentPost>;
  patchPost(patch: Record<string, unknown> & { id: string }): Promise<SentPost>;
  createPostEphemeral(
    userId: string,
    post: Record<string, unknown> & { channel_id: string; message: string },
  ): Promise<SentPost>;
  uploadFile(form: FormData): Promise<{ readonly file_infos: readonly { readonly id: string }[] }>;
  getPostsSince(
    channelId: string,
    since: number,
  ): Promise<{ readonly posts: Readonly<Record<string, ReadPost>> }>;
  readonly rateLimit: RateLimit;
}

export interface SendContext {
  readonly store: OutboxStore;
  readonly poster: MattermostPoster;
  readonly log: Logger;
  readonly loop: OutboxLoop;
  /** The bot's user id, so that only its own posts count when looking for a key. */
  readonly botId: string | undefined;
  /** Whether to try an ephemeral post (not while a recent one was refused for permission). */
  readonly ephemeralAllowed?: () => boolean;
  /** Told when the server refused an ephemeral post for lack of permission. */
  readonly ephemeralRefused?: () => void;
}

/** How far back to look for a post of unknown outcome: covers clock skew with the server. */
const lookBackMs = 10 * 60 * 1000;

/** The remote post id, or undefined when the item was settled otherwise. */
export async function sendItem(item: OutboxItem, ctx: SendContext): Promise<string | undefined> {
  const { store, poster } = ctx;
  const payload = JSON.parse(item.payload) as OutboxPayload;
  if (item.kind === 'patch') return sendPatch(item, payload, ctx);
  if (item.uncertain) {
    let found: string | undefined;
    try {
      found = await findSent(item, payload.channel_id, ctx);
    } catch (error) {
      // Still unknown whether the earlier attempt went through: look again next time.
      const message = error instanceof Error ? error.message : String(error);
      const limited = error instanceof MattermostHttpError && error.status === 429;
      const wait = (limited ? error.retryAfterMs : undefined) ?? ctx.loop.backoff(item.attempts);
      const when = new Date(ctx.loop.now().getTime() + wait);
      if (limited) ctx.loop.pauseUntil(when);
      store.retryAt(item.id, when, message, true);
      return undefined;
    }
    if (found !== undefined) return found;
  }
  store.markSending(item.id);
  const { channel_id, message, props } = payload;
  // A reply to a post of this outbox (alert threads): the root is earlier in the same
  // room's queue, so it is settled by now; a root that failed leaves the reply in the channel.
  const root_id =
    payload.root_id ??
    (payload.root_key === undefined ? undefined : store.byKey(payload.root_key)?.remoteId);
  const post = { channel_id, message, props, ...(root_id === undefined ? {} : { root_id }) };
  if (
    item.kind === 'ephemeral' &&
    payload.user_id !== undefined &&
    (ctx.ephemeralAllowed?.() ?? true)
  ) {
    try {
      return (await poster.createPostEphemeral(payload.user_id, post)).id;
    } catch (error) {
      // Ephemeral posts need the create_post_ephemeral permission, which accounts lack unless
      // an admin grants it (api4/post.go, createEphemeralPost: 403). Without it the answer is
      // posted normally, in the thread of the command, rather than lost.
      if (!(error instanceof MattermostHttpError && error.status === 403)) throw error;
      ctx.ephemeralRefused?.();
      ctx.log.warn(
        'ephemeral post refused (no create_post_ephemeral permission); posting normally',
        {
          key: item.key,
        },
      );
    }
  }
  const fileIds = await upload(item, payload, ctx);
  return (await poster.createPost({ ...post, ...fileIds })).id;
}

async function sendPatch(
  item: OutboxItem,
  payload: OutboxPayload,
  ctx: SendContext,
): Promise<string | undefined> {
  const { store } = ctx;
  const target = item.targetKey === undefined ? undefined : store.byKey(item.targetKey);
  if (target?.remoteId === undefined) {
    store.fail(item.id, `the post it edits (${item.targetKey ?? '?'}) was never sent`);
    return undefined;
  }
  // Only the newest edit of a post matters; older ones still queued are skipped.
  if (store.hasLaterPatch(item)) {
    store.supersede(item.id);
    return undefined;
  }
  store.markSending(item.id);
  const fileIds = await upload(item, payload, ctx);
  const { message, props } = payload;
  await ctx.poster.patchPost({ id: target.remoteId, message, props, ...fileIds });
  return target.remoteId;
}

async function upload(
  item: OutboxItem,
  payload: OutboxPayload,
  ctx: SendContext,
): Promise<{ file_ids?: string[] }> {
  if (payload.file_ids !== undefined) return { file_ids: [...payload.file_ids] };
  if (payload.files === undefined || payload.files.length === 0) return {};
  const form = new FormData();
  form.append('channel_id', payload.channel_id);
  for (const file of payload.files) {
    form.append('files', new Blob([file.content], { type: 'text/plain' }), file.name);
  }
  const uploaded = await ctx.poster.uploadFile(form);
  const ids = uploaded.file_infos.map((f) => f.id);
  // Kept, so that a retry of the post does not upload the files again.
  const stored: OutboxPayload = { ...payload, files: undefined, file_ids: ids };
  ctx.store.updatePayload(item.id, JSON.stringify(stored));
  return { file_ids: ids };
}

async function findSent(
  item: OutboxItem,
  channelId: string,
  ctx: SendContext,
): Promise<string | undefined> {
  const since = item.createdAt.getTime() - lookBackMs;
  const { posts } = await ctx.poster.getPostsSince(channelId, since);
  const mine = Object.values(posts).find(
    (p) => p.props?.[keyProp] === item.key && (ctx.botId === undefined || p.user_id === ctx.botId),
  );
  if (mine !== undefined) ctx.log.info('outbox post found already sent', { key: item.key });
  return mine?.id;
}
