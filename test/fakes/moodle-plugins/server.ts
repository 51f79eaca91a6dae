/**
 * A fake Moodle plugins directory (API 1.3) on 127.0.0.1. It serves what Moodle's own client
 * reads (lib/classes/update/api.php in moodle/moodle): `pluginfo.php?format=json&plugin=…
 * &branch=…` → `{status: "OK", apiver: "1.3", pluginfo: {id, name, component, source, doc,
 * bugs, discussion, version}}` with `version` the newest one whose supportedmoodles include
 * the branch, or false when none does; `pluglist.php` → `{timestamp, plugins: [{…,
 * versions: […]}]}`. Version numbers are numbers, releases and URLs strings, as the directory
 * sends them. An unknown plugin is a 404 (the bot must not take it for an outage). `down()`
 * makes every request fail with a 503, as a directory under maintenance does;
 * `refuseConnections()` stops listening (connection refused) until `acceptConnections()`.
 *
 * A version given the bytes of a ZIP (`zip`, or `serveZip()`) is downloadable from this server,
 * as moodle.org serves `download.php/<id>/<component>_moodle<branch>_<version>.zip`: its
 * `downloadurl` points here and its `downloadmd5` is the ZIP's MD5 unless `md5` overrides it
 * (a wrong MD5). `downloads` lists the download requests.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeVersion {
  readonly version: number;
  readonly release: string;
  readonly maturity: number;
  /** Releases of Moodle this version supports, e.g. ['4.4', '4.5']. */
  readonly supports: readonly string[];
  /** The `downloadmd5` to report instead of the ZIP's own (a wrong MD5). */
  readonly md5?: string;
  /** The package: served at `downloadurl` on this server. */
  readonly zip?: Uint8Array;
}

export interface FakePlugin {
  readonly id: number;
  readonly name: string;
  readonly component: string;
  readonly versions: readonly FakeVersion[];
}

/** Moodle release → its version number (FIELD-NOTES: release ↔ version). */
const moodleVersions: Readonly<Record<string, number>> = {
  '4.1': 2022112800,
  '4.2': 2023042400,
  '4.3': 2023100900,
  '4.4': 2024042200,
  '4.5': 2024100700,
  '5.0': 2025041400,
  '5.1': 2025100600,
};

export const attendance: FakePlugin = {
  id: 1,
  name: 'Attendance',
  component: 'mod_attendance',
  versions: [
    {
      version: 2024100300,
      release: '4.5.0',
      maturity: 200,
      supports: ['4.5'],
      md5: '0f343b0931126a20f133d67c2b018a3b',
    },
    { version: 2023100900, release: '4.3.1', maturity: 200, supports: ['4.2', '4.3', '4.4'] },
  ],
};

export const attendanceBlock: FakePlugin = {
  id: 2,
  name: 'Attendance table',
  component: 'block_attendancetable',
  versions: [
    { version: 2024010100, release: '1.2', maturity: 100, supports: ['4.3', '4.4', '4.5'] },
  ],
};

export const attendanceReport: FakePlugin = {
  id: 3,
  name: 'Attendance report',
  component: 'report_attendance',
  versions: [{ version: 2022010100, release: '0.9', maturity: 50, supports: ['3.11', '4.0'] }],
};

export const checklist: FakePlugin = {
  id: 4,
  name: 'Checklist',
  component: 'mod_checklist',
  versions: [{ version: 2025050100, release: '5.0', maturity: 200, supports: ['5.0', '5.1'] }],
};

export const defaultPlugins: readonly FakePlugin[] = [
  attendance,
  attendanceBlock,
  attendanceReport,
  checklist,
];

interface Download {
  readonly zip: Uint8Array;
  readonly md5: string | undefined;
}

export class FakePluginsDirectory {
  readonly requests: string[] = [];
  /** Paths of the download requests, in order. */
  readonly downloads: string[] = [];
  #server: Server | undefined;
  #port = 0;
  #down = false;
  #plugins: readonly FakePlugin[];
  /** `<component>@<version>` → the package and the MD5 to report. */
  readonly #zips = new Map<string, Download>();

  constructor(plugins: readonly FakePlugin[] = defaultPlugins) {
    this.#plugins = plugins;
    for (const plugin of plugins) {
      for (const v of plugin.versions) {
        if (v.zip !== undefined)
          this.#zips.set(`${plugin.component}@${v.version}`, { zip: v.zip, md5: v.md5 });
      }
    }
  }

  async start(): Promise<string> {
    await this.#listen(0);
    return `${this.origin}/api/1.3`;
  }

  /** `http://127.0.0.1:<port>`, once started. */
  get origin(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  async #listen(port: number): Promise<void> {
    const server = createServer((req, res) => this.#handle(req, res));
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    this.#port = (server.address() as AddressInfo).port;
  }

  /**
   * Serves `zip` as the package of that version (which must be in the catalog); its MD5 is
   * reported unless `options.md5` says otherwise. Returns the download URL.
   */
  serveZip(
    component: string,
    version: number,
    zip: Uint8Array,
    options: { readonly md5?: string } = {},
  ): string {
    const plugin = this.#plugins.find((p) => p.component === component);
    const v = plugin?.versions.find((x) => x.version === version);
    if (plugin === undefined || v === undefined)
      throw new Error(`${component} ${version} is not in the fake directory`);
    this.#zips.set(`${component}@${version}`, { zip, md5: options.md5 ?? v.md5 });
    return this.#downloadUrl(plugin, v);
  }

  /** Every request answers 503, as a directory under maintenance does. */
  down(): void {
    this.#down = true;
  }

  up(): void {
    this.#down = false;
  }

  /** Nothing listens (connection refused) until `acceptConnections()`. */
  refuseConnections(): Promise<void> {
    return this.#close();
  }

  /** Listens again, on the same port. */
  async acceptConnections(): Promise<void> {
    if (this.#server === undefined) await this.#listen(this.#port);
  }

  stop(): Promise<void> {
    return this.#close();
  }

  #close(): Promise<void> {
    return new Promise((resolve) => {
      const server = this.#server;
      this.#server = undefined;
      if (server === undefined) {
        resolve();
        return;
      }
      server.closeAllConnections();
      server.close(() => resolve());
    });
  }

  #downloadUrl(plugin: FakePlugin, v: FakeVersion): string {
    const branch = (v.supports.at(-1) ?? '').replace('.', '');
    return (
      `${this.origin}/plugins/download.php/${v.version % 100000}/` +
      `${plugin.component}_moodle${branch}_${v.version}.zip`
    );
  }

  #versionJson(plugin: FakePlugin, v: FakeVersion): Record<string, unknown> {
    const served = this.#zips.get(`${plugin.component}@${v.version}`);
    if (served === undefined) return versionJson(v);
    return {
      ...versionJson(v),
      downloadurl: this.#downloadUrl(plugin, v),
      downloadmd5: served.md5 ?? createHash('md5').update(served.zip).digest('hex'),
    };
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    this.requests.push(url.pathname + url.search);
    if (this.#down) {
      send(res, 503, '<html>Service Unavailable</html>', 'text/html');
      return;
    }
    if (url.pathname.startsWith('/plugins/download.php/')) {
      this.downloads.push(url.pathname);
      this.#download(url.pathname, res);
      return;
    }
    if (url.pathname === '/api/1.3/pluglist.php') {
      send(
        res,
        200,
        JSON.stringify({
          timestamp: 1733500000,
          plugins: this.#plugins.map((p) => ({
            ...pluginBase(p),
            versions: p.versions.map((v) => this.#versionJson(p, v)),
          })),
        }),
      );
      return;
    }
    if (url.pathname === '/api/1.3/pluginfo.php') {
      const plugin = this.#plugins.find((p) => p.component === url.searchParams.get('plugin'));
      if (plugin === undefined) {
        send(res, 404, JSON.stringify({ error: 'Plugin not found' }));
        return;
      }
      const branch = url.searchParams.get('branch');
      const fitting = [...plugin.versions]
        .sort((a, b) => b.version - a.version)
        .find((v) => branch === null || v.supports.includes(branch));
      send(
        res,
        200,
        JSON.stringify({
          status: 'OK',
          apiver: '1.3',
          pluginfo: {
            ...pluginBase(plugin),
            version: fitting === undefined ? false : this.#versionJson(plugin, fitting),
          },
        }),
      );
      return;
    }
    send(res, 404, JSON.stringify({ error: 'not found' }));
  }

  /** `/plugins/download.php/<id>/<component>_moodle<branch>_<version>.zip`. */
  #download(path: string, res: ServerResponse): void {
    const file = path.slice(path.lastIndexOf('/') + 1);
    const m = /^([a-z][a-z0-9_]*)_moodle[0-9]+_([0-9]+)\.zip$/.exec(file);
    const served = m === null ? undefined : this.#zips.get(`${m[1] ?? ''}@${m[2] ?? ''}`);
    if (served === undefined) {
      send(res, 404, '<html>Not found</html>', 'text/html');
      return;
    }
    res.writeHead(200, {
      'content-type': 'application/zip',
      'content-length': served.zip.byteLength,
      'content-disposition': `attachment; filename="${file}"`,
    });
    res.end(served.zip);
  }
}

function pluginBase(p: FakePlugin): Record<string, unknown> {
  return {
    id: p.id,
    name: p.name,
    component: p.component,
    source: `https://github.com/example/moodle-${p.component}`,
    doc: null,
    bugs: null,
    discussion: null,
    timecreated: 1400000000,
  };
}

function versionJson(v: FakeVersion): Record<string, unknown> {
  return {
    id: v.version % 100000,
    version: v.version,
    release: v.release,
    maturity: v.maturity,
    downloadurl: `https://moodle.org/plugins/download.php/${v.version % 100000}/plugin.zip`,
    downloadmd5: v.md5 ?? 'c4ca4238a0b923820dcc509a6f75849b',
    vcssystem: 'git',
    vcssystemother: null,
    vcsrepositoryurl: null,
    vcsbranch: null,
    vcstag: null,
    timecreated: 1700000000,
    supportedmoodles: v.supports.map((release) => ({
      version: moodleVersions[release] ?? 2021051700,
      release,
    })),
  };
}

function send(res: ServerResponse, status: number, body: string, type = 'application/json'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
