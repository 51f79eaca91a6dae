/**
 * A throwaway serving certificate for 127.0.0.1, made by openssl (which scripts/test-env.sh
 * installs). The fake serves HTTPS because kubectl, like a real client, sends a bearer token
 * only over TLS (seen with kubectl 1.33: no Authorization header on an http:// server).
 * The certificate is its own CA; the kubeconfig carries it as certificate-authority-data.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface ServingCert {
  readonly key: Buffer;
  readonly cert: Buffer;
}

export async function makeServingCert(dir: string): Promise<ServingCert> {
  const keyPath = join(dir, 'server.key');
  const certPath = join(dir, 'server.crt');
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    keyPath,
    '-out',
    certPath,
    '-days',
    '2',
    '-subj',
    '/CN=fake-kube-apiserver',
    '-addext',
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ]);
  return { key: await readFile(keyPath), cert: await readFile(certPath) };
}
