/**
 * One HTTP request of a check: the status and the parsed JSON body, or why no answer came,
 * in words (connection refused, unknown host…). Tokens go in headers, never in the address,
 * so no reason shown can hold one.
 */
import type { Text } from '../core/i18n.ts';

export type Probe =
  | { readonly answered: true; readonly status: number; readonly body: unknown }
  | { readonly answered: false; readonly reason: Text };

const reasons: Readonly<Record<string, Text>> = {
  ECONNREFUSED: { ru: 'соединение отклонено', en: 'connection refused' },
  ENOTFOUND: { ru: 'неизвестный хост', en: 'unknown host' },
  EAI_AGAIN: { ru: 'неизвестный хост', en: 'unknown host' },
  ECONNRESET: { ru: 'соединение сброшено', en: 'connection reset' },
  EHOSTUNREACH: { ru: 'хост недоступен', en: 'host unreachable' },
  ENETUNREACH: { ru: 'сеть недоступна', en: 'network unreachable' },
  ETIMEDOUT: { ru: 'истекло время ожидания', en: 'timed out' },
  CERT_HAS_EXPIRED: { ru: 'сертификат TLS просрочен', en: 'the TLS certificate has expired' },
  DEPTH_ZERO_SELF_SIGNED_CERT: {
    ru: 'самоподписанный сертификат TLS',
    en: 'a self-signed TLS certificate',
  },
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: {
    ru: 'сертификат TLS не проверяется',
    en: 'the TLS certificate cannot be verified',
  },
  ERR_TLS_CERT_ALTNAME_INVALID: {
    ru: 'сертификат TLS выдан на другое имя',
    en: 'the TLS certificate is for another name',
  },
};

/** The errno-like code undici puts on the cause of a failed fetch. */
function causeCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    if ('code' in current && typeof current.code === 'string') return current.code;
    current = 'cause' in current ? current.cause : undefined;
  }
  return undefined;
}

export async function probe(
  url: string,
  options: { signal: AbortSignal; headers?: Readonly<Record<string, string>>; method?: string },
): Promise<Probe> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: options.method ?? 'GET',
      headers: options.headers,
      signal: options.signal,
      redirect: 'manual',
    });
  } catch (error) {
    if (options.signal.aborted) throw error;
    const code = causeCode(error);
    const reason = code === undefined ? undefined : reasons[code];
    return {
      answered: false,
      reason: reason ?? {
        ru: `нет ответа (${code ?? 'ошибка'})`,
        en: `no answer (${code ?? 'error'})`,
      },
    };
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { answered: true, status: response.status, body };
}

/** A string field of a JSON object, if it is one. */
export function field(body: unknown, name: string): string | undefined {
  if (typeof body !== 'object' || body === null || !(name in body)) return undefined;
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}
