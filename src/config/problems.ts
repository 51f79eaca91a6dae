/**
 * Turns zod issues into short `path: message` lines a person can act on, e.g.
 * `services.moodle.scale.max: expected a number ≥ 1`. zod's own messages name JS types
 * and regexes; these name what to write in YAML.
 */
import type { z } from 'zod';

type Issue = z.core.$ZodIssue;

/** `services.moodle.databases.0.password`; keys that are not plain words are quoted. */
export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path
    .map((key) => {
      const text = String(key);
      return /^[A-Za-z0-9_-]+$/.test(text) ? text : JSON.stringify(text);
    })
    .join('.');
}

const typeNames: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
};

/** What the YAML author wrote, by kind only: values may be secrets. */
function describeInput(input: unknown): string {
  if (input === null) return 'an empty value';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  if (typeof input === 'number' && !Number.isInteger(input)) return 'a fraction';
  return typeNames[typeof input] ?? typeof input;
}

function bound(origin: string, relation: string, limit: number | bigint): string {
  if (origin === 'string')
    return `expected ${relation === '≥' ? 'at least' : 'at most'} ${limit} characters`;
  if (origin === 'array') {
    if (relation === '≥' && limit === 1) return 'expected at least one item';
    return `expected ${relation === '≥' ? 'at least' : 'at most'} ${limit} items`;
  }
  return `expected a number ${relation} ${limit}`;
}

function describeIssue(issue: Issue): string {
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) return 'required';
      const expected = typeNames[issue.expected] ?? issue.expected;
      return `expected ${expected}, got ${describeInput(issue.input)}`;
    }
    case 'too_small':
      if (issue.origin === 'string' && issue.minimum === 1) return 'must not be empty';
      return bound(issue.origin, issue.inclusive === false ? '>' : '≥', issue.minimum);
    case 'too_big':
      return bound(issue.origin, issue.inclusive === false ? '<' : '≤', issue.maximum);
    case 'invalid_value':
      if (issue.values.length === 1) return `expected ${String(issue.values[0])}`;
      return `expected one of ${issue.values.map(String).join(', ')}`;
    case 'invalid_format':
      return issue.format === 'regex' && issue.pattern !== undefined
        ? `expected a string matching ${issue.pattern}`
        : `expected a valid ${issue.format}`;
    case 'invalid_key':
      return `invalid name: ${issue.issues.map(describeIssue).join(', ')}`;
    case 'invalid_element':
      return `invalid entry: ${issue.issues.map(describeIssue).join(', ')}`;
    case 'invalid_union': {
      // A discriminated union (services by `platform`) knows the values it accepts.
      const options = 'options' in issue ? (issue.options ?? []) : [];
      const values = options.filter((o): o is string => typeof o === 'string');
      if (issue.discriminator !== undefined && values.length > 0)
        return `expected one of ${values.join(', ')}`;
      return 'does not match any allowed form';
    }
    case 'not_multiple_of':
      return `expected a multiple of ${issue.divisor}`;
    case 'unrecognized_keys':
      return `unknown key ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    case 'custom':
      return issue.message;
  }
}

/** One line per problem; several unknown keys in one place become one line each. */
export function formatIssues(issues: readonly Issue[]): string[] {
  return issues.flatMap((issue) => {
    const where = formatPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => `${where}: unknown key ${JSON.stringify(key)}`);
    }
    return [`${where}: ${describeIssue(issue)}`];
  });
}
