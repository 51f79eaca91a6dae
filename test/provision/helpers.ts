/** Shared by the template tests: where templates live, and catching async UserErrors. */
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { isUserError, type UserError } from '../../src/core/errors.ts';

export const shippedTemplates = fileURLToPath(new URL('../../config/templates', import.meta.url));
export const fixtureTemplates = fileURLToPath(new URL('../fixtures/templates', import.meta.url));

/** Awaits `promise`, expecting a UserError, and returns it for closer checks. */
export async function rejection(promise: Promise<unknown>): Promise<UserError> {
  try {
    await promise;
  } catch (error) {
    if (isUserError(error)) return error;
    throw error;
  }
  return expect.fail('expected a UserError, but nothing was thrown');
}

/** Everything a person could see of an error, in both languages. */
export function shownText(error: UserError): string {
  return [error.message, error.text('ru'), error.text('en'), error.hint('ru'), error.hint('en')]
    .filter((t) => t !== undefined)
    .join('\n');
}
