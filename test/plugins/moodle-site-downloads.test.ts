/**
 * The fake plugins directory (test/fakes/moodle-plugins/server.ts) serving real packages:
 * pluginfo's `downloadurl` points at the fake itself on 127.0.0.1, `downloadmd5` is the
 * package's MD5 unless a test makes it wrong, the download answers the ZIP's bytes, and the
 * directory can be down with a 503 or refuse connections altogether.
 */
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attendance, FakePluginsDirectory } from '../fakes/moodle-plugins/server.ts';
import { pluginZip } from '../fakes/moodle-plugins/zips.ts';

const md5 = (bytes: Uint8Array): string => createHash('md5').update(bytes).digest('hex');

interface Pluginfo {
  readonly pluginfo: {
    readonly version: { readonly downloadurl: string; readonly downloadmd5: string } | false;
  };
}

describe('the fake plugins directory serves packages', () => {
  const good = pluginZip('good', 'local_hello', { version: 2024120100 });
  const fake = new FakePluginsDirectory([
    attendance,
    {
      id: 9,
      name: 'Hello',
      component: 'local_hello',
      versions: [
        { version: 2024120100, release: '1.0', maturity: 200, supports: ['4.5'], zip: good },
      ],
    },
  ]);
  let api = '';
  beforeAll(async () => {
    api = await fake.start();
  });
  afterAll(() => fake.stop());

  async function info(component: string): Promise<{ downloadurl: string; downloadmd5: string }> {
    const res = await fetch(`${api}/pluginfo.php?format=json&plugin=${component}&branch=4.5`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Pluginfo;
    if (body.pluginfo.version === false) throw new Error(`no version of ${component}`);
    return body.pluginfo.version;
  }

  it('reports a download URL on 127.0.0.1 and the package’s MD5, and the URL answers the bytes', async () => {
    const version = await info('local_hello');
    expect(version.downloadurl).toBe(
      `${fake.origin}/plugins/download.php/20100/local_hello_moodle45_2024120100.zip`,
    );
    expect(version.downloadmd5).toBe(md5(good));
    const res = await fetch(version.downloadurl);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    expect(Buffer.from(await res.arrayBuffer()).equals(good)).toBe(true);
    expect(fake.downloads).toContain(new URL(version.downloadurl).pathname);
    // pluglist names the same URL.
    const list = (await (await fetch(`${api}/pluglist.php`)).json()) as {
      plugins: { component: string; versions: { downloadurl: string }[] }[];
    };
    const hello = list.plugins.find((p) => p.component === 'local_hello');
    expect(hello?.versions[0]?.downloadurl).toBe(version.downloadurl);
  });

  it('serves a package given later, with a wrong MD5 when told, and leaves others as moodle.org URLs', async () => {
    const before = await info('mod_attendance');
    expect(before.downloadurl).toMatch(/^https:\/\/moodle\.org\/plugins\/download\.php\//);
    const zip = pluginZip('good', 'mod_attendance', { version: 2024100300 });
    const url = fake.serveZip('mod_attendance', 2024100300, zip, { md5: 'f'.repeat(32) });
    const after = await info('mod_attendance');
    expect(after.downloadurl).toBe(url);
    expect(after.downloadmd5).toBe('f'.repeat(32));
    const body = Buffer.from(await (await fetch(url)).arrayBuffer());
    expect(md5(body)).toBe(md5(zip));
    expect(md5(body)).not.toBe(after.downloadmd5);
    expect(
      (await fetch(`${fake.origin}/plugins/download.php/1/mod_none_moodle45_1.zip`)).status,
    ).toBe(404);
    expect(() => fake.serveZip('mod_attendance', 1, zip)).toThrow(/not in the fake directory/);
  });

  it('is down with a 503, then refuses connections, then serves again on the same port', async () => {
    const { downloadurl } = await info('local_hello');
    fake.down();
    expect((await fetch(downloadurl)).status).toBe(503);
    fake.up();
    await fake.refuseConnections();
    // A new connection is refused (a pooled keep-alive socket would only see its close).
    const { hostname, port } = new URL(downloadurl);
    const refused = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      const socket = connect({ host: hostname, port: Number(port) });
      socket.once('connect', () => {
        socket.destroy();
        resolve(undefined);
      });
      socket.once('error', resolve);
    });
    expect(refused?.code).toBe('ECONNREFUSED');
    await fake.acceptConnections();
    expect((await fetch(downloadurl)).status).toBe(200);
  });
});
