/**
 * The signed context of an interactive button, and the button's id. Mattermost POSTs a click
 * to the integration URL with the context it was given and no credential of its own
 * (Interactive Messages reference: "context" is echoed back as is), so the context carries an
 * HMAC-SHA256 that only the bot can make; anything altered or made up fails the constant-time
 * comparison.
 *
 * The id is what the client sends back: the server looks it up in the post as it is when the
 * click arrives and sends THAT button's context (server/channels/app/integration_action.go,
 * DoPostActionWithCookie). So the id is derived from the command the button runs: a button
 * whose id is still on an edited post still does what it did, and a button that is gone is
 * refused by the server (404) instead of standing for whatever now holds its place. Version 1
 * contexts belonged to ids that were positions (`pes0`, `pes1`…) and are no longer honoured.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** The context version this bot signs; older ones are refused as outdated. */
export const contextVersion = 2;

export interface ActionContext {
  readonly v: typeof contextVersion;
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

/**
 * The id of the button that runs `command`: its first two words' letters and digits (to be
 * readable in the post's JSON) and 64 bits of its SHA-256. Mattermost routes a click by
 * `/posts/{post_id}/actions/{action_id:[A-Za-z0-9]+}` (server/channels/api4/action.go), so
 * nothing else may appear in it.
 */
export function actionIdOf(command: string): string {
  const line = command.trim();
  const words = line
    .split(/\s+/)
    .slice(0, 2)
    .join('')
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 16);
  return words + createHash('sha256').update(line).digest('hex').slice(0, 16);
}

const codeOf = /^(?:confirm|decline)\s+([2-9A-HJ-NP-Z]{4})$/i;

/** The code a `confirm`/`decline` command line decides on, or ''. */
export function confirmationCodeOf(command: string): string {
  return codeOf.exec(command.trim())?.[1]?.toUpperCase() ?? '';
}

function mac(secret: string, fields: Unsigned): Buffer {
  // A JSON array has one encoding for given strings, so the signed bytes are unambiguous.
  const canonical = JSON.stringify([
    contextVersion,
    fields.command,
    fields.code,
    fields.channel,
    fields.root,
    fields.title,
  ]);
  return createHmac('sha256', secret).update(canonical).digest();
}

export function signActionContext(secret: string, fields: Unsigned): ActionContext {
  return { v: contextVersion, ...fields, sig: mac(secret, fields).toString('hex') };
}

function text(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 4000;
}

/** The context if it is well formed and signed with `secret`, else undefined. */
export function verifyActionContext(secret: string, value: unknown): ActionContext | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const c = value as Record<string, unknown>;
  const { command, code, channel, root, title, sig } = c;
  if (c['v'] !== contextVersion || !text(command) || !text(code) || !text(channel) || !text(root)) {
    return undefined;
  }
  if (!text(title) || typeof sig !== 'string' || !/^[0-9a-f]{64}$/.test(sig)) return undefined;
  const fields = { command, code, channel, root, title };
  const expected = mac(secret, fields);
  if (!timingSafeEqual(expected, Buffer.from(sig, 'hex'))) return undefined;
  // The code must be the one the command names, so a valid signature cannot be reused with
  // a different command line.
  if (confirmationCodeOf(command) !== code) return undefined;
  return { v: contextVersion, ...fields, sig };
}

/** A context of an older version (its button's id was a position): to be told, not run. */
export function isOutdatedContext(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  const v = (value as Record<string, unknown>)['v'];
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v < contextVersion;
}
