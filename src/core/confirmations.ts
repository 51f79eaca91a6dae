/** Pending confirmations: what a destructive command waits for before it runs. */
import { randomInt } from 'node:crypto';

export type ConfirmationState = 'pending' | 'confirmed' | 'declined' | 'expired';

export interface Confirmation {
  readonly code: string;
  /** The command line to run once confirmed, as typed. */
  readonly text: string;
  readonly command: string;
  readonly actor: string;
  readonly room: string;
  /** Exactly what will happen, in the room's language. */
  readonly description: string;
  /** A command may ask more than once; this is the index of the question (0 first). */
  readonly step: number;
  /** The approval that released the command (approval-flow.ts); its run checks and uses it. */
  readonly approval?: number | undefined;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly state: ConfirmationState;
  readonly decidedBy: string | undefined;
  /** When it was confirmed or declined (not set for an expired one: see `expiresAt`). */
  readonly decidedAt: Date | undefined;
}

export interface NewConfirmation {
  readonly text: string;
  readonly command: string;
  readonly actor: string;
  readonly room: string;
  readonly description: string;
  readonly step?: number;
  readonly approval?: number | undefined;
  readonly ttlMs: number;
}

export interface ConfirmationStore {
  create(confirmation: NewConfirmation): Confirmation;
  get(code: string): Confirmation | undefined;
  /** Closes a pending confirmation; false when it was not pending any more (a second click). */
  decide(code: string, state: 'confirmed' | 'declined', by: string): boolean;
}

export const defaultConfirmationTtlMs = 5 * 60 * 1000;

// No 0/O or 1/I: the code is read aloud and typed by tired people.
const codeAlphabet = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';

export function newConfirmationCode(length = 4): string {
  let code = '';
  for (let i = 0; i < length; i++) code += codeAlphabet.charAt(randomInt(codeAlphabet.length));
  return code;
}

export const confirmationCodePattern = /^[2-9A-HJ-NP-Z]{4}$/;
