/**
 * A small HTTP client for the fuzz targets: node:http on a keep-alive agent (fetch refuses
 * some header values a hostile client can still send, and is slower per request).
 */
import { Agent, request } from 'node:http';

export interface Reply {
  readonly status: number;
  readonly text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly json: unknown;
}

const agent = new Agent({ keepAlive: true, maxSockets: 4 });

export function send(
  url: string,
  options: {
    readonly method?: string;
    readonly headers?: Readonly<Record<string, string>>;
    readonly body?: string | Buffer;
  },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    // Node sends a GET's or DELETE's body with no length unless told: the server would read
    // it as the start of the next request.
    const headers = {
      ...options.headers,
      ...(options.body === undefined
        ? {}
        : { 'content-length': String(Buffer.byteLength(options.body)) }),
    };
    const req = request(url, { method: options.method ?? 'POST', headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, text, json });
      });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Printable ASCII: what any client can put in a header value. */
export const headerChars = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i));
