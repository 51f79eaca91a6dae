/**
 * The shape of a provisioning template (config/templates/<name>.yaml). Strict like the
 * configuration: a typo in a key is an error, not a setting that silently does nothing.
 * Rules that span fields (placeholders, where secrets may go) are checked here too, so a
 * template that loads can always be rendered.
 */
import { z } from 'zod';

/** `{{key}}`: a parameter, or `name` for the instance name. */
export const placeholderRe = /\{\{([a-z][a-z0-9_]*)\}\}/g;

export const templateNameRe = /^[a-z][a-z0-9-]{0,39}$/;
export const paramKeyRe = /^[a-z][a-z0-9_]{0,31}$/;
/** The instance name is a placeholder of its own; no parameter may take it. */
export const instancePlaceholder = 'name';

/** Labels under this prefix are the bot's own: they say what it manages. */
export const reservedLabelPrefix = 'pes.bot/';

const text = z.strictObject({ ru: z.string().min(1), en: z.string().min(1) });

/** YAML turns `false` and `8080` into a boolean and a number; Docker wants strings. */
const scalar = z.union([z.string(), z.number(), z.boolean()]).transform(String);

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern, 'u');
    return true;
  } catch {
    return false;
  }
}

/** A parameter's pattern must match the whole value, whatever its author wrote. */
export function fullMatch(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`, 'u');
}

const param = z
  .strictObject({
    description: text,
    pattern: z
      .string()
      .min(1)
      .refine(compiles, { error: 'not a valid regular expression' })
      .optional(),
    default: scalar.optional(),
    required: z.boolean().default(false),
    secret: z.literal(true).optional(),
    generate: z.literal('password').optional(),
  })
  .superRefine((p, ctx) => {
    const issue = (path: string, message: string): void => {
      ctx.addIssue({ code: 'custom', path: [path], message });
    };
    if (p.pattern === undefined && p.generate === undefined) {
      issue('pattern', 'required unless the value is generated');
    }
    if (p.generate !== undefined && p.secret !== true) issue('generate', 'only for secrets');
    if (p.required && (p.default !== undefined || p.generate !== undefined)) {
      issue('required', 'a required parameter has no default and is not generated');
    }
    // A default is written in the file for everyone to read: no place for a secret.
    if (p.secret === true && p.default !== undefined) issue('default', 'a secret has no default');
    if (p.default !== undefined && p.pattern !== undefined && compiles(p.pattern)) {
      if (!fullMatch(p.pattern).test(p.default)) issue('default', 'does not match the pattern');
    }
  });

export type TemplateParam = z.output<typeof param>;

const volume = z.strictObject({
  name: z.string().min(1),
  // Literal: a mount point is part of the image's contract, not a choice per instance.
  target: z
    .string()
    .refine((path) => /^\/[^\0{}]*$/.test(path), { error: 'expected an absolute path' }),
});

const healthcheck = z.strictObject({
  /** The argv the engine runs inside the container; never a shell string. */
  test: z.array(z.string().min(1)).min(1),
  interval: z.int().min(1).max(3600).default(30),
  timeout: z.int().min(1).max(3600).default(30),
  retries: z.int().min(1).max(100).default(3),
  start_period: z.int().min(0).max(3600).default(0),
});

export const templateSchema = z
  .strictObject({
    name: z
      .string()
      .refine((n) => templateNameRe.test(n), { error: 'expected a lowercase template name' }),
    description: text,
    image: z.string().min(1),
    params: z
      .record(
        z.string().refine((k) => paramKeyRe.test(k), { error: 'expected a lowercase key' }),
        param,
      )
      .default({}),
    env: z
      .record(
        z.string().refine((k) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(k), {
          error: 'expected an environment variable name',
        }),
        scalar,
      )
      .default({}),
    command: z.array(scalar).min(1).optional(),
    volumes: z.array(volume).default([]),
    labels: z.record(z.string().min(1), scalar).default({}),
    healthcheck: healthcheck.optional(),
    /** Network mode or network name; a parameter may choose it: `network: '{{network}}'`. */
    network: z.string().min(1).default('bridge'),
    /** Seconds a container gets to stop cleanly before it is killed (a database needs more). */
    stop_timeout: z.int().min(1).max(600).default(10),
  })
  .superRefine((t, ctx) => {
    const issue = (path: (string | number)[], message: string): void => {
      ctx.addIssue({ code: 'custom', path, message });
    };
    if (instancePlaceholder in t.params) {
      issue(['params', instancePlaceholder], '{{name}} is the instance name, not a parameter');
    }
    const secrets = new Set(
      Object.entries(t.params)
        .filter(([, p]) => p.secret === true)
        .map(([key]) => key),
    );
    const known = new Set([instancePlaceholder, ...Object.keys(t.params)]);
    for (const [path, value] of stringsOf(t)) {
      const stray = value.replace(placeholderRe, '');
      if (stray.includes('{{') || stray.includes('}}')) {
        issue(path, 'a placeholder is written {{key}}');
      }
      for (const [, key = ''] of value.matchAll(placeholderRe)) {
        if (!known.has(key)) issue(path, `unknown placeholder {{${key}}}`);
        // Only the environment reaches the container without showing up in plans, labels,
        // command lines (`ps`) or volume names.
        else if (secrets.has(key) && path[0] !== 'env') {
          issue(path, `the secret {{${key}}} may only be used in env`);
        }
      }
    }
    const names = new Set<string>();
    const targets = new Set<string>();
    t.volumes.forEach((v, i) => {
      // Two instances of one template must never share a volume.
      if (!v.name.includes(`{{${instancePlaceholder}}}`)) {
        issue(['volumes', i, 'name'], 'must contain {{name}}');
      }
      if (names.has(v.name)) issue(['volumes', i, 'name'], 'duplicate volume');
      if (targets.has(v.target)) issue(['volumes', i, 'target'], 'duplicate target');
      names.add(v.name);
      targets.add(v.target);
    });
    for (const key of Object.keys(t.labels)) {
      if (key.startsWith(reservedLabelPrefix)) {
        issue(['labels', key], `labels under ${reservedLabelPrefix} are set by the bot`);
      }
    }
  });

export type Template = z.output<typeof templateSchema>;

/** Every string of a template that may hold placeholders, with its path for messages. */
export function stringsOf(t: Template): [(string | number)[], string][] {
  const out: [(string | number)[], string][] = [
    [['image'], t.image],
    [['network'], t.network],
  ];
  for (const [key, value] of Object.entries(t.env)) out.push([['env', key], value]);
  t.command?.forEach((arg, i) => out.push([['command', i], arg]));
  t.volumes.forEach((v, i) => out.push([['volumes', i, 'name'], v.name]));
  for (const [key, value] of Object.entries(t.labels)) out.push([['labels', key], value]);
  t.healthcheck?.test.forEach((arg, i) => out.push([['healthcheck', 'test', i], arg]));
  return out;
}
