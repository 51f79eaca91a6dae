/**
 * The `matrix:` section (see README "Matrix"): the bot's account on a homeserver, whose
 * access token and device id are secrets given by reference, who may invite it where, and
 * the rooms where it takes `!pes` commands.
 */
import { z } from 'zod';
import { secretRef } from './secrets.ts';

/** A string that must match `re`; the message says in words what is allowed. */
function matching(re: RegExp, expected: string): z.ZodType<string> {
  return z.string().refine((value) => re.test(value), { error: `expected ${expected}` });
}

// Client-Server API, "Identifier grammar": @localpart:server and !opaque:server.
const userId = matching(
  /^@[a-z0-9._=\-/+]{1,255}:[A-Za-z0-9.:-]{1,255}$/,
  'a user id like @pes:example.org',
);
const roomId = matching(
  /^![^:\s]{1,255}:[A-Za-z0-9.:-]{1,255}$/,
  'a room id like !abc123:example.org',
);

export const matrixSection = z.strictObject({
  /** The homeserver's client API base URL, e.g. https://matrix.example.org. */
  homeserverUrl: matching(/^https?:\/\/[^\s/]+(\/\S*)?$/, 'an http:// or https:// URL'),
  userId,
  accessToken: secretRef,
  /** The device the access token belongs to: transaction ids are scoped to it. */
  deviceId: secretRef,
  /** People whose invitations the bot accepts (any room). */
  allowedInviters: z.array(userId).default([]),
  /** Rooms whose invitations the bot accepts, whoever sends them. */
  allowedRooms: z.array(roomId).default([]),
  /** Rooms where `!pes` commands are taken; empty means every room the bot is in. */
  rooms: z.array(roomId).default([]),
  /**
   * End-to-end encryption: present, the bot reads and writes encrypted rooms; its keys are
   * kept in the state database, encrypted with this passphrase.
   */
  encryption: z.strictObject({ passphrase: secretRef }).optional(),
});

export type MatrixSection = z.output<typeof matrixSection>;
