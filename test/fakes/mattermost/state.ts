/**
 * The data of the fake Mattermost server: users with their access tokens, channels, posts
 * and uploaded files, shaped as the Mattermost API v4 reference describes them
 * (https://api.mattermost.com/: Post, Channel, FileInfo).
 */
import { randomBytes } from 'node:crypto';

/** Mattermost ids: 26 characters of [a-z0-9]. */
export function newId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(26)].map((b) => alphabet[b % alphabet.length]).join('');
}

export interface FakeUser {
  readonly id: string;
  readonly username: string;
  readonly token: string;
  readonly isBot: boolean;
  /**
   * The language of the user's interface (Settings › Display › Language). A new account
   * gets the server's LocalizationSettings.DefaultClientLocale, which is `en` unless an admin
   * changed it.
   */
  locale: string;
  readonly createAt: number;
  /** Non-zero once the account is deactivated (the API still returns it). */
  deleteAt: number;
  /**
   * System-wide permissions beyond what every account has, as an admin grants them through a
   * role (System Console › User Management › Permissions). `create_post_ephemeral` is one:
   * without it POST /api/v4/posts/ephemeral answers 403 (server/channels/api4/post.go,
   * createEphemeralPost: SessionHasPermissionTo(PermissionCreatePostEphemeral)).
   */
  readonly permissions: Set<string>;
}

export interface FakeChannel {
  readonly id: string;
  readonly name: string;
  readonly display_name: string;
  /** O public, P private, D direct, G group. */
  readonly type: 'O' | 'P' | 'D' | 'G';
  readonly team_id: string;
  readonly members: Set<string>;
}

export interface FakePost {
  id: string;
  create_at: number;
  update_at: number;
  edit_at: number;
  delete_at: number;
  user_id: string;
  channel_id: string;
  root_id: string;
  message: string;
  type: string;
  props: Record<string, unknown>;
  file_ids: string[];
}

export interface FakeFile {
  readonly id: string;
  readonly name: string;
  readonly content: string;
  readonly channelId: string;
}

export interface EphemeralPost {
  readonly userId: string;
  readonly post: Record<string, unknown>;
}

export class FakeData {
  readonly teamId = newId();
  readonly users = new Map<string, FakeUser>();
  readonly channels = new Map<string, FakeChannel>();
  readonly posts: FakePost[] = [];
  readonly files = new Map<string, FakeFile>();
  readonly ephemerals: EphemeralPost[] = [];
  readonly bot: FakeUser;
  #clock = 0;

  constructor() {
    this.bot = this.addUser('pes', true);
  }

  /** Server time in ms, strictly rising so that `since` queries are exact. */
  now(): number {
    this.#clock = Math.max(this.#clock + 1, Date.now());
    return this.#clock;
  }

  addUser(username: string, isBot = false): FakeUser {
    const user: FakeUser = {
      id: newId(),
      username,
      token: newId(),
      isBot,
      locale: 'en',
      createAt: Date.now(),
      deleteAt: 0,
      permissions: new Set(),
    };
    this.users.set(user.id, user);
    return user;
  }

  addChannel(name: string, members: readonly FakeUser[], type: 'O' | 'P' = 'O'): FakeChannel {
    const channel: FakeChannel = {
      id: newId(),
      name,
      display_name: name,
      type,
      team_id: this.teamId,
      members: new Set(members.map((m) => m.id)),
    };
    this.channels.set(channel.id, channel);
    return channel;
  }

  /** The direct channel of two users, named `<id>__<id>` with the ids sorted. */
  directChannel(a: FakeUser, b: FakeUser): FakeChannel {
    const name = [a.id, b.id].sort().join('__');
    const found = [...this.channels.values()].find((c) => c.name === name);
    if (found !== undefined) return found;
    const channel: FakeChannel = {
      id: newId(),
      name,
      display_name: '',
      type: 'D',
      team_id: '',
      members: new Set([a.id, b.id]),
    };
    this.channels.set(channel.id, channel);
    return channel;
  }

  /** What an admin does by giving the account a role with this permission. */
  grant(user: FakeUser, permission: string): void {
    user.permissions.add(permission);
  }

  userByToken(token: string): FakeUser | undefined {
    return [...this.users.values()].find((u) => u.token === token);
  }

  post(id: string): FakePost | undefined {
    return this.posts.find((p) => p.id === id);
  }

  /** Posts of a channel, oldest first. */
  channelPosts(channelId: string): FakePost[] {
    return this.posts.filter((p) => p.channel_id === channelId);
  }

  /** Posts by the bot, oldest first. */
  botPosts(channelId?: string): FakePost[] {
    return this.posts.filter(
      (p) => p.user_id === this.bot.id && (channelId === undefined || p.channel_id === channelId),
    );
  }
}

/**
 * A user as the API returns it to another user (the User model of the API v4 reference;
 * the server sanitises it: no password, no auth data, and the e-mail address only where the
 * privacy settings show it, here never). `is_bot` is left out for people (omitempty).
 */
export function publicUser(user: FakeUser): Record<string, unknown> {
  return {
    id: user.id,
    create_at: user.createAt,
    update_at: user.createAt,
    delete_at: user.deleteAt,
    username: user.username,
    auth_service: '',
    email: '',
    nickname: '',
    first_name: '',
    last_name: '',
    position: '',
    roles: 'system_user',
    locale: user.locale,
    timezone: { automaticTimezone: '', manualTimezone: '', useAutomaticTimezone: 'true' },
    ...(user.isBot ? { is_bot: true } : {}),
  };
}

/**
 * A post as the API returns it: buttons lose their `integration` (Mattermost strips it from
 * posts it sends to clients, so the context and its signature never leave the server).
 */
export function publicPost(post: FakePost): FakePost {
  const attachments = post.props['attachments'];
  if (!Array.isArray(attachments)) return structuredClone(post);
  const stripped = attachments.map((a: Record<string, unknown>) => ({
    ...a,
    ...(Array.isArray(a['actions'])
      ? {
          actions: (a['actions'] as Record<string, unknown>[]).map((action) =>
            Object.fromEntries(Object.entries(action).filter(([key]) => key !== 'integration')),
          ),
        }
      : {}),
  }));
  return structuredClone({ ...post, props: { ...post.props, attachments: stripped } });
}
