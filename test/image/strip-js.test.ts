/**
 * scripts/image-strip-js.js, which the Dockerfile runs over node_modules: comments and
 * indentation go, and nothing that a program can see changes (strings, templates, regular
 * expressions, automatic semicolon insertion), licence comments stay, and a file that does
 * not parse is left alone.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.ts';

const execFileAsync = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'pes-strip-js-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tricky = [
  '#!/usr/bin/env node',
  '// a line comment: gone',
  '/**',
  ' * A doc comment: gone.',
  ' */',
  'export function f() {',
  '  return /* a comment that spans',
  '  lines ends the statement here */ 1',
  '}',
  "export const s = '/* in a string */ // too';",
  'export const t = `',
  '    // in a template',
  '      /* indented */ ${1 + /* gone */ 1}',
  '  end`;',
  '/*! licence: stays */',
  '/** @license MIT: stays */',
  'export const r = /\\/\\*[^*]*\\*\\//.source; // gone',
  "export const c = 'a\\",
  "    continued';",
  'export const n = 1 /* gone */ + 2',
  'export const m = n',
  '  /* gone */',
  '  * 2;',
  '',
].join('\n');

async function strip(files: Record<string, string>): Promise<string> {
  const root = mkdtempSync(join(dir, 'tree-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  // Run from the checkout, where TypeScript resolves, as it does from /app in the build.
  const { stdout } = await execFileAsync(
    process.execPath,
    [join(repoRoot, 'scripts/image-strip-js.js'), root],
    { cwd: repoRoot },
  );
  expect(stdout).toMatch(/^image-strip-js: \d+ -> \d+ bytes of JavaScript/);
  return root;
}

describe('image-strip-js', () => {
  it('removes comments and indentation and nothing a program can see', async () => {
    const root = await strip({ 'pkg/a.mjs': tricky });
    writeFileSync(join(root, 'orig.mjs'), tricky);
    const out = readFileSync(join(root, 'pkg/a.mjs'), 'utf8');
    expect(out).not.toContain('gone');
    expect(out).toContain('/*! licence: stays */');
    expect(out).toContain('/** @license MIT: stays */');
    expect(out.startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(out.length).toBeLessThan(tricky.length * 0.8);
    // Indented lines inside the template and the continued string keep their spaces.
    const indented = out.split('\n').filter((line) => /^\s/.test(line));
    expect(indented).toEqual([
      '    // in a template',
      '      /* indented */ ${1 +   1}',
      '  end`;',
      "    continued';",
    ]);
    const before = (await import(pathToFileURL(join(root, 'orig.mjs')).href)) as object;
    const after = (await import(pathToFileURL(join(root, 'pkg/a.mjs')).href)) as object;
    const values = (m: object): unknown[] =>
      Object.entries(m as Record<string, unknown>).map(([k, v]): unknown[] => [
        k,
        typeof v === 'function' ? (v as () => unknown)() : v,
      ]);
    expect(values(after)).toEqual(values(before));
    expect((after as { f: () => unknown }).f()).toBeUndefined();
    expect((after as { m: number }).m).toBe(6);
  });

  it('leaves alone a file that does not parse', async () => {
    const broken = '// a comment\nconst = ;\n  /* another */\n';
    const root = await strip({ 'pkg/broken.js': broken });
    expect(readFileSync(join(root, 'pkg/broken.js'), 'utf8')).toBe(broken);
  });
});
