/**
 * The tree measure run in a helper or a claim pod (src/backup/tree-measure-cli.ts), run here
 * for real with Node on a temporary tree: its figures and samples are `measureTree`'s own,
 * its comparison `compareTree`'s (figures and each sample's outcome, worded by the bot); a
 * refused argument or input is one line on stderr and a non-zero exit with nothing on stdout;
 * a root `lost+found` is left out only when asked, a nested one never. What goes in and out
 * is checked strictly (tree-measure-input.ts): a comparison of sample paths the bot did not
 * send, or one in words (an older entry point's), is refused.
 */
import { spawn } from 'node:child_process';
import {
  chmodSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  comparedFromReply,
  compareRequestLine,
  measureRequestLine,
  parseCompareReply,
  parseCompareRequest,
  parseMeasureReply,
  parseMeasureRequest,
  treeMeasureMissing,
  treeMeasurePath,
  treeMeasureRefusedExit,
} from '../../src/backup/tree-measure-input.ts';
import { compareTree, measureTree } from '../../src/backup/tree-walk.ts';

const cli = join(import.meta.dirname, '..', '..', 'src', 'backup', 'tree-measure-cli.ts');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(args: readonly string[], stdin: string, script = cli): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin);
  });
}

let dir: string;
/** A tree with a root `lost+found` and a nested one. */
let full: string;
/** The same tree without the root `lost+found`. */
let bare: string;
const old = new Date(Date.now() - 3_600_000);
const later = new Date(Date.now() + 3_600_000);

function fill(root: string, withRootLostFound: boolean): void {
  mkdirSync(join(root, 'a', 'lost+found'), { recursive: true });
  mkdirSync(join(root, 'b', 'c'), { recursive: true });
  writeFileSync(join(root, 'f.txt'), 'hello\n');
  writeFileSync(join(root, 'a', 'lost+found', 'kept'), 'nested, the application’s\n');
  writeFileSync(join(root, 'b', 'c', 'g'), 'x'.repeat(5000));
  chmodSync(join(root, 'b', 'c', 'g'), 0o640);
  linkSync(join(root, 'b', 'c', 'g'), join(root, 'b', 'hard'));
  symlinkSync('../f.txt', join(root, 'b', 'link'));
  writeFileSync(join(root, 'empty'), '');
  if (withRootLostFound) {
    mkdirSync(join(root, 'lost+found'));
    writeFileSync(join(root, 'lost+found', '#1234'), 'an orphan');
    chmodSync(join(root, 'lost+found'), 0o700);
  }
  for (const path of ['f.txt', 'a/lost+found/kept', 'b/c/g', 'empty']) {
    utimesSync(join(root, path), old, old);
  }
  if (withRootLostFound) utimesSync(join(root, 'lost+found', '#1234'), old, old);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pes-tree-measure-'));
  full = join(dir, 'full');
  bare = join(dir, 'bare');
  mkdirSync(full);
  mkdirSync(bare);
  fill(full, true);
  fill(bare, false);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the tree measure entry point', () => {
  it('measures exactly as measureTree: figures and samples', async () => {
    for (const options of [
      { samplesBefore: later },
      { samplesBefore: later, maxSamples: 2, sampleBudgetBytes: 6000 },
      { samplesBefore: later, maxSampleBytes: 100 },
      {},
    ]) {
      const out = await run(['measure', full], measureRequestLine(options));
      expect(out.stderr).toBe('');
      expect(out.code).toBe(0);
      expect(out.stdout.endsWith('\n')).toBe(true);
      expect(out.stdout.trimEnd().split('\n')).toHaveLength(1);
      const here = await measureTree(full, options);
      expect(parseMeasureReply(out.stdout)).toEqual(here);
    }
    const sampled = parseMeasureReply(
      (await run(['measure', full], measureRequestLine({ samplesBefore: later }))).stdout,
    );
    expect(sampled.samples.length).toBeGreaterThan(1);
    // No sample among files newer than the time given.
    const before = new Date(old.getTime() - 3_600_000);
    const none = await run(['measure', full], measureRequestLine({ samplesBefore: before }));
    expect(parseMeasureReply(none.stdout).samples).toEqual([]);
  });

  it('compares exactly as compareTree', async () => {
    const here = await measureTree(full, { samplesBefore: later });
    const expected = {
      files: here.figures.files,
      bytes: here.figures.bytes,
      sha256: here.figures.listDigest,
      samples: here.samples,
    };
    const same = await run(['compare', full], compareRequestLine(expected));
    expect(same.code).toBe(0);
    expect(parseCompareReply(same.stdout, expected.samples)).toEqual({
      figures: here.figures,
      samples: here.samples.map((s) => ({ path: s.path, outcome: 'same' })),
    });
    expect(comparedFromReply(same.stdout, expected)).toEqual({
      problems: [],
      figures: here.figures,
    });
    const byEntries = {
      ...expected,
      files: undefined,
      sha256: here.figures.entriesDigest,
    };
    const entries = await run(['compare', full], compareRequestLine(byEntries));
    expect(comparedFromReply(entries.stdout, byEntries).problems).toEqual([]);
    const wrong = {
      ...expected,
      bytes: expected.bytes + 1,
      samples: [
        ...here.samples.map((s, i) => (i === 0 ? { ...s, sha256: '0'.repeat(64) } : s)),
        { path: 'gone', size: 1, sha256: '1'.repeat(64) },
      ],
    };
    const differs = await run(['compare', bare], compareRequestLine(wrong));
    expect(differs.code).toBe(0);
    const local = await compareTree(bare, wrong);
    expect(parseCompareReply(differs.stdout, wrong.samples)).toEqual({
      figures: local.figures,
      samples: local.samples,
    });
    const remote = comparedFromReply(differs.stdout, wrong);
    expect(remote).toEqual({ problems: local.problems, figures: local.figures });
    expect(remote.problems).toContain('`gone`: missing');
    expect(remote.problems).toContain(`\`${here.samples[0]?.path}\`: sha256 differs`);
    // The output holds outcomes, no sentences.
    expect(differs.stdout).not.toMatch(/problems|missing:|differs:/);
  });

  it('leaves out a lost+found at the root only when asked; a nested one stays', async () => {
    const skipped = parseMeasureReply(
      (
        await run(
          ['measure', full],
          measureRequestLine({ samplesBefore: later, skipRootLostFound: true }),
        )
      ).stdout,
    );
    const without = await measureTree(bare, { samplesBefore: later });
    expect(skipped).toEqual(without);
    expect(skipped).toEqual(
      await measureTree(full, { samplesBefore: later, skipRootLostFound: true }),
    );
    expect(skipped.samples.map((s) => s.path)).toContain('a/lost+found/kept');
    // Not asked: it counts, files and all.
    const kept = parseMeasureReply(
      (await run(['measure', full], measureRequestLine({ samplesBefore: later }))).stdout,
    );
    expect(kept.figures.files).toBe(without.figures.files + 1);
    expect(kept.figures.listDigest).not.toBe(without.figures.listDigest);
    expect(kept.figures.entriesDigest).not.toBe(without.figures.entriesDigest);
    // The comparison too: the tree without it is what was recorded.
    const expected = {
      files: without.figures.files,
      bytes: without.figures.bytes,
      sha256: without.figures.listDigest,
      samples: without.samples,
    };
    const compared = await run(['compare', full], compareRequestLine(expected, true));
    expect(comparedFromReply(compared.stdout, expected).problems).toEqual([]);
    const strict = await run(['compare', full], compareRequestLine(expected));
    expect(comparedFromReply(strict.stdout, expected).problems).toHaveLength(3);
  });

  it('refuses bad input in one line, with nothing on stdout', async () => {
    const cases: [readonly string[], string, RegExp][] = [
      [['measure', full], 'not json\n', /not JSON/],
      [['measure', full], '{"samplesBefore":"yesterday"}\n', /samplesBefore/],
      [['measure', full], '{"maxSamples":-1}\n', /maxSamples/],
      [['measure', full], '{"signal":{}}\n', /not known: signal/],
      [['measure', full], '[]\n', /not a JSON object/],
      [['measure', full], '{}\n{}\n', /more than one line/],
      [['compare', full], '{"bytes":1,"sha256":"x"}\n', /missing: files/],
      [
        ['compare', full],
        compareRequestLine({
          files: 1,
          bytes: 1,
          sha256: 'x',
          samples: [{ path: '../../etc/passwd', size: 1, sha256: '0'.repeat(64) }],
        }),
        /not a path inside the tree/,
      ],
      [['list', full], '{}\n', /usage/],
      [['measure', 'relative'], '{}\n', /usage/],
      [['measure'], '{}\n', /usage/],
    ];
    for (const [args, stdin, reason] of cases) {
      const out = await run(args, stdin);
      expect(out.code, stdin).toBe(treeMeasureRefusedExit);
      expect(out.stdout).toBe('');
      expect(out.stderr).toMatch(/^tree-measure: [^\n]+\n$/);
      expect(out.stderr).toMatch(reason);
    }
    const big = await run(['measure', full], `{"maxSamples":1${' '.repeat(1024 * 1024)}}\n`);
    expect(big.code).toBe(treeMeasureRefusedExit);
    expect(big.stderr).toMatch(/longer than/);
  });

  it('a tree it cannot read: one line, as the tools say it, and exit 1', async () => {
    const out = await run(['measure', join(dir, 'nothing')], '{}\n');
    expect(out.code).toBe(1);
    expect(out.stdout).toBe('');
    expect(out.stderr).toBe(`tree-measure: ${join(dir, 'nothing')}: No such file or directory\n`);
  });

  it('an image without it is told as an image without the launcher', async () => {
    // Node's own words when the entry point is not where the bot's image has it.
    const out = await run(['measure', '/data'], '{}\n', treeMeasurePath);
    expect(out.code).not.toBe(0);
    expect(treeMeasureMissing(out.code, out.stderr)).toBe(true);
    expect(treeMeasureMissing(127, 'setpriv: failed to execute node: No such file')).toBe(true);
    expect(treeMeasureMissing(1, 'tree-measure: /data/x: Permission denied')).toBe(false);
  });
});

describe('what goes in and out', () => {
  it('reads its own lines back', () => {
    const line = measureRequestLine({
      samplesBefore: new Date(1_700_000_000_123),
      maxSamples: 8,
      skipRootLostFound: true,
      signal: new AbortController().signal,
    });
    expect(line).toBe('{"samplesBefore":1700000000123,"maxSamples":8,"skipRootLostFound":true}\n');
    expect(parseMeasureRequest(line.trimEnd())).toEqual({
      ok: true,
      value: { samplesBefore: 1_700_000_000_123, maxSamples: 8, skipRootLostFound: true },
    });
    const compare = compareRequestLine({ files: undefined, bytes: 3, sha256: 'entries:ab' });
    expect(parseCompareRequest(compare.trimEnd())).toEqual({
      ok: true,
      value: { files: null, bytes: 3, sha256: 'entries:ab' },
    });
  });

  it('refuses an output that is not the entry point’s', () => {
    const figures = {
      files: 1,
      bytes: 2,
      listDigest: 'a'.repeat(64),
      entriesDigest: `entries:${'b'.repeat(64)}`,
    };
    expect(parseMeasureReply(`${JSON.stringify({ figures, samples: [] })}\n`)).toEqual({
      figures,
      samples: [],
    });
    for (const bad of [
      '',
      'Permission denied\n',
      `${JSON.stringify({ figures, samples: [] })}\n{}\n`,
      JSON.stringify({ figures, samples: [], extra: 1 }),
      JSON.stringify({ figures: { ...figures, files: -1 }, samples: [] }),
      JSON.stringify({ figures: { ...figures, listDigest: 'x' }, samples: [] }),
      JSON.stringify({ figures, samples: [{ path: '/etc/passwd', size: 1, sha256: 'c' }] }),
    ]) {
      expect(() => parseMeasureReply(bad), bad).toThrow();
    }
  });

  it('takes a comparison only of the sample paths it sent, in their order', () => {
    const figures = {
      files: 1,
      bytes: 2,
      listDigest: 'a'.repeat(64),
      entriesDigest: `entries:${'b'.repeat(64)}`,
    };
    const sent = [
      { path: 'a/one', size: 1, sha256: '1'.repeat(64) },
      { path: 'b/two', size: 2, sha256: '2'.repeat(64) },
    ];
    const line = (samples: unknown): string => `${JSON.stringify({ figures, samples })}\n`;
    const good = [
      { path: 'a/one', outcome: 'missing' },
      { path: 'b/two', outcome: 'same' },
    ];
    expect(parseCompareReply(line(good), sent)).toEqual({ figures, samples: good });
    expect(parseCompareReply(line([]), undefined)).toEqual({ figures, samples: [] });
    const hostile = 'x\n@channel [link](https://evil.example) `code`';
    for (const [bad, reason] of [
      // A path it did not send: a name the helper chose would reach the drill's reason.
      [[good[0], { path: hostile, outcome: 'missing' }], /samples\[1\]\.path is not the path sent/],
      [
        [good[0], { path: 'b/three', outcome: 'missing' }],
        /samples\[1\]\.path is not the path sent/,
      ],
      // Sent, but not in its place.
      [[good[1], good[0]], /samples\[0\]\.path is not the path sent/],
      // One more, or one less, than sent.
      [[...good, { path: 'a/one', outcome: 'same' }], /3 outcomes for 2 samples sent/],
      [[good[0]], /1 outcomes for 2 samples sent/],
      [[good[0], { path: 'b/two', outcome: 'gone' }], /samples\[1\]\.outcome is not one of/],
      [
        [good[0], { path: 'b/two', outcome: 'same', note: hostile }],
        /samples\[1\]: fields not known/,
      ],
      [[good[0], 'b/two: missing'], /samples\[1\] is not a JSON object/],
      ['a/one: missing', /samples is not a list/],
    ] as const) {
      expect(() => parseCompareReply(line(bad), sent), JSON.stringify(bad)).toThrow(reason);
      // The refusal, which may reach a drill's reason, never repeats what the output said.
      try {
        parseCompareReply(line(bad), sent);
      } catch (error) {
        expect(String(error)).not.toMatch(/channel|evil|three|gone|b\/two/);
      }
    }
    expect(() => parseCompareReply(line(good), undefined)).toThrow(/2 outcomes for 0/);
  });

  it('refuses the free-text problems of an older entry point, saying so', () => {
    const figures = {
      files: 1,
      bytes: 2,
      listDigest: 'a'.repeat(64),
      entriesDigest: `entries:${'b'.repeat(64)}`,
    };
    const sent = [{ path: 'a/one', size: 1, sha256: '1'.repeat(64) }];
    for (const old of [
      { problems: [], figures },
      { problems: ['a/one: missing'], figures },
      { problems: ['x\n@channel: missing'], figures, samples: [] },
    ]) {
      expect(() => parseCompareReply(JSON.stringify(old), sent)).toThrow(
        /older bot: its comparison is free text \(problems\), which is not read/,
      );
      expect(() =>
        comparedFromReply(JSON.stringify(old), { ...figures, sha256: 'x', samples: sent }),
      ).toThrow(/older bot/);
    }
  });

  it('words the problems itself, each path as one line of code', () => {
    const figures = {
      files: 3,
      bytes: 9,
      listDigest: 'a'.repeat(64),
      entriesDigest: `entries:${'b'.repeat(64)}`,
    };
    const hostile = 'up\n@channel **bold** [x](https://evil.example) `tick` <b>\u202eexe.txt';
    const sent = [
      { path: hostile, size: 1, sha256: '1'.repeat(64) },
      { path: 'plain/file.txt', size: 1, sha256: '2'.repeat(64) },
      { path: 'same.txt', size: 1, sha256: '3'.repeat(64) },
    ];
    const output = JSON.stringify({
      figures,
      samples: [
        { path: hostile, outcome: 'missing' },
        { path: 'plain/file.txt', outcome: 'differs' },
        { path: 'same.txt', outcome: 'same' },
      ],
    });
    const expected = { files: 2, bytes: 9, sha256: 'a'.repeat(64), samples: sent };
    expect(comparedFromReply(output, expected).problems).toEqual([
      'files: 2 → 3',
      '`up\\n@channel **bold** [x](https://evil.example) \\x60tick\\x60 <b>\\u202eexe.txt`: missing',
      '`plain/file.txt`: sha256 differs',
    ]);
  });
});
