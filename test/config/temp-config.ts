/** Writes configuration files into a fresh temporary directory for one test. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import { isUserError, type UserError } from '../../src/core/errors.ts';

export function makeTempDir(files: Readonly<Record<string, string>> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'pes-config-'));
  for (const [name, text] of Object.entries(files)) {
    const path = join(dir, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }
  return dir;
}

/** Runs `fn`, expecting a UserError, and returns it for closer checks. */
export function catchUserError(fn: () => unknown): UserError {
  try {
    fn();
  } catch (error) {
    if (isUserError(error)) return error;
    throw error;
  }
  expect.fail('expected a UserError, but nothing was thrown');
}

/** The `problems` param of a config-invalid error, split back into lines. */
export function problemsOf(error: UserError): string[] {
  expect(error.code).toBe('config-invalid');
  return String(error.params['problems']).split('; ');
}
