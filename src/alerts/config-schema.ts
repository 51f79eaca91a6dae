/**
 * The `alerts:` section of the configuration (see README "Alerts"). Imported by
 * src/config/schema.ts; secrets only by reference.
 */
import { z } from 'zod';
import { secretRef } from '../config/secrets.ts';

/** Label names as Prometheus allows them. */
const labelName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a label name');

const regexText = z.string().refine(
  (source) => {
    try {
      new RegExp(source, 'u');
      return true;
    } catch {
      return false;
    }
  },
  { error: 'expected a regular expression' },
);

/** A Mattermost channel or a Matrix room, as the adapters name rooms. */
const alertRoom = z
  .string()
  .refine(
    (r) =>
      /^mattermost:[a-z0-9]{26}$/.test(r) ||
      /^matrix:![^:\s]{1,255}:[A-Za-z0-9.:-]{1,255}$/.test(r),
    {
      error:
        'expected mattermost:<channel id> (26 lowercase letters and digits) or matrix:!room:server',
    },
  );

/**
 * Users (`@name`) or groups (`@group`) to mention in Mattermost, Matrix users
 * (`@name:server`); `@channel` etc. only via `channelOnCritical`.
 */
const mention = z
  .string()
  .regex(
    /^@[a-z0-9._-]{1,64}(:[A-Za-z0-9.:-]{1,255})?$/,
    'expected @username, @group or @user:server',
  );

const matchers = {
  /** Label = value, all of them. */
  match: z.record(labelName, z.string()).default({}),
  /** Label matches the regular expression (anchored, like Alertmanager's `=~`). */
  matchRe: z.record(labelName, regexText).default({}),
};

const timeZone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { error: 'expected a time zone like Europe/Moscow' },
);

/** Non-critical alerts wait from `start` o'clock until `end` o'clock (may wrap midnight). */
const quietHours = z.strictObject({
  start: z.int().min(0).max(23),
  end: z.int().min(0).max(23),
  timeZone: timeZone.default('UTC'),
});

const route = z.strictObject({
  ...matchers,
  rooms: z.array(alertRoom).min(1),
  mentions: z.array(mention).default([]),
  /** Also notify the whole room (`@channel`) for `severity=critical`. */
  channelOnCritical: z.boolean().default(false),
  /** Keep looking at later routes after this one matched. */
  continue: z.boolean().default(false),
  sendResolved: z.boolean().default(true),
  quietHours: quietHours.optional(),
});

const runbook = z.strictObject({
  ...matchers,
  /** The button's text. */
  label: z.string().min(1).max(40),
  /** A bot command line, run as the person who clicks (e.g. `restart moodle`). */
  command: z.string().min(1).max(200),
});

const basic = z.strictObject({ username: z.string().min(1), password: secretRef });

export const alertsSection = z
  .strictObject({
    path: z
      .string()
      .regex(/^\/[A-Za-z0-9/_-]{0,100}$/, 'expected a path like /alertmanager')
      .default('/alertmanager'),
    token: secretRef.optional(),
    basic: basic.optional(),
    /** Larger bodies are answered 413. */
    maxBodyBytes: z
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .default(4 * 1024 * 1024),
    /** The Alertmanager API v2 base URL, e.g. http://127.0.0.1:9093. */
    alertmanagerUrl: z
      .string()
      .regex(/^https?:\/\/[^\s/]+(\/\S*)?$/, 'expected an http:// or https:// URL')
      .optional(),
    defaultRoom: alertRoom.optional(),
    routes: z.array(route).default([]),
    runbooks: z.array(runbook).default([]),
    /** More new alert groups than this per minute in one room become one digest post. */
    stormThreshold: z.int().min(1).default(20),
  })
  .refine((a) => (a.token === undefined) !== (a.basic === undefined), {
    error: 'the receiver needs exactly one of token or basic',
    path: ['token'],
  })
  .refine((a) => a.defaultRoom !== undefined || a.routes.length > 0, {
    error: 'alerts need a defaultRoom or at least one route',
    path: ['defaultRoom'],
  });

export type AlertsSection = z.output<typeof alertsSection>;
export type AlertRouteConfig = AlertsSection['routes'][number];
export type RunbookConfig = AlertsSection['runbooks'][number];
