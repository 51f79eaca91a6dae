/**
 * The Moodle plugins directory over HTTP (API 1.3, see directory-types.ts). Base URL
 * configurable (`plugins.directoryUrl`, default https://download.moodle.org/api/1.3). Every
 * call is bounded in time; anything but a well-formed answer is a DirectoryDown, which the
 * cache (directory.ts) answers from what it kept.
 */
import type { z } from 'zod';
import {
  pluginfoSchema,
  pluglistSchema,
  type DirectoryPlugin,
  type DirectoryVersion,
} from './directory-types.ts';

export const defaultDirectoryUrl = 'https://download.moodle.org/api/1.3';

/**
 * The most a directory answer may be: Moodle's whole pluglist.php is a few megabytes; a body
 * past this is cut off and counted as the directory being down, not read into memory.
 */
export const defaultMaxJsonBytes = 64 * 1024 * 1024;

/** The origin (`https://host[:port]`) of the directory's base URL. */
export function directoryOrigin(baseUrl: string | undefined): string {
  return new URL(baseUrl ?? defaultDirectoryUrl).origin;
}

/** The directory could not be asked (network, timeout, 5xx, a body that is not its JSON). */
export class DirectoryDown extends Error {
  override readonly name = 'DirectoryDown';
}

export interface DirectoryHttp {
  /** One plugin, with the newest version for `branch` (e.g. `4.5`); undefined when unknown. */
  pluginfo(component: string, branch: string | undefined): Promise<DirectoryPlugin | undefined>;
  /** Every plugin with all its versions. */
  pluglist(): Promise<DirectoryPlugin[]>;
}

export function newestFirst(versions: readonly DirectoryVersion[]): DirectoryVersion[] {
  return [...versions].sort((a, b) => b.version - a.version);
}

export class DirectoryClient implements DirectoryHttp {
  readonly #base: string;
  readonly #timeoutMs: number;
  readonly #maxBytes: number;

  constructor(options: { baseUrl?: string; timeoutMs?: number; maxBytes?: number } = {}) {
    this.#base = (options.baseUrl ?? defaultDirectoryUrl).replace(/\/+$/, '');
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#maxBytes = options.maxBytes ?? defaultMaxJsonBytes;
  }

  async pluginfo(
    component: string,
    branch: string | undefined,
  ): Promise<DirectoryPlugin | undefined> {
    const query = new URLSearchParams({ format: 'json', plugin: component, minversion: '0' });
    if (branch !== undefined) query.set('branch', branch);
    const body = await this.#get(`pluginfo.php?${query.toString()}`, pluginfoSchema, true);
    if (body === undefined || body.status !== 'OK' || body.pluginfo === undefined) return undefined;
    const info = body.pluginfo;
    const version = info.version;
    return {
      name: info.name,
      component: info.component,
      versions: version === undefined || version === null || version === false ? [] : [version],
    };
  }

  async pluglist(): Promise<DirectoryPlugin[]> {
    const body = await this.#get('pluglist.php', pluglistSchema, false);
    if (body === undefined) throw new DirectoryDown('pluglist.php: not found');
    return body.plugins.map((p) => ({
      name: p.name,
      component: p.component,
      versions: newestFirst(p.versions),
    }));
  }

  /** The parsed body; undefined for a 404 when `notFoundIsAnswer` (an unknown plugin). */
  async #get<S extends z.ZodType>(
    path: string,
    schema: S,
    notFoundIsAnswer: boolean,
  ): Promise<z.output<S> | undefined> {
    let response: Response;
    try {
      response = await fetch(`${this.#base}/${path}`, {
        signal: AbortSignal.timeout(this.#timeoutMs),
        headers: { accept: 'application/json' },
      });
    } catch (error) {
      throw new DirectoryDown(`${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (response.status === 404 && notFoundIsAnswer) {
      await response.body?.cancel();
      return undefined;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new DirectoryDown(`${path}: HTTP ${response.status}`);
    }
    const text = await this.#bounded(path, response);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new DirectoryDown(`${path}: not JSON`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new DirectoryDown(`${path}: unexpected shape`);
    return parsed.data;
  }

  /** The body as text, cut off past the limit whatever Content-Length says. */
  async #bounded(path: string, response: Response): Promise<string> {
    const tooBig = (): DirectoryDown =>
      new DirectoryDown(`${path}: larger than ${Math.round(this.#maxBytes / 1048576)} MB`);
    const declared = Number(response.headers.get('content-length') ?? NaN);
    if (response.body === null) return '';
    if (Number.isFinite(declared) && declared > this.#maxBytes) {
      await response.body.cancel();
      throw tooBig();
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.byteLength;
        if (total > this.#maxBytes) {
          await reader.cancel();
          throw tooBig();
        }
        chunks.push(value);
      }
    } catch (error) {
      if (error instanceof DirectoryDown) throw error;
      throw new DirectoryDown(`${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
    return Buffer.concat(chunks).toString('utf8');
  }
}
