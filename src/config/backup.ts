/** The top-level `backup:` section with its secret references resolved. */
import type { ConfigFile } from './schema.ts';
import { resolveSecret, type SecretContext } from './secrets.ts';

export interface BackupConfig {
  readonly engine: 'restic' | 'borg';
  readonly repository: string;
  readonly password: string;
  /** Extra engine environment (e.g. S3 credentials), resolved. */
  readonly env: Readonly<Record<string, string>>;
  /** The image of the helper containers that stream volumes. */
  readonly helperImage: string;
  /** The helper that runs the engine next to a volume whose files are not readable here. */
  readonly engineHelper: {
    /** Undefined: the bot's own image, when it runs in a container. */
    readonly image: string | undefined;
    readonly network: string | undefined;
    readonly cacheVolume: string;
  };
  /** `backup.prune`: a cron expression, false for never, undefined for the default. */
  readonly prune: string | false | undefined;
}

/** The settings, and every secret value in them (for the redaction list). */
export function resolveBackup(
  section: ConfigFile['backup'],
  ctx: SecretContext,
): { settings: BackupConfig | undefined; secrets: string[] } {
  if (section === undefined) return { settings: undefined, secrets: [] };
  const password = resolveSecret(section.password, 'backup.password', ctx);
  const env: Record<string, string> = {};
  for (const [name, ref] of Object.entries(section.env)) {
    env[name] = resolveSecret(ref, `backup.env.${name}`, ctx);
  }
  return {
    settings: {
      engine: section.engine,
      repository: section.repository,
      password,
      env,
      helperImage: section.helperImage,
      engineHelper: {
        image: section.engineHelper.image,
        network: section.engineHelper.network,
        cacheVolume: section.engineHelper.cacheVolume,
      },
      prune: section.prune,
    },
    secrets: [password, ...Object.values(env)],
  };
}
