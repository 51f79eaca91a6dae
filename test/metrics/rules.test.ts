/**
 * deploy/prometheus/pes-bot-rules.yml with the real promtool (Debian's prometheus package,
 * installed by scripts/test-env.sh): the rules load, their unit tests pass and would catch a
 * wrong threshold, and every metric they read is one the bot exposes.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repoRoot } from '../helpers/cli.ts';
import { exposedNames, metricNames } from './promql-names.ts';
import { scrapeRealBot } from './serve-scrape.ts';

const dir = join(repoRoot, 'deploy/prometheus');
const rules = join(dir, 'pes-bot-rules.yml');

async function promtool(
  args: readonly string[],
  cwd: string,
): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)('promtool', [...args], { cwd });
    return { code: 0, out: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number | string; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT')
      throw new Error('promtool is missing: apt-get install prometheus', { cause: error });
    return { code: Number(e.code), out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

interface RuleFile {
  readonly groups: readonly { readonly rules: readonly { alert: string; expr: string }[] }[];
}

const alertRules = (): { alert: string; expr: string }[] =>
  (parse(readFileSync(rules, 'utf8')) as RuleFile).groups.flatMap((g) => g.rules);

describe('the alert rules of the bot', () => {
  it('pass promtool check rules', async () => {
    const { code, out } = await promtool(['check', 'rules', 'pes-bot-rules.yml'], dir);
    expect(code, out).toBe(0);
    expect(out).toContain(`SUCCESS: ${alertRules().length} rules found`);
  });

  it('pass their unit tests (promtool test rules)', async () => {
    const { code, out } = await promtool(['test', 'rules', 'pes-bot-rules.test.yml'], dir);
    expect(code, out).toBe(0);
    expect(out).toContain('SUCCESS');
  });

  it('have unit tests that fail when a threshold is wrong', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'pes-rules-'));
    try {
      cpSync(dir, copy, { recursive: true });
      const file = join(copy, 'pes-bot-rules.yml');
      const text = readFileSync(file, 'utf8');
      const wrong = text.replace(
        'pes_messenger_connected == 0',
        'pes_messenger_connected == 0 and pes_messenger_connected > 1',
      );
      expect(wrong).not.toBe(text);
      writeFileSync(file, wrong);
      const { code, out } = await promtool(['test', 'rules', 'pes-bot-rules.test.yml'], copy);
      expect(code).not.toBe(0);
      expect(out).toContain('alertname: PesMessengerDisconnected');
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('cover what the bot must be alerted on', () => {
    expect(alertRules().map((r) => r.alert)).toEqual(
      expect.arrayContaining([
        'PesBotDown',
        'PesBackupTooOld',
        'PesRestoreDrillFailed',
        'PesRestoreDrillTooOld',
        'PesOutboxStuck',
        'PesMessengerDisconnected',
        'PesJobsFailing',
      ]),
    );
  });

  it('read only metrics a running bot exposes (and `up`)', async () => {
    const exposed = exposedNames((await scrapeRealBot()).types);
    exposed.add('up');
    for (const rule of alertRules()) {
      const names = metricNames(rule.expr);
      expect(names.length, rule.alert).toBeGreaterThan(0);
      for (const name of names) expect(exposed, `${rule.alert}: ${name}`).toContain(name);
    }
  }, 90_000);
});
