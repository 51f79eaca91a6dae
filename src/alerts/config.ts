/** The `alerts:` section with its secret references resolved. */
import { resolveSecret, type SecretContext } from '../config/secrets.ts';
import type { ReceiverCredentials } from './auth.ts';
import type { AlertsSection } from './config-schema.ts';

export interface AlertsConfig extends Omit<AlertsSection, 'token' | 'basic'> {
  readonly credentials: ReceiverCredentials;
}

/** The settings, and every secret value in them (for the redaction list). */
export function resolveAlerts(
  section: AlertsSection | undefined,
  ctx: SecretContext,
): { settings: AlertsConfig | undefined; secrets: string[] } {
  if (section === undefined) return { settings: undefined, secrets: [] };
  const { token, basic, ...rest } = section;
  let credentials: ReceiverCredentials;
  if (token !== undefined) {
    credentials = { kind: 'bearer', token: resolveSecret(token, 'alerts.token', ctx) };
  } else if (basic !== undefined) {
    const password = resolveSecret(basic.password, 'alerts.basic.password', ctx);
    credentials = { kind: 'basic', username: basic.username, password };
  } else {
    // The schema requires one of them; this keeps the types honest.
    throw new Error('alerts: no receiver credentials');
  }
  const secrets = credentials.kind === 'bearer' ? [credentials.token] : [credentials.password];
  return {
    settings: { ...rest, credentials, alertmanagerUrl: rest.alertmanagerUrl?.replace(/\/+$/, '') },
    secrets,
  };
}
