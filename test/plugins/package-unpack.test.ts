/**
 * Unpacking a plugin ZIP in memory: a good package comes out with exactly its files and
 * folders; every unsafe or misshapen package is refused with its own error, before anything
 * is written anywhere.
 */
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.ts';
import { unpackPlugin } from '../../src/plugins/package/unpack.ts';
import { makeZip, pluginFiles, pluginZip, type ZipEntry } from '../fakes/moodle-plugins/zips.ts';

const component = 'mod_attendance';

async function refusal(zip: Buffer, limits = {}): Promise<UserError> {
  try {
    await unpackPlugin(zip, { component }, limits);
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  throw new Error('the package was not refused');
}

describe('unpackPlugin', () => {
  it('gives a good plugin’s files and folders, parents first, with their bytes', async () => {
    const unpacked = await unpackPlugin(pluginZip('good', component), { component });
    expect(unpacked.root).toBe('attendance');
    expect(unpacked.component).toBe(component);
    expect(unpacked.entries.map((e) => [e.path, e.kind, e.mode])).toEqual([
      ['attendance', 'dir', 0o755],
      ['attendance/README.md', 'file', 0o644],
      ['attendance/db', 'dir', 0o755],
      ['attendance/db/install.php', 'file', 0o644],
      ['attendance/lang', 'dir', 0o755],
      ['attendance/lang/en', 'dir', 0o755],
      ['attendance/lang/en/attendance.php', 'file', 0o644],
      ['attendance/version.php', 'file', 0o644],
    ]);
    const version = unpacked.entries.find((e) => e.path === 'attendance/version.php');
    expect(version?.data?.toString()).toContain("$plugin->component = 'mod_attendance';");
    expect(
      unpacked.entries.filter((e) => e.kind === 'dir').every((e) => e.data === undefined),
    ).toBe(true);
  });

  it('adds the folders a ZIP leaves out, and keeps stored and deflated files alike', async () => {
    const zip = makeZip([
      { name: 'attendance/version.php', data: 'v', method: 'store' },
      { name: 'attendance/classes/local/x.php', data: 'x'.repeat(5000) },
    ]);
    const unpacked = await unpackPlugin(zip, { component });
    expect(unpacked.entries.map((e) => e.path)).toEqual([
      'attendance',
      'attendance/classes',
      'attendance/classes/local',
      'attendance/classes/local/x.php',
      'attendance/version.php',
    ]);
    expect(unpacked.entries[3]?.data?.toString()).toBe('x'.repeat(5000));
    expect(unpacked.entries[4]?.data?.toString()).toBe('v');
  });

  it('keeps the permission bits a Unix ZIP gives', async () => {
    const zip = makeZip([
      { name: 'attendance/' },
      { name: 'attendance/cli.php', data: '<?php', mode: 0o100755 },
    ]);
    const unpacked = await unpackPlugin(zip, { component });
    expect(unpacked.entries.find((e) => e.path === 'attendance/cli.php')?.mode).toBe(0o755);
  });

  const escapes: ReadonlyArray<[string, string]> = [
    ['a ../ path', 'attendance/../../config.php'],
    ['a leading ..', '../attendance/version.php'],
    ['an absolute path', '/etc/passwd'],
    ['a drive letter', 'C:/attendance/version.php'],
    ['a backslash', 'attendance\\..\\..\\config.php'],
    ['a . segment', 'attendance/./version.php'],
    ['an empty segment', 'attendance//version.php'],
    ['a control character', 'attendance/ver\nsion.php'],
    ['a colon', 'attendance/file:stream'],
  ];
  for (const [what, name] of escapes) {
    it(`refuses ${what}`, async () => {
      const error = await refusal(makeZip([...pluginFiles(component), { name, data: 'x' }]));
      expect(error.code).toBe('plugin-zip-unsafe-path');
      expect(error.text('en')).toContain('leaves the plugin’s folder');
    });
  }

  it('refuses the named path-escape package and names the path', async () => {
    const error = await refusal(pluginZip('path-escape', component));
    expect(error.code).toBe('plugin-zip-unsafe-path');
    expect(error.params['path']).toBe('attendance/../../../config.php');
    expect(error.text('ru')).toContain('attendance/../../../config.php');
  });

  it('refuses a symbolic link', async () => {
    const error = await refusal(pluginZip('symlink', component));
    expect(error.code).toBe('plugin-zip-link');
    expect(error.params['path']).toBe('attendance/config.php');
  });

  for (const [what, mode] of [
    ['a character device', 0o020644],
    ['a block device', 0o060644],
    ['a FIFO', 0o010644],
    ['a socket', 0o140644],
  ] as const) {
    it(`refuses ${what}`, async () => {
      const error = await refusal(
        makeZip([...pluginFiles(component), { name: 'attendance/x', data: '', mode }]),
      );
      expect(error.code).toBe('plugin-zip-special');
    });
  }

  it('refuses a folder whose mode says file, and a file whose mode says folder', async () => {
    for (const entry of [
      { name: 'attendance/x', data: 'x', mode: 0o040755 },
      { name: 'attendance/y/', mode: 0o100644 },
    ] satisfies ZipEntry[]) {
      expect((await refusal(makeZip([...pluginFiles(component), entry]))).code).toBe(
        'plugin-zip-special',
      );
    }
  });

  it('refuses a duplicate name, also one that differs only in case or normalisation', async () => {
    const cases: ReadonlyArray<[string, string]> = [
      ['attendance/version.php', 'attendance/version.php'],
      ['attendance/Version.PHP', 'attendance/version.php'],
      ['attendance/cafe\u0301.txt', 'attendance/caf\u00e9.txt'],
    ];
    for (const [added, other] of cases) {
      const zip = makeZip([
        ...pluginFiles(component),
        { name: 'attendance/caf\u00e9.txt', data: 'a' },
        { name: added, data: 'b' },
      ]);
      const error = await refusal(zip);
      expect(error.code, added).toBe('plugin-zip-duplicate');
      expect(error.params, added).toEqual({ path: added, other });
    }
  });

  it('refuses a name that is both a file and a folder', async () => {
    const error = await refusal(
      makeZip([
        ...pluginFiles(component),
        { name: 'attendance/lib', data: 'x' },
        { name: 'attendance/lib/a.php', data: 'y' },
      ]),
    );
    expect(error.code).toBe('plugin-zip-duplicate');
  });

  it('refuses the ZIP bomb from its sizes, before inflating it', async () => {
    const error = await refusal(pluginZip('bomb', component));
    expect(error.code).toBe('plugin-zip-ratio');
    expect(error.params['path']).toBe('attendance/pix/big.bin');
    expect(Number(error.params['ratio'])).toBeGreaterThan(100);
  });

  it('refuses more than the total size, counted from the headers', async () => {
    // 11 files of 10 MiB of zeros: each within the ratio allowed here, 110 MiB together.
    const big = Buffer.alloc(10 * 1024 * 1024);
    const files: ZipEntry[] = Array.from({ length: 11 }, (_, i) => ({
      name: `attendance/f${i}.bin`,
      data: big,
    }));
    const error = await refusal(makeZip([...pluginFiles(component), ...files]), { maxRatio: 2000 });
    expect(error.code).toBe('plugin-zip-too-large');
    expect(error.text('en')).toBe(
      'The plugin package unpacks to more than 100 MB: not unpacking it.',
    );
  });

  it('refuses on the headers alone: a lying entry is never inflated', async () => {
    // Each entry's data is 'x' deflated; were it inflated, yauzl would find too few bytes
    // (plugin-zip-invalid) instead.
    const huge = await refusal(
      makeZip([
        ...pluginFiles(component),
        { name: 'attendance/big.bin', data: 'x', declaredSize: 200 * 1024 * 1024 },
      ]),
    );
    expect(huge.code).toBe('plugin-zip-ratio');
    const total = await refusal(
      makeZip([
        ...pluginFiles(component),
        { name: 'attendance/big.bin', data: 'x'.repeat(1000), declaredSize: 101 * 1024 * 1024 },
      ]),
      { maxRatio: 10 ** 9 },
    );
    expect(total.code).toBe('plugin-zip-too-large');
    const small = await refusal(
      makeZip([
        ...pluginFiles(component),
        { name: 'attendance/big.bin', data: 'x'.repeat(1000), declaredSize: 2000 },
      ]),
    );
    expect(small.code).toBe('plugin-zip-invalid');
  });

  it('refuses more entries than allowed, from the end record', async () => {
    const error = await refusal(pluginZip('good', component), { maxEntries: 5 });
    expect(error.code).toBe('plugin-zip-too-many-entries');
    expect(error.params).toEqual({ count: 8, max: 5 });
  });

  it('counts the ratio only for files above the floor, so small repetitive files pass', async () => {
    const zip = makeZip([
      ...pluginFiles(component),
      { name: 'attendance/styles.css', data: ' '.repeat(60_000) },
    ]);
    await expect(unpackPlugin(zip, { component })).resolves.toMatchObject({ root: 'attendance' });
    expect((await refusal(zip, { ratioFloorBytes: 1000 })).code).toBe('plugin-zip-ratio');
  });

  it('refuses a file whose CRC-32 does not match', async () => {
    const error = await refusal(
      makeZip([...pluginFiles(component), { name: 'attendance/x.php', data: 'hello', crc: 12345 }]),
    );
    expect(error.code).toBe('plugin-zip-crc');
    expect(error.params['path']).toBe('attendance/x.php');
  });

  it('refuses an encrypted entry', async () => {
    const error = await refusal(
      makeZip([
        ...pluginFiles(component),
        { name: 'attendance/x.php', data: 'hello', method: 'store', encryptedFlag: true },
      ]),
    );
    expect(error.code).toBe('plugin-zip-encrypted');
  });

  it('refuses a compression method other than store and deflate', async () => {
    const error = await refusal(
      makeZip([
        ...pluginFiles(component),
        { name: 'attendance/x.php', data: 'hello', methodNumber: 12 },
      ]),
    );
    expect(error.code).toBe('plugin-zip-method');
    expect(error.params['method']).toBe(12);
  });

  it('refuses a root named otherwise and says what it must be called', async () => {
    const error = await refusal(pluginZip('wrong-root', component));
    expect(error.code).toBe('plugin-zip-root-wrong');
    expect(error.text('en')).toBe(
      'The package’s root folder is moodle-mod_attendance-main/, it must be called attendance/ (the plugin’s name without its type).',
    );
  });

  it('refuses several roots, and files at the top', async () => {
    const two = await refusal(
      makeZip([...pluginFiles(component), { name: '__MACOSX/._version.php', data: 'x' }]),
    );
    expect(two.code).toBe('plugin-zip-roots');
    expect(two.params['found']).toBe('__MACOSX/, attendance/');
    const top = await refusal(
      makeZip([
        { name: 'version.php', data: 'x' },
        { name: 'lang/en/attendance.php', data: 'y' },
      ]),
    );
    expect(top.code).toBe('plugin-zip-roots');
    const none = await refusal(makeZip([]));
    expect(none.code).toBe('plugin-zip-roots');
  });

  it('refuses a component that is not type_name before reading the ZIP', async () => {
    for (const bad of ['attendance', 'mod_', '_x', 'Mod_attendance', 'mod_a__b', 'mod_../x', '']) {
      await expect(
        unpackPlugin(pluginZip('good', component), { component: bad }),
        bad,
      ).rejects.toMatchObject({
        code: 'plugin-component-invalid',
      });
    }
  });

  it('refuses what is not a ZIP, and a truncated one', async () => {
    expect((await refusal(Buffer.from('<html>404</html>'))).code).toBe('plugin-zip-invalid');
    const good = pluginZip('good', component);
    expect((await refusal(good.subarray(0, good.length - 30))).code).toBe('plugin-zip-invalid');
  });

  it('refuses a file that inflates to more than its header says', async () => {
    const zip = makeZip([...pluginFiles(component), { name: 'attendance/x.txt', data: 'abc' }]);
    // Both headers say 2 bytes; the deflate stream holds 3.
    const lied = Buffer.from(zip);
    const name = Buffer.from('attendance/x.txt');
    for (let at = lied.indexOf(name); at >= 0; at = lied.indexOf(name, at + 1)) {
      const local = lied.readUInt32LE(at - 30) === 0x04034b50;
      const sizeAt = local ? at - 30 + 22 : at - 46 + 24;
      lied.writeUInt32LE(2, sizeAt);
    }
    const error = await refusal(lied);
    expect(error.code).toBe('plugin-zip-invalid');
    expect(error.params['reason']).toContain('too many bytes');
  });

  it('refuses a path too long for the tar it becomes', async () => {
    const error = await refusal(
      makeZip([
        ...pluginFiles(component),
        { name: `attendance/${'a'.repeat(120)}.php`, data: 'x' },
      ]),
    );
    expect(error.code).toBe('plugin-zip-path-too-long');
  });
});
