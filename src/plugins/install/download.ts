/**
 * A plugin's ZIP from the directory's `downloadurl`: bounded in time and in size (the body is
 * read chunk by chunk and cut off past the limit, whatever Content-Length says), cancelled
 * with the job.
 */
import { UserError } from '../../core/errors.ts';

export interface DownloadLimits {
  readonly maxBytes: number;
  readonly timeoutMs: number;
}

export type Download = (url: string, signal: AbortSignal) => Promise<Uint8Array>;

/** Only http(s) URLs are fetched; anything else (file:, data:) is refused. */
function checkedUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UserError('plugin-download-failed', { url, reason: 'not a URL' });
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new UserError('plugin-download-failed', { url, reason: 'not http(s)' });
  }
  return parsed;
}

export function httpDownload(limits: DownloadLimits): Download {
  return async (url, signal) => {
    const target = checkedUrl(url);
    const bounded = AbortSignal.any([signal, AbortSignal.timeout(limits.timeoutMs)]);
    const fail = (reason: string): UserError =>
      new UserError('plugin-download-failed', { url, reason });
    let response: Response;
    try {
      response = await fetch(target, { signal: bounded, redirect: 'follow' });
    } catch (error) {
      signal.throwIfAborted();
      throw fail(error instanceof Error ? error.message : String(error));
    }
    if (!response.ok || response.body === null) {
      await response.body?.cancel();
      throw fail(`HTTP ${response.status}`);
    }
    const tooBig = new UserError('plugin-download-too-big', {
      url,
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
