/** The `mattermost:` section with its secret references resolved. */
import type { ConfigFile } from './schema.ts';
import { resolveSecret, type SecretContext } from './secrets.ts';

export interface MattermostConfig {
  readonly url: string;
  readonly botToken: string;
  readonly slashTokens: readonly string[];
  readonly actionSecret: string | undefined;
  readonly publicUrl: string | undefined;
  readonly teams: readonly string[];
  readonly channels: readonly string[];
}

/** The settings, and every secret value in them (for the redaction list). */
export function resolveMattermost(
  section: ConfigFile['mattermost'],
  ctx: SecretContext,
): { settings: MattermostConfig | undefined; secrets: string[] } {
  if (section === undefined) return { settings: undefined, secrets: [] };
  const botToken = resolveSecret(section.botToken, 'mattermost.botToken', ctx);
  const slashTokens = section.slashTokens.map((ref, i) =>
    resolveSecret(ref, `mattermost.slashTokens.${i}`, ctx),
  );
  const actionSecret =
    section.actionSecret === undefined
      ? undefined
      : resolveSecret(section.actionSecret, 'mattermost.actionSecret', ctx);
  return {
    settings: {
      url: section.url.replace(/\/+$/, ''),
      botToken,
      slashTokens,
      actionSecret,
      publicUrl: section.publicUrl?.replace(/\/+$/, ''),
      teams: section.teams,
      channels: section.channels,
    },
    secrets: [botToken, ...slashTokens, ...(actionSecret === undefined ? [] : [actionSecret])],
  };
}
