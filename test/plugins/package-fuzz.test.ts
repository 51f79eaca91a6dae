/**
 * Fuzzing the unpacker with hostile ZIPs: damaged bytes of a good package, and packages of
 * random names, modes, methods and sizes. Whatever comes in, unpackPlugin either refuses it
 * with a documented UserError or returns only safe entries: inside the one root folder, no
 * `..`, `.` or empty segment, no backslash or control character, no two names that fold to
 * one, within the size limit, each file's bytes as the ZIP holds them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.ts';
import { unpackPlugin } from '../../src/plugins/package/unpack.ts';
import { makeZip, pluginFiles, pluginZip, type ZipEntry } from '../fakes/moodle-plugins/zips.ts';
import { fuzz, fuzzRuns, fuzzTimeout, isDocumentedCode } from '../fuzz/fuzz.ts';

const component = 'mod_attendance';
const limits = { maxTotalBytes: 64 * 1024, maxEntries: 40 };
const runs = Math.max(200, Math.floor(fuzzRuns / 5));

async function outcome(zip: Buffer, written?: readonly ZipEntry[]): Promise<void> {
  let result;
  try {
    result = await unpackPlugin(zip, { component }, limits);
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    expect(isDocumentedCode((error as UserError).code)).toBe(true);
    return;
  }
  expect(result.root).toBe('attendance');
  const folded = new Set<string>();
  let total = 0;
  for (const entry of result.entries) {
    expect(entry.path === 'attendance' || entry.path.startsWith('attendance/'), entry.path).toBe(
      true,
    );
    const parts = entry.path.split('/');
    expect(
      parts.some((p) => p === '' || p === '.' || p === '..'),
      entry.path,
    ).toBe(false);
    expect(
      Array.from(entry.path).some((c) => c.charCodeAt(0) < 0x20 || c === '\\' || c === ':'),
    ).toBe(false);
    const key = entry.path.normalize('NFC').toLowerCase();
    expect(folded.has(key), entry.path).toBe(false);
    folded.add(key);
    expect(entry.kind === 'file' || entry.data === undefined).toBe(true);
    total += entry.data?.length ?? 0;
  }
  expect(total).toBeLessThanOrEqual(limits.maxTotalBytes);
  if (written === undefined) return;
  // Every file the ZIP holds comes out once, with its bytes: none dropped, none merged.
  const files = written.filter((e) => !String(e.name).endsWith('/'));
  const out = result.entries.filter((e) => e.kind === 'file');
  expect(out.length).toBe(files.length);
  for (const file of files) {
    const found = out.find((e) => e.path === String(file.name));
    expect(found?.data?.toString(), String(file.name)).toBe(String(file.data ?? ''));
  }
}

const segment = fc.oneof(
  fc.constantFrom(
    'attendance',
    'Attendance',
    'LANG',
    'Version.php',
    '..',
    '.',
    '',
    'lang',
    'en',
    'version.php',
    'a\\b',
    'C:',
    'x\u0000',
    'caf\u00e9',
    'cafe\u0301',
  ),
  fc.stringMatching(/^[a-z0-9._-]{1,8}$/),
);

// Mostly inside the root folder with a mode that fits, so that the path checks are what
// decides, not an earlier refusal.
const entry: fc.Arbitrary<ZipEntry> = fc
  .record({
    parts: fc.array(segment, { minLength: 1, maxLength: 4 }),
    inRoot: fc.nat(9).map((n) => n > 0),
    dir: fc.boolean(),
    data: fc.oneof(
      { weight: 8, arbitrary: fc.string({ maxLength: 40 }) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 70_000 }).map((n) => '0'.repeat(n)) },
    ),
    method: fc.constantFrom('deflate' as const, 'store' as const),
    mode: fc.oneof(
      { weight: 8, arbitrary: fc.constant(undefined) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(0o100644, 0o040755, 0o120777, 0o020644, 0o100755, 0),
      },
    ),
  })
  .map(({ parts, inRoot, dir, data, method, mode }) => ({
    name: `${inRoot ? 'attendance/' : ''}${parts.join('/')}${dir ? '/' : ''}`,
    ...(dir ? {} : { data, method }),
    ...(mode === undefined ? {} : { mode }),
  }));

describe('unpackPlugin under fuzzing', () => {
  it(
    'refuses or returns only safe entries for packages of random entries',
    async () => {
      await fuzz(
        'plugin ZIP entries',
        fc.array(entry, { maxLength: 8 }).map((extra) => [...pluginFiles(component), ...extra]),
        (entries) => outcome(makeZip(entries), entries),
        { runs },
      );
    },
    fuzzTimeout(5, runs),
  );

  it(
    'refuses or returns only safe entries for damaged bytes of a good package',
    async () => {
      const good = pluginZip('good', component);
      await fuzz(
        'damaged plugin ZIP',
        fc.oneof(
          fc
            .array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), {
              minLength: 1,
              maxLength: 6,
            })
            .map((flips) => {
              const copy = Buffer.from(good);
              for (const [at, byte] of flips) copy[at] = byte;
              return copy;
            }),
          fc.nat(good.length).map((n) => good.subarray(0, n)),
        ),
        outcome,
        { runs },
      );
    },
    fuzzTimeout(5, runs),
  );
});
