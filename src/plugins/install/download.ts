/**
 * A plugin's ZIP from the directory's `downloadurl`: bounded in time and in size (the body is
 * read chunk by chunk and cut off past the limit, whatever Content-Length says), cancelled
 * with the job, and fetched only from the allowed origins: the URL comes from the directory's
 * JSON, so a directory (or a cache of it) that names an internal address must not make the
 * bot fetch it. Redirects are followed by hand, each hop checked the same way.
 */
import { UserError } from '../../core/errors.ts';
import { directoryOrigin } from '../directory-client.ts';

export interface DownloadLimits {
  readonly maxBytes: number;
  readonly timeoutMs: number;
  /** Origins (`https://host[:port]`) a download and each of its redirects may come from. */
  readonly origins: readonly string[];
}

export type Download = (url: string, signal: AbortSignal) => Promise<Uint8Array>;

/** Where the directory's downloads are served (FIELD-NOTES: downloadurl on download.moodle.org). */
export const moodleDownloadOrigin = 'https://download.moodle.org';

/** The allowed origins: the directory's own, Moodle's download site, and those configured. */
export function downloadOrigins(
  directoryUrl: string | undefined,
  extra: readonly string[],
): string[] {
  return [...new Set([directoryOrigin(directoryUrl), moodleDownloadOrigin, ...extra])];
}

const maxHops = 5;

/** A URL as shown in a message: no user or password, no query, no fragment. */
export function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return url
      .replace(/[?#].*$/s, '')
      .replace(/\/\/[^/@]*@/, '//')
      .slice(0, 200);
  }
}

/** Only http(s) URLs of an allowed origin are fetched; anything else is refused. */
function checkedUrl(url: string, origins: ReadonlySet<string>): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UserError('plugin-download-failed', { url: shownUrl(url), reason: 'not a URL' });
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new UserError('plugin-download-failed', { url: shownUrl(url), reason: 'not http(s)' });
  }
  if (!origins.has(parsed.origin)) {
    throw new UserError('plugin-download-failed', {
      url: shownUrl(url),
      reason: `${parsed.origin} is not an allowed origin (plugins.downloadOrigins)`,
    });
  }
  return parsed;
}

export function httpDownload(limits: DownloadLimits): Download {
  const origins = new Set(limits.origins.map((o) => new URL(o).origin));
  return async (url, signal) => {
    let target = checkedUrl(url, origins);
    const bounded = AbortSignal.any([signal, AbortSignal.timeout(limits.timeoutMs)]);
    const fail = (reason: string): UserError =>
      new UserError('plugin-download-failed', { url: shownUrl(url), reason });
    let response: Response;
    for (let hop = 0; ; hop++) {
      try {
        response = await fetch(target, { signal: bounded, redirect: 'manual' });
      } catch (error) {
        signal.throwIfAborted();
        throw fail(error instanceof Error ? error.message : String(error));
      }
      const location = response.headers.get('location');
      if (response.status < 300 || response.status > 399 || location === null) break;
      await response.body?.cancel();
      if (hop >= maxHops) throw fail(`more than ${maxHops} redirects`);
      target = checkedUrl(new URL(location, target).href, origins);
    }
    if (!response.ok || response.body === null) {
      await response.body?.cancel();
      throw fail(`HTTP ${response.status}`);
    }
    const tooBig = new UserError('plugin-download-too-big', {
      url: shownUrl(url),
      max: Math.round(limits.maxBytes / 1048576),
    });
    const declared = Number(response.headers.get('content-length') ?? NaN);
    if (Number.isFinite(declared) && declared > limits.maxBytes) {
      await response.body.cancel();
      throw tooBig;
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.byteLength;
        if (total > limits.maxBytes) {
          await reader.cancel();
          throw tooBig;
        }
        chunks.push(value);
      }
    } catch (error) {
      if (error === tooBig) throw error;
      signal.throwIfAborted();
      throw fail(error instanceof Error ? error.message : String(error));
    }
    return Buffer.concat(chunks);
  };
}
