/**
 * A fake Moodle plugins directory (API 1.3) on 127.0.0.1. It serves what Moodle's own client
 * reads (lib/classes/update/api.php in moodle/moodle): `pluginfo.php?format=json&plugin=…
 * &branch=…` → `{status: "OK", apiver: "1.3", pluginfo: {id, name, component, source, doc,
 * bugs, discussion, version}}` with `version` the newest one whose supportedmoodles include
 * the branch, or false when none does; `pluglist.php` → `{timestamp, plugins: [{…,
 * versions: […]}]}`. Version numbers are numbers, releases and URLs strings, as the directory
 * sends them. An unknown plugin is a 404 (the bot must not take it for an outage). `down()`
 * makes every request fail with a 503, as a directory under maintenance does.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeVersion {
  readonly version: number;
  readonly release: string;
  readonly maturity: number;
  /** Releases of Moodle this version supports, e.g. ['4.4', '4.5']. */
  readonly supports: readonly string[];
  readonly md5?: string;
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

export class FakePluginsDirectory {
  readonly requests: string[] = [];
  #server: Server | undefined;
  #down = false;
  #plugins: readonly FakePlugin[];

  constructor(plugins: readonly FakePlugin[] = defaultPlugins) {
    this.#plugins = plugins;
  }

  async start(): Promise<string> {
    this.#server = createServer((req, res) => this.#handle(req, res));
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    const { port } = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/api/1.3`;
  }

  down(): void {
    this.#down = true;
  }

  up(): void {
    this.#down = false;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#server === undefined) {
        resolve();
        return;
      }
      this.#server.closeAllConnections();
      this.#server.close(() => resolve());
    });
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    this.requests.push(url.pathname + url.search);
    if (this.#down) {
      send(res, 503, '<html>Service Unavailable</html>', 'text/html');
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
            versions: p.versions.map(versionJson),
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
            version: fitting === undefined ? false : versionJson(fitting),
          },
        }),
      );
      return;
    }
    send(res, 404, JSON.stringify({ error: 'not found' }));
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
