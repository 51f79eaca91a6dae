/**
 * The signed context of an interactive button. Mattermost POSTs a click to the integration
 * URL with the context it was given and no credential of its own (Interactive Messages
 * reference: "context" is echoed back as is), so the context carries an HMAC-SHA256 that only
 * the bot can make; anything altered or made up fails the constant-time comparison.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface ActionContext {
  readonly v: 1;
  /** The command line the click runs as the clicking person, e.g. `confirm 7F3K`. */
  readonly command: string;
  /** The confirmation code the command decides on, or '' for other commands. */
  readonly code: string;
  /** The channel the button was posted in; a click from any other channel is refused. */
  readonly channel: string;
  /** The thread root to answer in, or '' when the button post is itself a root. */
  readonly root: string;
  /** The title of the post, to show it again when the post is updated after the click. */
  readonly title: string;
  readonly sig: string;
}

type Unsigned = Omit<ActionContext, 'sig' | 'v'>;

const codeOf = /^(?:confirm|decline)\s+([2-9A-HJ-NP-Z]{4})$/i;

/** The code a `confirm`/`decline` command line decides on, or ''. */
export function confirmationCodeOf(command: string): string {
  return codeOf.exec(command.trim())?.[1]?.toUpperCase() ?? '';
}

function mac(secret: string, fields: Unsigned): Buffer {
  // A JSON array has one encoding for given strings, so the signed bytes are unambiguous.
  const canonical = JSON.stringify([
    1,
    fields.command,
    fields.code,
    fields.channel,
    fields.root,
    fields.title,
  ]);
  return createHmac('sha256', secret).update(canonical).digest();
}

export function signActionContext(secret: string, fields: Unsigned): ActionContext {
  return { v: 1, ...fields, sig: mac(secret, fields).toString('hex') };
}

function text(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 4000;
}

/** The context if it is well formed and signed with `secret`, else undefined. */
export function verifyActionContext(secret: string, value: unknown): ActionContext | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const c = value as Record<string, unknown>;
  const { command, code, channel, root, title, sig } = c;
  if (c['v'] !== 1 || !text(command) || !text(code) || !text(channel) || !text(root)) {
    return undefined;
  }
  if (!text(title) || typeof sig !== 'string' || !/^[0-9a-f]{64}$/.test(sig)) return undefined;
  const fields = { command, code, channel, root, title };
  const expected = mac(secret, fields);
  if (!timingSafeEqual(expected, Buffer.from(sig, 'hex'))) return undefined;
  // The code must be the one the command names, so a valid signature cannot be reused with
  // a different command line.
  if (confirmationCodeOf(command) !== code) return undefined;
  return { v: 1, ...fields, sig };
}
