/**
 * What comes in from Mattermost, checked and turned into plain values: a slash command
 * request (form fields), a button click (JSON), and a post read over the WebSocket or REST.
 */
import { mattermostIdPattern, type MattermostSettings } from './types.ts';

/** The fields of a slash command request (Slash Commands reference: POST form or GET query). */
export interface SlashRequest {
  readonly token: string;
  readonly teamId: string;
  readonly channelId: string;
  readonly channelName: string;
  readonly userId: string;
  readonly userName: string;
  readonly command: string;
  readonly text: string;
  readonly triggerId: string;
  readonly responseUrl: string;
  /** Not sent by Mattermost today; honoured when a proxy adds it. */
  readonly rootId: string | undefined;
}

function id(value: string | null): string | undefined {
  return value !== null && mattermostIdPattern.test(value) ? value : undefined;
}

/** The request, or undefined when a required id is missing or malformed. */
export function parseSlashRequest(
  form: URLSearchParams,
  headerToken: string | undefined,
): SlashRequest | undefined {
  const channelId = id(form.get('channel_id'));
  const userId = id(form.get('user_id'));
  if (channelId === undefined || userId === undefined) return undefined;
  return {
    token: form.get('token') ?? headerToken ?? '',
    teamId: form.get('team_id') ?? '',
    channelId,
    channelName: form.get('channel_name') ?? '',
    userId,
    userName: form.get('user_name') ?? userId,
    command: form.get('command') ?? '',
    text: (form.get('text') ?? '').trim(),
    triggerId: form.get('trigger_id') ?? '',
    responseUrl: form.get('response_url') ?? '',
    rootId: id(form.get('root_id')),
  };
}

/** `Authorization: Token <token>`, as Mattermost sends it beside the form field. */
export function tokenFromHeader(header: string | undefined): string | undefined {
  const match = /^Token\s+(\S+)$/i.exec(header?.trim() ?? '');
  return match?.[1];
}

/** A button click (Interactive Messages reference: the integration request body). */
export interface ActionRequest {
  readonly userId: string;
  readonly userName: string;
  readonly channelId: string;
  readonly postId: string;
  readonly context: unknown;
}

export function parseActionRequest(body: unknown): ActionRequest | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const b = body as Record<string, unknown>;
  const str = (key: string): string | null => (typeof b[key] === 'string' ? b[key] : null);
  const userId = id(str('user_id'));
  const channelId = id(str('channel_id'));
  const postId = id(str('post_id'));
  if (userId === undefined || channelId === undefined || postId === undefined) return undefined;
  return { userId, userName: str('user_name') ?? userId, channelId, postId, context: b['context'] };
}

/** Direct-message channel names are the two user ids joined by "__". */
export function isDirectChannelName(name: string): boolean {
  return /^[a-z0-9]{26}__[a-z0-9]{26}$/.test(name);
}

/** Whether commands are taken in this channel: direct messages always, others by config. */
export function isServed(
  settings: Pick<MattermostSettings, 'channels'>,
  channelId: string,
  direct: boolean,
): boolean {
  return direct || settings.channels.length === 0 || settings.channels.includes(channelId);
}

/** A post as the adapter reads it (from a `posted` event or GET …/posts). */
export interface InboundPost {
  readonly id: string;
  readonly user_id: string;
  readonly channel_id: string;
  readonly root_id: string;
  readonly message: string;
  readonly create_at: number;
  readonly type: string;
  readonly delete_at?: number;
  readonly props?: Readonly<Record<string, unknown>> | null;
}

export function asInboundPost(value: unknown): InboundPost | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const p = value as Record<string, unknown>;
  const ok =
    typeof p['id'] === 'string' &&
    typeof p['user_id'] === 'string' &&
    typeof p['channel_id'] === 'string' &&
    typeof p['message'] === 'string' &&
    typeof p['create_at'] === 'number';
  if (!ok) return undefined;
  return {
    ...(p as unknown as InboundPost),
    root_id: typeof p['root_id'] === 'string' ? p['root_id'] : '',
    type: typeof p['type'] === 'string' ? p['type'] : '',
  };
}

/**
 * The command in a post, or undefined when the post is not one for the bot. In a direct
 * message the whole text is the command (a leading mention or `pes` is dropped); elsewhere
 * the post must mention the bot, and the command is what follows the mention.
 */
export function commandInPost(
  message: string,
  botName: string,
  direct: boolean,
): string | undefined {
  const name = botName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const mention = new RegExp(`(?:^|\\s)@${name}(?![\\w.-])[:,]?`, 'i');
  const found = mention.exec(message);
  if (found !== null) return message.slice(found.index + found[0].length).trim();
  if (!direct) return undefined;
  return message.replace(/^\s*(?:\/?pes|!pes)(?:\s+|$)/i, '').trim();
}
