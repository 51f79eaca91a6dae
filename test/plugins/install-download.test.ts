/**
 * Where a plugin's ZIP may come from: the download URL is read from the directory's JSON, so
 * only the allowed origins are fetched, each redirect is checked before it is followed, and a
 * URL shown in an error carries no user, password or query. The directory's own JSON is read
 * up to a limit. Real HTTP servers on 127.0.0.1.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.ts';
import { DirectoryClient, DirectoryDown } from '../../src/plugins/directory-client.ts';
import { downloadOrigins, httpDownload } from '../../src/plugins/install/download.ts';

interface Site {
  readonly origin: string;
  readonly hits: string[];
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function site(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<Site> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    handle(req, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, hits };
}

const zip = Buffer.from('PK\u0003\u0004 a plugin');
const serveZip = (_req: IncomingMessage, res: ServerResponse): void => {
  res.writeHead(200, { 'content-type': 'application/zip' });
  res.end(zip);
};

async function refusal(promise: Promise<unknown>): Promise<UserError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UserError);
  return error as UserError;
}

const limits = { maxBytes: 1024 * 1024, timeoutMs: 10_000 };
const signal = new AbortController().signal;

describe('the plugin download', () => {
  it('fetches from the directory’s own origin, and follows a redirect within the allowed ones', async () => {
    const mirror = await site(serveZip);
    const directory = await site((_req, res) => {
      res.writeHead(302, { location: `${mirror.origin}/files/attendance.zip` });
      res.end();
    });
    const download = httpDownload({
      ...limits,
      origins: downloadOrigins(`${directory.origin}/api/1.3`, [mirror.origin]),
    });
    expect(Buffer.from(await download(`${directory.origin}/download.php/x.zip`, signal))).toEqual(
      zip,
    );
    expect(directory.hits).toEqual(['/download.php/x.zip']);
    expect(mirror.hits).toEqual(['/files/attendance.zip']);
  });

  it('refuses a URL of another origin without asking it, and shows no credentials or query', async () => {
    const directory = await site(serveZip);
    const inside = await site(serveZip);
    const download = httpDownload({
      ...limits,
      origins: downloadOrigins(`${directory.origin}/api/1.3`, []),
    });
    const url = inside.origin.replace('//', '//admin:s3cret@') + '/latest/meta-data?token=abc';
    const error = await refusal(download(url, signal));
    expect(error.code).toBe('plugin-download-failed');
    const text = error.text('en');
    expect(text).toBe(
      `Could not download ${inside.origin}/latest/meta-data: ${inside.origin} is not an allowed origin (plugins.downloadOrigins)`,
    );
    expect(inside.hits).toEqual([]);
  });

  it('refuses a redirect to another origin before following it', async () => {
    const inside = await site(serveZip);
    const directory = await site((_req, res) => {
      res.writeHead(301, { location: `${inside.origin}/admin?key=1` });
      res.end();
    });
    const download = httpDownload({
      ...limits,
      origins: downloadOrigins(`${directory.origin}/api/1.3`, []),
    });
    const error = await refusal(download(`${directory.origin}/x.zip`, signal));
    expect(error.text('en')).toContain(`${inside.origin} is not an allowed origin`);
    expect(error.text('en')).not.toContain('key=1');
    expect(directory.hits).toEqual(['/x.zip']);
    expect(inside.hits).toEqual([]);
  });

  it('allows download.moodle.org by default, besides the directory', () => {
    expect(downloadOrigins(undefined, [])).toEqual(['https://download.moodle.org']);
    expect(downloadOrigins('http://127.0.0.1:9/api', ['https://mirror.example'])).toEqual([
      'http://127.0.0.1:9',
      'https://download.moodle.org',
      'https://mirror.example',
    ]);
  });
});

describe('the directory’s JSON', () => {
  it('is read up to a limit, whatever Content-Length says (none here: chunked)', async () => {
    const directory = await site((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const filler = 'x'.repeat(64 * 1024);
      res.write(`{"timestamp":1,"currentversions":[],"plugins":[{"name":"${filler}`);
      for (let i = 0; i < 32; i++) res.write(filler);
      res.end('"}]}');
    });
    const client = new DirectoryClient({ baseUrl: directory.origin, maxBytes: 1024 * 1024 });
    const error = await client.pluglist().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DirectoryDown);
    expect((error as Error).message).toBe('pluglist.php: larger than 1 MB');
  });
});
