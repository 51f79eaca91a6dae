/**
 * JSON values as the API server reads and writes them: objects are plain JSON (the API
 * conventions, https://github.com/kubernetes/community/blob/master/contributors/devel/sig-architecture/api-conventions.md ,
 * "Objects"), so the fake keeps them as parsed JSON and never as classes.
 */
export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function clone<T extends Json>(value: T): T {
  return structuredClone(value);
}

/** The object under `key`, made when missing (or when something else is there). */
export function child(parent: JsonObject, key: string): JsonObject {
  const existing = parent[key];
  if (isObject(existing)) return existing;
  const made: JsonObject = {};
  parent[key] = made;
  return made;
}

/** The value at a path of keys, or undefined. */
export function at(value: Json | undefined, ...path: string[]): Json | undefined {
  let current: Json | undefined = value;
  for (const key of path) {
    if (!isObject(current)) return undefined;
    current = current[key];
  }
  return current;
}

export function str(value: Json | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function num(value: Json | undefined): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

export function obj(value: Json | undefined): JsonObject | undefined {
  return isObject(value) ? value : undefined;
}

export function list(value: Json | undefined): Json[] {
  return Array.isArray(value) ? value : [];
}

/** Key order does not matter for equality, as in Go's DeepEqual of decoded objects. */
export function jsonEqual(a: Json | undefined, b: Json | undefined): boolean {
  return canonical(a) === canonical(b);
}

/** A stable text of a value (sorted keys): used for equality and template hashes. */
export function canonical(value: Json | undefined): string {
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Labels and annotations as a string map (non-string values are dropped). */
export function stringMap(value: Json | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObject(value)) return out;
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}
