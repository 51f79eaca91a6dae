/** The pieces of the Mattermost wire format the adapter writes and reads. */
import type { ActionContext } from './action-context.ts';

/** A post's text may not exceed this many characters (Mattermost's post.message limit). */
export const maxPostLength = 16383;

/** Ids of users, channels, posts and teams: 26 lowercase letters and digits. */
export const mattermostIdPattern = /^[a-z0-9]{26}$/;

/** An interactive button (Interactive Messages: attachments[].actions[] with integration). */
export interface MmAction {
  /** From the command it runs (actionIdOf); alphanumeric, or a click answers 404. */
  readonly id: string;
  readonly name: string;
  readonly type: 'button';
  readonly style: string;
  readonly integration: { readonly url: string; readonly context: ActionContext };
}

export interface MmField {
  readonly title: string;
  readonly value: string;
  readonly short: boolean;
}

/** A message attachment (Mattermost's Slack-compatible attachments). */
export interface MmAttachment {
  readonly fallback: string;
  readonly color: string;
  readonly title?: string;
  readonly text?: string;
  readonly fields?: readonly MmField[];
  readonly actions?: readonly MmAction[];
}

export interface FileToUpload {
  readonly name: string;
  readonly content: string;
}

/** A neutral Message in Mattermost's terms: post text, attachments and files to upload. */
export interface RenderedPost {
  readonly message: string;
  readonly attachments: readonly MmAttachment[];
  readonly files: readonly FileToUpload[];
}

/** What an outbox row of this adapter holds (the kind is the row's own column). */
export interface OutboxPayload {
  readonly channel_id: string;
  readonly root_id?: string;
  /** Instead of root_id: the outbox key of the root post, resolved when sending. */
  readonly root_key?: string;
  /** For an ephemeral post: the only person who sees it. */
  readonly user_id?: string;
  readonly message: string;
  readonly props: Readonly<Record<string, unknown>>;
  /** Files still to upload; replaced by file_ids once uploaded. */
  readonly files?: readonly FileToUpload[];
  readonly file_ids?: readonly string[];
}

/** The settings of the adapter, resolved from the `mattermost:` section of the config. */
export interface MattermostSettings {
  /** The server's base URL, e.g. https://chat.example.org (no trailing slash). */
  readonly url: string;
  readonly botToken: string;
  /** Tokens of the slash commands that may call the bot; one per command or team. */
  readonly slashTokens: readonly string[];
  /** Key for the HMAC of button contexts; without it, no buttons are shown. */
  readonly actionSecret: string | undefined;
  /** The bot's own address as Mattermost reaches it, for the button callback URL. */
  readonly publicUrl: string | undefined;
  /** Teams whose direct-message channels are resynchronised after a reconnect. */
  readonly teams: readonly string[];
  /** Channels where the bot takes commands; empty means every channel it is in. */
  readonly channels: readonly string[];
}
