/** Conversions between stored column values and domain values. */

/** A date as stored: ISO-8601 UTC, fixed width, so text order is time order. */
export function toIso(date: Date): string {
  return date.toISOString();
}

export function fromIso(text: string): Date;
export function fromIso(text: string | null): Date | undefined;
export function fromIso(text: string | null): Date | undefined {
  return text === null ? undefined : new Date(text);
}

/** A clock; repositories take one so tests can move time. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

/** SQLite has no undefined; absent optional values are stored as NULL. */
export function orNull<T>(value: T | undefined): T | null {
  return value === undefined ? null : value;
}

export function orUndefined<T>(value: T | null): T | undefined {
  return value === null ? undefined : value;
}

/** Narrows a stored text to one of the known values; anything else means a corrupt row. */
export function oneOf<T extends string>(allowed: readonly T[], value: string, column: string): T {
  const found = allowed.find((candidate) => candidate === value);
  if (found === undefined) throw new Error(`unexpected ${column} in the state database: ${value}`);
  return found;
}
