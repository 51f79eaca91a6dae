/**
 * The backup parts of the configuration schema (schema.ts uses them): the top-level
 * `backup:` section (engine, repository, password and engine environment by reference), a
 * service's `backup:` (retention, hooks, schedules, command sources) and how a database is
 * reached (`via: exec | tcp`). Everything that reaches an argv is checked by pattern here.
 */
import { z } from 'zod';
import { secretRef } from './secrets.ts';

function matching(re: RegExp, expected: string): z.ZodType<string> {
  return z.string().refine((value) => re.test(value), { error: `expected ${expected}` });
}

const dockerName = matching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'a Docker name');
const sourceName = matching(
  /^[a-z][a-z0-9-]{0,39}$/,
  'a name of lowercase letters, digits and "-", starting with a letter (≤ 40)',
);
const unixUser = matching(
  /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,31})?$/,
  'a user, uid or uid:gid',
);
const hostName = matching(
  /^([A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*|[0-9a-fA-F:]{2,39})$/,
  'a host name or an IP address',
);
const fileName = matching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'a file name');
const envName = matching(/^[A-Z_][A-Z0-9_]{0,63}$/, 'an environment variable name');
/** Five fields, checked in detail by the scheduler. */
const cron = matching(/^\S+(\s+\S+){4}$/, 'a cron expression of 5 fields');
const imageRef = matching(/^[a-z0-9][a-z0-9._/:@-]{0,254}$/, 'an image reference');
/** An argv array: its words reach the program as they are, no shell reads them. */
const argv = z.array(z.string().min(1)).min(1);
const keep = z.int().min(1).optional();

/** Added to a database's fields: how the bot reaches it for a dump. */
export const databaseAccess = {
  /** exec: pg_dump/mysqldump inside `container`; tcp: on the bot's machine against host:port. */
  via: z.enum(['exec', 'tcp']).default('exec'),
  /** For tcp; default 127.0.0.1. */
  host: hostName.optional(),
  /** For tcp; default 5432 (PostgreSQL) or 3306 (MySQL). */
  port: z.int().min(1).max(65535).optional(),
};

const commandSource = z.strictObject({
  name: sourceName,
  container: dockerName.optional(),
  user: unixUser.optional(),
  backup: argv,
  restore: argv.optional(),
  filename: fileName.optional(),
});

export const serviceBackup = z
  .strictObject({
    retention: z
      .strictObject({ keepLast: keep, keepDaily: keep, keepWeekly: keep, keepMonthly: keep })
      .refine(
        (r) => [r.keepLast, r.keepDaily, r.keepWeekly, r.keepMonthly].some((n) => n !== undefined),
        { error: 'expected at least one of keepLast, keepDaily, keepWeekly, keepMonthly' },
      )
      .optional(),
    hooks: z
      .strictObject({
        container: dockerName,
        user: unixUser.optional(),
        before: z.array(argv).default([]),
        after: z.array(argv).default([]),
      })
      .optional(),
    schedule: cron.optional(),
    drill: cron.optional(),
    commands: z.array(commandSource).default([]),
  })
  .superRefine((b, ctx) => {
    const seen = new Set<string>();
    b.commands.forEach((c, i) => {
      if (seen.has(c.name)) {
        ctx.addIssue({ code: 'custom', path: ['commands', i, 'name'], message: 'duplicate name' });
      }
      seen.add(c.name);
    });
  });

/** Variables the engine gets from `repository` and `password`, never from `env`. */
const reservedEnv = new Set([
  'RESTIC_REPOSITORY',
  'RESTIC_PASSWORD',
  'RESTIC_PASSWORD_FILE',
  'RESTIC_PASSWORD_COMMAND',
  'BORG_REPO',
  'BORG_PASSPHRASE',
  'BORG_PASSCOMMAND',
  'BORG_PASSPHRASE_FD',
]);

export const backupSection = z.strictObject({
  engine: z.enum(['restic', 'borg']).default('restic'),
  /**
   * A path, or the engine's location syntax: restic `sftp:user@host:/path`,
   * `s3:https://minio:9000/bucket`, `rest:https://host/`; borg `ssh://user@host/./repo`.
   */
  repository: z
    .string()
    .min(1)
    .refine((r) => !r.startsWith('-') && !/\s/.test(r), {
      error: 'expected a path or a repository location without spaces',
    })
    .refine((r) => !/^(?:[a-z0-9]+:)*[a-z][a-z0-9+.-]*:\/\/[^/@]*:[^/@]*@/i.test(r), {
      error: 'a password in the repository URL would be shown: put credentials in backup.env',
    }),
  password: secretRef,
  /** Extra variables for the engine (AWS_ACCESS_KEY_ID, BORG_RSH…), each a secret reference. */
  env: z
    .record(envName, secretRef)
    .default({})
    .superRefine((env, ctx) => {
      for (const key of Object.keys(env)) {
        if (reservedEnv.has(key)) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: 'set by the bot from repository and password',
          });
        }
      }
    }),
  /** The helper image that streams volumes: needs tar, find and rm; must be on the host. */
  helperImage: imageRef.default('busybox:1.36'),
  /**
   * Where the bot cannot read a volume's mount point (a remote engine, the bot not root),
   * restic or borg runs next to the volume in a helper container of `image` (default: the
   * bot's own image, when the bot runs in a container; it has both engines), with no network
   * unless `network` names one (for a remote repository), its caches kept in `cacheVolume`.
   */
  engineHelper: z
    .strictObject({
      image: imageRef.optional(),
      network: dockerName.optional(),
      cacheVolume: dockerName.default('pes-bot-engine-cache'),
    })
    .prefault({}),
  /**
   * When `pes serve` prunes the repository: a cron expression, or `false` for never (an
   * admin runs `backup prune`). Absent: weekly, Sunday 04:00, once anything is scheduled.
   */
  prune: z.union([cron, z.literal(false)]).optional(),
});
