/**
 * Matrix: the homeserver takes the access token and says whose it is and on which device
 * (GET /_matrix/client/v3/account/whoami, the Client-Server API), and, with encryption on,
 * whether the bot's encryption store for that device is already in the state database.
 */
import { existsSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import type { LoadedConfig } from '../config/load.ts';
import type { MatrixConfig } from '../config/matrix.ts';
import { fail, ok, type Check, type Finding } from './check.ts';
import { field, probe } from './http-probe.ts';

export function matrixChecks(config: LoadedConfig): Check[] {
  const mx = config.matrix;
  if (mx === undefined) return [];
  const whoami = { ru: 'Matrix', en: 'Matrix' };
  const checks: Check[] = [{ title: whoami, run: (signal) => account(mx, signal) }];
  if (mx.cryptoPassphrase !== undefined) {
    checks.push({
      title: { ru: 'Matrix: шифрование', en: 'Matrix: encryption' },
      run: () => Promise.resolve(cryptoStore(mx, config.statePath)),
    });
  }
  return checks;
}

async function account(mx: MatrixConfig, signal: AbortSignal): Promise<Finding> {
  const url = mx.homeserverUrl.replace(/\/+$/, '');
  const answer = await probe(`${url}/_matrix/client/v3/account/whoami`, {
    signal,
    headers: { authorization: `Bearer ${mx.accessToken}` },
  });
  if (!answer.answered) {
    return fail(
      { ru: `${url}: ${answer.reason.ru}`, en: `${url}: ${answer.reason.en}` },
      {
        ru: 'Проверьте matrix.homeserverUrl и что сервер доступен с этой машины.',
        en: 'Check matrix.homeserverUrl and that the homeserver can be reached from this host.',
      },
    );
  }
  if (answer.status === 401 || answer.status === 403) {
    return fail(
      {
        ru: `${url}: токен доступа не принят (${field(answer.body, 'errcode') ?? `HTTP ${answer.status}`})`,
        en: `${url}: the access token was refused (${field(answer.body, 'errcode') ?? `HTTP ${answer.status}`})`,
      },
      {
        ru: 'Войдите ботом заново (POST /_matrix/client/v3/login) и обновите секрет matrix.accessToken и matrix.deviceId.',
        en: 'Log the bot in again (POST /_matrix/client/v3/login) and update the secret matrix.accessToken and matrix.deviceId.',
      },
    );
  }
  const userId = field(answer.body, 'user_id');
  const deviceId = field(answer.body, 'device_id');
  if (answer.status !== 200 || userId === undefined) {
    return fail({
      ru: `${url}: неожиданный ответ HTTP ${answer.status} на whoami`,
      en: `${url}: unexpected answer HTTP ${answer.status} to whoami`,
    });
  }
  if (userId !== mx.userId) {
    return fail(
      {
        ru: `${url}: токен принадлежит ${userId}, а в конфигурации ${mx.userId}`,
        en: `${url}: the token belongs to ${userId}, the configuration says ${mx.userId}`,
      },
      { ru: 'Исправьте matrix.userId или токен.', en: 'Correct matrix.userId or the token.' },
    );
  }
  if (deviceId !== mx.deviceId) {
    return fail(
      {
        ru: `${url}: токен выдан устройству ${deviceId ?? '?'}, а в конфигурации ${mx.deviceId}`,
        en: `${url}: the token is of device ${deviceId ?? '?'}, the configuration says ${mx.deviceId}`,
      },
      {
        ru: 'Укажите в matrix.deviceId устройство, которому выдан токен: иначе ключи шифрования не совпадут.',
        en: 'Set matrix.deviceId to the device the token was issued to, or the encryption keys will not match.',
      },
    );
  }
  return ok({
    ru: `${url}: ${userId}, устройство ${deviceId}`,
    en: `${url}: ${userId}, device ${deviceId}`,
  });
}

/** The store is kept by account (`user/device`, src/chat/matrix/crypto.ts). */
function cryptoStore(mx: MatrixConfig, statePath: string): Finding {
  const account = `${mx.userId}/${mx.deviceId}`;
  const fresh = ok({
    ru: `хранилища ключей для ${account} ещё нет — создастся при первом запуске`,
    en: `no key store for ${account} yet; it is made at the first start`,
  });
  if (statePath === ':memory:' || !existsSync(statePath)) return fresh;
  let savedAt: unknown;
  try {
    const db = new DatabaseSync(statePath, { readOnly: true });
    try {
      savedAt = db.prepare('SELECT saved_at FROM matrix_crypto WHERE account = ?').get(account)?.[
        'saved_at'
      ];
    } finally {
      db.close();
    }
  } catch {
    // A database from before the encryption store (no table yet) has no store either.
    return fresh;
  }
  if (typeof savedAt !== 'string') return fresh;
  return ok({
    ru: `хранилище ключей ${account} сохранено ${savedAt}`,
    en: `key store of ${account} saved at ${savedAt}`,
  });
}
