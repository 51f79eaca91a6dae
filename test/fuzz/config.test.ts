/**
 * Fuzzing config loading with YAML-ish documents: the example configuration with every
 * section (Mattermost, Matrix, backups, alerts) with random values put in, taken out or
 * added; arbitrary JSON written as YAML; and lines of YAML syntax (anchors, aliases, merge
 * keys, tags, flow collections, block scalars, directives). Properties: a configuration
 * loads, or is refused with one documented usage error that names the file, on one line;
 * nothing is written beside it (no state database).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadConfig } from '../../src/config/load.ts';
import { UserError } from '../../src/core/errors.ts';
import { repoRoot } from '../helpers/cli.ts';
import { fuzz, fuzzTimeout, isDocumentedCode } from './fuzz.ts';

const sections = `
mattermost:
  url: https://chat.example.org
  botToken: '\${PES_MM_BOT_TOKEN}'
  slashTokens: ['\${PES_MM_SLASH_TOKEN}']
  actionSecret: {file: secrets-mm}
  publicUrl: https://pes-bot.example.org
  teams: []
  channels: []
matrix:
  homeserverUrl: https://matrix.example.org
  userId: '@pes:example.org'
  accessToken: '\${PES_MATRIX_TOKEN}'
  deviceId: '\${PES_MATRIX_DEVICE}'
  allowedInviters: ['@anna:example.org']
  allowedRooms: ['!ops:example.org']
  rooms: []
backup:
  engine: restic
  repository: /var/backups/pes
  password: '\${PES_BACKUP_PASSWORD}'
  env: {AWS_ACCESS_KEY_ID: '\${PES_MINIO_KEY}'}
  prune: '0 4 * * 0'
alerts:
  path: /alertmanager
  token: '\${PES_ALERTS_TOKEN}'
  maxBodyBytes: 4194304
  alertmanagerUrl: http://127.0.0.1:9093
  defaultRoom: mattermost:abcdefghijklmnopqrstuvwxyz
  routes:
    - match: {severity: critical}
      rooms: [mattermost:abcdefghijklmnopqrstuvwxyz]
      quietHours: {start: 22, end: 7, timeZone: Europe/Moscow}
  runbooks:
    - match: {alertname: MoodleDown}
      label: Restart moodle
      command: restart moodle
`;

const env: NodeJS.ProcessEnv = {
  PES_MM_BOT_TOKEN: 'bot-token-0123456789',
  PES_MM_SLASH_TOKEN: 'slash-token-0123456789',
  PES_MATRIX_TOKEN: 'matrix-token-0123456789',
  PES_MATRIX_DEVICE: 'DEVICEID01',
  PES_BACKUP_PASSWORD: 'backup-password-0123456789',
  PES_MINIO_KEY: 'minio-key-0123456789',
  PES_ALERTS_TOKEN: 'alerts-token-0123456789',
};

const example = readFileSync(join(repoRoot, 'config/pes.example.yaml'), 'utf8');
const base = { ...(parse(example) as object), ...(parse(sections) as object) } as Record<
  string,
  unknown
>;

const dir = mkdtempSync(join(tmpdir(), 'pes-fuzz-config-'));
const configPath = join(dir, 'pes.yaml');
writeFileSync(join(dir, 'secrets-mm'), 'action-secret-0123456789');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Path = readonly (string | number)[];

/** Every path to a value in `value`, the root included. */
function pathsOf(value: unknown, prefix: Path = []): Path[] {
  const out: Path[] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...pathsOf(v, [...prefix, i])));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...prefix, k]));
  }
  return out;
}
const basePaths = pathsOf(base);

type Mutation =
  | { readonly kind: 'set'; readonly at: number; readonly value: unknown }
  | { readonly kind: 'delete'; readonly at: number }
  | { readonly kind: 'add'; readonly at: number; readonly key: string; readonly value: unknown };

const leaf = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(
    '',
    '${NOPE}',
    '${PES_MM_BOT_TOKEN}',
    { file: '/nonexistent' },
    { file: '../../etc/hostname' },
    'local:@me',
    'system:scheduler',
    '*',
    -1,
    0,
    65536,
    Number.POSITIVE_INFINITY,
    '0 4 * * 0',
    'x * * * *',
    '@pes:example.org',
    'mattermost:abcdefghijklmnopqrstuvwxyz',
    'matrix:!x:y',
    '__proto__',
  ),
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: leaf }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('add' as const),
    at: fc.nat(),
    key: fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('__proto__', 'constructor')),
    value: leaf,
  }),
);

function applyMutations(mutations: readonly Mutation[]): unknown {
  let doc: unknown = structuredClone(base);
  for (const m of mutations) {
    const path = basePaths[m.at % basePaths.length] ?? [];
    if (path.length === 0) {
      if (m.kind === 'set') doc = m.value;
      continue;
    }
    let parent: unknown = doc;
    for (const key of path.slice(0, -1)) {
      parent =
        parent !== null && typeof parent === 'object'
          ? (parent as Record<string | number, unknown>)[key]
          : undefined;
    }
    if (parent === null || typeof parent !== 'object') continue;
    const holder = parent as Record<string | number, unknown>;
    const last = path[path.length - 1] ?? '';
    if (m.kind === 'set') holder[last] = m.value;
    else if (m.kind === 'delete') Reflect.deleteProperty(holder, last);
    else {
      const target = holder[last];
      if (target !== null && typeof target === 'object' && !Array.isArray(target)) {
        Object.defineProperty(target, m.key, {
          value: m.value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
    }
  }
  return doc;
}

const yamlBits = [
  'services:',
  '  moodle:',
  '    containers: {names: [a]}',
  '    containers: {compose: {project: pes, service: moodle}}',
  '    scale: {min: 1, max: 3}',
  'roles:',
  '  admin: {members: [local:@me], commands: ["*"]}',
  'locale: en',
  'state: {path: ":memory:"}',
  'server: {port: 8080}',
  'a: &a [1, 2, 3]',
  'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
  'c: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
  'd: *nowhere',
  '<<: *a',
  '<<: {locale: en}',
  'x: !!binary aGVsbG8=',
  'x: !!set {a, b}',
  'x: !!timestamp 2020-01-01',
  'x: !!omap [{a: 1}]',
  'x: !!js/function "function () {}"',
  'x: !!int nope',
  'x: !!float nope',
  'x: !custom 1',
  '? [a, b]',
  ': c',
  '- item',
  '---',
  '...',
  '%YAML 1.1',
  '%TAG ! tag:example.com,2000:',
  'x: |',
  'x: >-',
  '  folded',
  '\tx: tab',
  'x: "unterminated',
  "x: 'single",
  'x: {a: 1',
  'x: [1, 2',
  '# a comment',
  'x: ~',
  'x: null',
  'x: .inf',
  'x: 0o17',
  'x: 0x1F',
  'x: 1_000',
  '"__proto__": {polluted: true}',
  'constructor: {prototype: {}}',
];

const yamlish = fc
  .array(
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...yamlBits) },
      { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
    ),
    { maxLength: 12 },
  )
  .map((lines) => lines.join('\n'));

const document: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .array(mutation, { minLength: 1, maxLength: 4 })
      .map((ms) => stringify(applyMutations(ms))),
  },
  { weight: 1, arbitrary: fc.jsonValue().map((v) => stringify(v)) },
  { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
  { weight: 3, arbitrary: yamlish },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
);

/** Warnings Node would print beside the one line (process.emitWarning). */
const warnings: string[] = [];
const onWarning = (warning: Error): void => {
  warnings.push(warning.message);
};
beforeAll(() => process.on('warning', onWarning));
afterAll(() => process.off('warning', onWarning));

/**
 * What is loaded or the one-line usage error naming the file; no warning printed beside it;
 * nothing written beside it.
 */
async function checkLoad(text: string): Promise<void> {
  writeFileSync(configPath, text);
  try {
    const loaded = loadConfig({ flag: configPath, env, cwd: dir, username: 'alice' });
    expect(loaded.path).toBe(configPath);
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    expect(isDocumentedCode(error.code), error.code).toBe(true);
    expect(error.kind).toBe('usage');
    const en = error.text('en');
    expect(en).toContain(configPath);
    expect(en).not.toMatch(/[\r\n]/);
  }
  expect(readdirSync(dir).sort()).toEqual(['pes.yaml', 'secrets-mm']);
  // Warnings are emitted on the next tick.
  await new Promise((resolve) => setImmediate(resolve));
  expect(warnings.splice(0)).toEqual([]);
}

describe('fuzz: config loading', () => {
  it('loads the document the mutations start from', () => {
    writeFileSync(configPath, stringify(base));
    const loaded = loadConfig({ flag: configPath, env, cwd: dir, username: 'alice' });
    expect(loaded.mattermost).toBeDefined();
    expect(loaded.matrix).toBeDefined();
    expect(loaded.backup).toBeDefined();
    expect(loaded.alerts).toBeDefined();
  });

  it(
    'loads or refuses any document with one documented line, writing nothing',
    async () => {
      await fuzz('loadConfig', document, checkLoad);
    },
    fuzzTimeout(20),
  );
});
