/**
 * What the fuzz targets found, each kept as a plain test: an input refused by a command must
 * open no job, and an error that shows what someone typed shows it on one line.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSilenceWords } from '../../src/alerts/silence-spec.ts';
import { loadConfig } from '../../src/config/load.ts';
import { UserError } from '../../src/core/errors.ts';
import { createTestBot } from '../helpers/bot.ts';
import { runPes, tempWorkdir } from '../helpers/cli.ts';

const admin = 'local:root';

function jobCount(t: ReturnType<typeof createTestBot>): number {
  const row = t.db.prepare('SELECT count(*) AS n FROM jobs').get() as { n: number };
  return row.n;
}

describe('refused input opens no job', () => {
  it.each([
    ['backup nope', 'unknown-service'],
    ['backup moodle --tag safety', 'invalid-argument'],
    ['backup moodle --tag a/b', 'invalid-argument'],
    // No `backup:` section: said before a job opens, not by a job that fails.
    ['backup moodle', 'backup-not-configured'],
    ['backup unlock', 'backup-not-configured'],
    ['backup-prune', 'backup-not-configured'],
    ['verify moodle', 'backup-not-configured'],
  ])('%s is refused as %s before a job exists', async (text, code) => {
    const t = createTestBot();
    const outcome = await t.run(admin, text);
    expect(outcome.errorCode).toBe(code);
    expect(outcome.jobId).toBeUndefined();
    expect(jobCount(t)).toBe(0);
  });
});

describe('a typed value is shown on one line', () => {
  it.each([['help "a\nb"', 'unknown-command']])('%j', async (text, code) => {
    const t = createTestBot();
    const outcome = await t.run(admin, text);
    expect(outcome.errorCode).toBe(code);
    const lines = (outcome.message.text ?? '').split('\n');
    // The error line, and its hint when it has one.
    expect(lines.length, outcome.message.text).toBeLessThanOrEqual(2);
    expect(lines[0]).not.toBe('');
  });
});

describe('a refused silence word is shown on one line', () => {
  it.each([[['a\nb', '1h']], [['alertname=x', '1\nh']], [['x'.repeat(500), '1h']]])(
    '%j',
    (words) => {
      let error: unknown;
      try {
        parseSilenceWords(words);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(UserError);
      const text = (error as UserError).text('en');
      expect(text).not.toContain('\n');
      expect(text.length).toBeLessThan(250);
    },
  );
});

describe('a configuration whose aliases cannot be expanded', () => {
  const laughs = [
    'a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]',
    'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
    'c: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
  ].join('\n');
  it.each([
    ['an alias to no anchor', 'locale: *nowhere\n'],
    ['a merge of an alias to no anchor', '<<: *x\n'],
    ['aliases that expand a thousandfold', `${laughs}\n`],
  ])('%s is refused as config-invalid naming the file', (_what, text) => {
    const dir = mkdtempSync(join(tmpdir(), 'pes-config-'));
    const path = join(dir, 'pes.yaml');
    writeFileSync(path, text);
    let error: unknown;
    try {
      loadConfig({ flag: path, env: {}, cwd: dir, username: 'alice' });
    } catch (e) {
      error = e;
    }
    rmSync(dir, { recursive: true, force: true });
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).code).toBe('config-invalid');
    expect((error as UserError).text('en')).toContain(path);
  });
});

describe('a configuration with YAML 1.1 types', () => {
  // `!!binary` became a Buffer, reported key by key (4 KB of "unknown key"); `!!set` a Set,
  // reported as "expected a mapping, got a mapping".
  it.each([
    ['!!binary aGVsbG8=\n', '(top level): expected a mapping, got a string'],
    ['locale: en\nservices: !!set {a}\n', 'services.a: expected a mapping, got an empty value'],
  ])('%j is refused with what a person can act on', (text, problem) => {
    const dir = mkdtempSync(join(tmpdir(), 'pes-config-'));
    const path = join(dir, 'pes.yaml');
    writeFileSync(path, text);
    let error: unknown;
    try {
      loadConfig({ flag: path, env: {}, cwd: dir, username: 'alice' });
    } catch (e) {
      error = e;
    }
    rmSync(dir, { recursive: true, force: true });
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).code).toBe('config-invalid');
    expect((error as UserError).text('en')).toBe(`Invalid configuration ${path}: ${problem}`);
  });
});

describe('a configuration with a key that is a collection', () => {
  it('is refused by pes with one line, and no warning of the YAML library beside it', async () => {
    const w = tempWorkdir('locale: en\n? [a, b]\n: c\n');
    const r = await runPes(['--config', w.config, '--lang', 'en', 'status'], { cwd: w.dir });
    rmSync(w.dir, { recursive: true, force: true });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `pes: Invalid configuration ${w.config}: (top level): unknown key "[ a, b ]"\n`,
    );
  });
});
