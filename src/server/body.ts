/** Reading request bodies with a size limit, and answering JSON. */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The body was larger than allowed: answer 413. */
export class BodyTooLarge extends Error {
  constructor(limit: number) {
    super(`request body larger than ${limit} bytes`);
    this.name = 'BodyTooLarge';
  }
}

/**
 * The whole body, refused as soon as it passes `limit` bytes (by Content-Length before
 * reading, else while reading), so a large body never sits in memory.
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) throw new BodyTooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new BodyTooLarge(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * Answers 413 for a body that is too large. The rest of the upload is discarded, and the
 * connection closed so the client cannot keep sending on it.
 */
export function sendTooLarge(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('connection', 'close');
  sendJson(res, 413, { error: 'payload-too-large' });
  req.resume();
}
