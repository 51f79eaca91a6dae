/**
 * A bare HTTPS client for the fake's own tests: sends exactly the method, path, headers and
 * body given (no library smoothing anything), trusting the fake's certificate.
 */
import { request } from 'node:https';
import type { FakeKubernetes } from './index.ts';
import type { Json } from './json.ts';

export interface Reply {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
  readonly json: Json;
}

export interface Send {
  readonly body?: Json | string;
  readonly contentType?: string;
  readonly accept?: string;
  readonly token?: string | null;
}

export function call(
  fake: FakeKubernetes,
  method: string,
  path: string,
  send: Send = {},
): Promise<Reply> {
  const body =
    send.body === undefined
      ? undefined
      : typeof send.body === 'string'
        ? send.body
        : JSON.stringify(send.body);
  const headers: Record<string, string> = { Accept: send.accept ?? 'application/json' };
  if (send.token !== null) headers.Authorization = `Bearer ${send.token ?? 'fake-token'}`;
  if (body !== undefined) {
    headers['Content-Type'] = send.contentType ?? 'application/json';
    // Node frames a DELETE's body only when told its length (no chunked encoding by default).
    headers['Content-Length'] = String(Buffer.byteLength(body));
  }
  return new Promise((resolve, reject) => {
    const req = request(
      `${fake.url}${path}`,
      { method, headers, ca: fake.caCertificate },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => {
          let json: Json;
          try {
            json = JSON.parse(text) as Json;
          } catch {
            json = null;
          }
          resolve({
            status: res.statusCode ?? 0,
            contentType: res.headers['content-type'] ?? '',
            text,
            json,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A minimal valid Deployment. */
export function deployment(name: string, image = 'registry.test/app:1', replicas = 3): Json {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: 'app',
              image,
              env: [
                { name: 'A', value: '1' },
                { name: 'B', value: '2' },
              ],
            },
          ],
        },
      },
    },
  };
}

export const DEPLOYMENTS = '/apis/apps/v1/namespaces/default/deployments';
