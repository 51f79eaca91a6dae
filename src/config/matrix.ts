/** The `matrix:` section with its secret references resolved. */
import type { ConfigFile } from './schema.ts';
import { resolveSecret, type SecretContext } from './secrets.ts';

export interface MatrixConfig {
  readonly homeserverUrl: string;
  readonly userId: string;
  readonly accessToken: string;
  readonly deviceId: string;
  readonly allowedInviters: readonly string[];
  readonly allowedRooms: readonly string[];
  readonly rooms: readonly string[];
  /** Set when end-to-end encryption is on: encrypts the crypto store at rest. */
  readonly cryptoPassphrase: string | undefined;
}

/** The settings, and the secret values in them (for the redaction list). */
export function resolveMatrix(
  section: ConfigFile['matrix'],
  ctx: SecretContext,
): { settings: MatrixConfig | undefined; secrets: string[] } {
  if (section === undefined) return { settings: undefined, secrets: [] };
  const accessToken = resolveSecret(section.accessToken, 'matrix.accessToken', ctx);
  const deviceId = resolveSecret(section.deviceId, 'matrix.deviceId', ctx).trim();
  const cryptoPassphrase =
    section.encryption === undefined
      ? undefined
      : resolveSecret(section.encryption.passphrase, 'matrix.encryption.passphrase', ctx);
  return {
    settings: {
      homeserverUrl: section.homeserverUrl.replace(/\/+$/, ''),
      userId: section.userId,
      accessToken,
      deviceId,
      allowedInviters: section.allowedInviters,
      allowedRooms: section.allowedRooms,
      rooms: section.rooms,
      cryptoPassphrase,
    },
    // The device id is not a credential by itself, but it is given by reference like the
    // token it belongs to, so it is kept out of logs the same way.
    secrets: [accessToken, ...(cryptoPassphrase === undefined ? [] : [cryptoPassphrase])],
  };
}
