/**
 * The plugin folder as a tar: read back by real GNU tar, listed with the owners and modes it
 * must carry, and unpacked with the installer's argv into a type directory — where it
 * overwrites nothing and writes nothing outside.
 */
import { spawn } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import fc from 'fast-check';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { extractArgv, tarOf, ustarName } from '../../src/plugins/package/tar.ts';
import type { UnpackedPlugin } from '../../src/plugins/package/types.ts';
import { unpackPlugin } from '../../src/plugins/package/unpack.ts';
import { makeZip, pluginFiles, pluginZip } from '../fakes/moodle-plugins/zips.ts';
import { fuzz, fuzzTimeout } from '../fuzz/fuzz.ts';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(argv: readonly string[], input: Buffer, cwd?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const [cmd = '', ...args] = argv;
    const child = spawn(cmd, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      }),
    );
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

const component = 'mod_attendance';
const uid = process.getuid?.() ?? 0;
const gid = process.getgid?.() ?? 0;
let dir = '';
/** The umask tar runs with (inherited): what a folder made with 0777 lacks. */
let umask = 0;

beforeAll(() => {
  const probe = mkdtempSync(join(tmpdir(), 'pes-umask-'));
  mkdirSync(join(probe, 'd'), 0o777);
  umask = 0o777 & ~lstatSync(join(probe, 'd')).mode;
  rmSync(probe, { recursive: true });
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pes-plugin-tar-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function tarBytes(
  plugin: UnpackedPlugin,
  owner = { uid, gid, mtime: 1_700_000_000 },
): Promise<Buffer> {
  return buffer(tarOf(plugin, owner));
}

describe('tarOf', () => {
  it('lists in GNU tar with the web server’s owner, 0755 folders and 0644 files', async () => {
    const plugin = await unpackPlugin(
      makeZip([
        ...pluginFiles(component),
        { name: 'attendance/cli/run.php', data: '<?php', mode: (0o104777 & ~0o100000) | 0o100000 },
      ]),
      { component },
    );
    const tar = await tarBytes(plugin, { uid: 33, gid: 33, mtime: 1_700_000_000 });
    expect(tar.length % 512).toBe(0);
    const listed = await run(['tar', '--list', '--verbose', '--numeric-owner', '--file=-'], tar);
    expect(listed.stderr).toBe('');
    expect(listed.code).toBe(0);
    const lines = listed.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/));
    // mode, owner, size, date, time, name
    expect(lines.map((l) => [l[0], l[1], l[5]])).toEqual([
      ['drwxr-xr-x', '33/33', 'attendance/'],
      ['-rw-r--r--', '33/33', 'attendance/README.md'],
      ['drwxr-xr-x', '33/33', 'attendance/cli/'],
      ['-rw-r--r--', '33/33', 'attendance/cli/run.php'],
      ['drwxr-xr-x', '33/33', 'attendance/db/'],
      ['-rw-r--r--', '33/33', 'attendance/db/install.php'],
      ['drwxr-xr-x', '33/33', 'attendance/lang/'],
      ['drwxr-xr-x', '33/33', 'attendance/lang/en/'],
      ['-rw-r--r--', '33/33', 'attendance/lang/en/attendance.php'],
      ['-rw-r--r--', '33/33', 'attendance/version.php'],
    ]);
    const listedVersion = lines.find((l) => l[5] === 'attendance/version.php');
    expect(Number(listedVersion?.[2])).toBe(
      plugin.entries.find((e) => e.path === 'attendance/version.php')?.data?.length,
    );
  });

  it('unpacks with the installer’s argv into a type directory, bytes and modes as expected', async () => {
    const plugin = await unpackPlugin(pluginZip('good', component), { component });
    const typeDir = join(dir, 'mod');
    mkdirSync(join(typeDir, 'forum'), { recursive: true });
    const result = await run(extractArgv(typeDir), await tarBytes(plugin));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    for (const entry of plugin.entries) {
      const stat = lstatSync(join(typeDir, entry.path));
      expect(stat.uid).toBe(uid);
      if (entry.kind === 'dir') {
        expect(stat.isDirectory(), entry.path).toBe(true);
        expect(stat.mode & 0o7777, entry.path).toBe(0o755 & ~umask);
      } else {
        expect(stat.isFile(), entry.path).toBe(true);
        expect(stat.mode & 0o7777, entry.path).toBe(0o644 & ~umask);
        expect(readFileSync(join(typeDir, entry.path)).equals(entry.data ?? Buffer.alloc(0))).toBe(
          true,
        );
      }
    }
    expect(existsSync(join(typeDir, 'forum'))).toBe(true);
  });

  it('a path that needs the ustar prefix comes back whole', async () => {
    const deep = `attendance/${'d'.repeat(60)}/${'e'.repeat(60)}/${'f'.repeat(40)}.php`;
    expect(ustarName(deep)?.prefix).not.toBe('');
    const plugin = await unpackPlugin(
      makeZip([...pluginFiles(component), { name: deep, data: 'deep' }]),
      {
        component,
      },
    );
    const typeDir = join(dir, 'mod');
    mkdirSync(typeDir);
    const result = await run(extractArgv(typeDir), await tarBytes(plugin));
    expect(result.code).toBe(0);
    expect(readFileSync(join(typeDir, deep), 'utf8')).toBe('deep');
  });

  for (const [what, link] of [
    ['where the plugin goes', 'attendance'],
    ['inside the plugin’s folder', 'attendance/lang'],
    ['where a file goes', 'attendance/version.php'],
  ] as const) {
    it(`the argv writes nothing through a link planted ${what}`, async () => {
      const plugin = await unpackPlugin(pluginZip('good', component), { component });
      const typeDir = join(dir, 'mod');
      const outside = join(dir, 'outside');
      mkdirSync(join(typeDir, 'attendance'), { recursive: true });
      mkdirSync(outside);
      if (link === 'attendance') rmSync(join(typeDir, 'attendance'), { recursive: true });
      symlinkSync(
        link.endsWith('.php') ? join(outside, 'version.php') : outside,
        join(typeDir, link),
      );
      const result = await run(extractArgv(typeDir), await tarBytes(plugin));
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(readdirSync(outside)).toEqual([]);
      expect(lstatSync(join(typeDir, link)).isSymbolicLink()).toBe(false);
      expect(
        readFileSync(join(typeDir, 'attendance', 'lang', 'en', 'attendance.php'), 'utf8'),
      ).toContain('pluginname');
    });
  }

  it('refuses an entry outside the root or with .. even in a hand-made plugin', () => {
    const bad: UnpackedPlugin = {
      component,
      root: 'attendance',
      entries: [{ path: 'attendance/../x', kind: 'file', mode: 0o644, data: Buffer.from('x') }],
    };
    expect(() => tarOf(bad, { uid, gid })).toThrow(/unsafe/);
    const outside: UnpackedPlugin = {
      component,
      root: 'attendance',
      entries: [{ path: 'forum/x', kind: 'file', mode: 0o644, data: Buffer.from('x') }],
    };
    expect(() => tarOf(outside, { uid, gid })).toThrow(/outside/);
  });

  it('GNU tar itself refuses a .. member with the installer’s argv', async () => {
    // A header written by hand (name `../escape`), to show the argv does not rely on tarOf alone.
    const plugin: UnpackedPlugin = {
      component,
      root: 'attendance',
      entries: [{ path: 'attendance/escape', kind: 'file', mode: 0o644, data: Buffer.from('x') }],
    };
    const tar = await tarBytes(plugin);
    const header = tar.subarray(0, 512);
    header.fill(0, 0, 100);
    header.write('../escape', 0, 'ascii');
    header.fill(' ', 148, 156);
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
    const typeDir = join(dir, 'mod');
    mkdirSync(typeDir);
    const result = await run(extractArgv(typeDir), tar);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("Member name contains '..'");
    expect(existsSync(join(dir, 'escape'))).toBe(false);
  });

  it('names at the ustar limits come back whole: a 100-byte name, a 155-byte prefix', async () => {
    const a = `attendance/${'a'.repeat(47)}`;
    const b = `${a}/${'b'.repeat(48)}`;
    const prefix = `${b}/${'c'.repeat(47)}`;
    expect(Buffer.byteLength(prefix)).toBe(155);
    const name = `${'n'.repeat(96)}.php`;
    const path = `${prefix}/${name}`;
    expect(ustarName(path)).toEqual({ prefix, name });
    expect(ustarName(`${prefix}x/${name}`)).toBeUndefined();
    expect(ustarName(`attendance/${'n'.repeat(101)}`)).toBeUndefined();
    const plugin: UnpackedPlugin = {
      component,
      root: 'attendance',
      entries: [
        { path: 'attendance', kind: 'dir', mode: 0o755 },
        { path: a, kind: 'dir', mode: 0o755 },
        { path: b, kind: 'dir', mode: 0o755 },
        { path: prefix, kind: 'dir', mode: 0o755 },
        { path, kind: 'file', mode: 0o644, data: Buffer.from('edge') },
      ],
    };
    const typeDir = join(dir, 'mod');
    mkdirSync(typeDir);
    const result = await run(extractArgv(typeDir), await tarBytes(plugin));
    expect(result.stderr).toBe('');
    expect(readFileSync(join(typeDir, path), 'utf8')).toBe('edge');
  });

  it(
    'GNU tar reads back every name and byte of random plugins (Unicode, deep paths, sizes)',
    async () => {
      const segment = fc.oneof(
        fc.stringMatching(/^[a-z0-9_.-]{1,12}$/).filter((p) => p !== '.' && p !== '..'),
        fc.constantFrom('café', 'Ωμέγα', 'файл', '日本語', 'x'.repeat(60), 'é'.repeat(40)),
      );
      const plugins = fc
        .uniqueArray(
          fc.record({
            parts: fc.array(segment, { minLength: 1, maxLength: 5 }),
            data: fc.uint8Array({ maxLength: 1500 }),
          }),
          { maxLength: 6, selector: (f) => f.parts.join('/') },
        )
        .map((files) => {
          const entries = new Map<string, UnpackedPlugin['entries'][number]>();
          entries.set('attendance', { path: 'attendance', kind: 'dir', mode: 0o755 });
          const fileSet = new Set(files.map((f) => `attendance/${f.parts.join('/')}`));
          for (const f of files) {
            const path = `attendance/${f.parts.join('/')}`;
            const parents = f.parts
              .slice(0, -1)
              .map((_, i) => `attendance/${f.parts.slice(0, i + 1).join('/')}`);
            // A name that is a folder for one file and a file itself is not a plugin: skip it.
            if (parents.some((p) => fileSet.has(p)) || ustarName(path) === undefined) continue;
            for (const p of parents) entries.set(p, { path: p, kind: 'dir', mode: 0o755 });
            entries.set(path, { path, kind: 'file', mode: 0o644, data: Buffer.from(f.data) });
          }
          const sorted = [...entries.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
          return { component, root: 'attendance', entries: sorted } satisfies UnpackedPlugin;
        });
      let n = 0;
      await fuzz(
        'tar read back by GNU tar',
        plugins,
        async (plugin) => {
          const typeDir = join(dir, `mod${n++}`);
          mkdirSync(typeDir);
          const result = await run(extractArgv(typeDir), await tarBytes(plugin));
          expect(result.stderr).toBe('');
          expect(result.code).toBe(0);
          for (const entry of plugin.entries) {
            const at = join(typeDir, entry.path);
            if (entry.kind === 'dir') expect(lstatSync(at).isDirectory(), entry.path).toBe(true);
            else
              expect(readFileSync(at).equals(entry.data ?? Buffer.alloc(0)), entry.path).toBe(true);
          }
        },
        { runs: 40 },
      );
    },
    fuzzTimeout(500, 40),
  );

  it('extractArgv wants an absolute type directory and uses no shell', () => {
    expect(() => extractArgv('mod')).toThrow();
    expect(extractArgv('/var/www/html/mod')).toEqual([
      'tar',
      '--extract',
      '--file=-',
      '--directory=/var/www/html/mod',
      '--same-owner',
      '--numeric-owner',
      '--no-same-permissions',
    ]);
  });
});
