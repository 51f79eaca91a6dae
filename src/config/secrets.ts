/**
 * Secret references. A secret is never written into the configuration itself, only a
 * pointer to it: `${ENV_VAR}` (the whole string) or `{file: path}`. That keeps the file safe
 * to commit, show and diff, and makes a pasted password a load error instead of a leak.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { UserError } from '../core/errors.ts';

export type SecretRef = { readonly env: string } | { readonly file: string };

const envRef = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

const fileRef = z.strictObject({ file: z.string().min(1) });

/**
 * Parsed with a transform rather than a union so that every wrong form (a literal, a
 * number, `{file: 5}`) gets the one message that says how to write a secret.
 */
export const secretRef = z.unknown().transform((value, ctx): SecretRef => {
  if (typeof value === 'string') {
    const name = envRef.exec(value)?.[1];
    if (name !== undefined) return { env: name };
  } else {
    const parsed = fileRef.safeParse(value);
    if (parsed.success) return { file: parsed.data.file };
  }
  // The value itself stays out of the message: it may be the very password.
  ctx.addIssue({
    code: 'custom',
    message: 'a secret must be written as ${ENV_VAR} or {file: path}, not as plain text',
  });
  return z.NEVER;
});

export interface SecretContext {
  /** The configuration file, for error messages and relative `{file:}` paths. */
  readonly configPath: string;
  readonly configDir: string;
  readonly env: NodeJS.ProcessEnv;
}

/**
 * Reads one secret. `at` is the config path of the field (e.g.
 * `services.moodle.databases.0.password`) so the error tells where the secret is needed.
 */
export function resolveSecret(ref: SecretRef, at: string, ctx: SecretContext): string {
  if ('env' in ref) {
    const value = ctx.env[ref.env];
    // An empty variable is almost always an unset one exported by a wrapper script.
    if (value === undefined || value === '') {
      throw new UserError('config-secret-missing', { path: ctx.configPath, secret: ref.env, at });
    }
    return value;
  }
  const file = resolve(ctx.configDir, ref.file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UserError(
      'config-secret-missing',
      { path: ctx.configPath, secret: file, at },
      { cause: error },
    );
  }
  // `echo pw > file` adds a newline that is not part of the secret; more than one is kept,
  // since it may be deliberate.
  return text.replace(/\r?\n$/, '');
}
