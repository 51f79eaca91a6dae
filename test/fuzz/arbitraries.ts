/**
 * Generators of what people and servers send: command lines made of the words the bot knows
 * mixed with hostile ones, and arbitrary text. Plain random strings almost never reach past
 * "unknown command", so most cases are built from real command names, services and flags.
 */
import fc from 'fast-check';
import { commands } from '../../commands/index.ts';

const commandNames = commands.flatMap((c) => [c.name, ...(c.aliases ?? [])]);

const flagNames = [
  '--lines',
  '--since',
  '--container',
  '--last',
  '--active',
  '--dry-run',
  '--only',
  '--tag',
  '--delete-data',
  '--thread',
  '--json',
  '--yes',
  '-y',
  '--lang',
  '--',
  '-',
  '--help',
  '-h',
  '--version',
  '--constructor',
  '--__proto__',
];

/** Words with a meaning somewhere in the bot, and words that must be refused. */
const hostileWords = [
  'moodle',
  'keycloak',
  'MOODLE',
  'nope',
  '__proto__',
  'constructor',
  'toString',
  'latest',
  '../../etc',
  '/etc/passwd',
  'x; rm -rf /',
  '$(id)',
  '`id`',
  '|',
  '&&',
  '-1',
  '0',
  '1',
  '3',
  '999',
  '1e3',
  '0x10',
  'NaN',
  'Infinity',
  '9007199254740993',
  '10m',
  '1h',
  '90d',
  '91d',
  '-5m',
  'volumes',
  'databases',
  'verify',
  'ack',
  'alertname=X',
  'instance=~"db-.*"',
  'a!=b',
  '=',
  'nginx:1.27',
  'image@sha256:' + 'a'.repeat(64),
  'redmine',
  'minio',
  'key=value',
  '7F3K',
  'ЖЖЖЖ',
  '',
  '\u0000',
  '\u202e',
  '\ud800',
  '🙂',
  'x'.repeat(300),
];

const quoteChars = ['"', "'", '«', '»', '“', '”', '\\'];

/** One word: known, hostile, random, or random with a stray quote or backslash. */
const word: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...hostileWords) },
  { weight: 2, arbitrary: fc.constantFrom(...flagNames) },
  { weight: 1, arbitrary: fc.constantFrom(...flagNames).map((f) => `${f}=x`) },
  { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.string({ maxLength: 6 }),
        fc.constantFrom(...quoteChars),
        fc.string({ maxLength: 6 }),
      )
      .map(([a, q, b]) => `${a}${q}${b}`),
  },
  { weight: 1, arbitrary: fc.integer().map(String) },
);

const separator = fc.constantFrom(' ', ' ', ' ', '  ', '\t', '\n', '\u00a0', '\u3000');

/** A command line: usually a known command name followed by words, sometimes anything. */
export const commandLine: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .tuple(
        fc.constantFrom(...commandNames),
        fc.array(fc.tuple(separator, word), { maxLength: 6 }),
      )
      .map(([name, rest]) => name + rest.map(([s, w]) => `${s}${w}`).join('')),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.array(word, { maxLength: 5 }).map((ws) => ws.join(' ')) },
);

/** A command line, or once in a while one that is far too long. */
export const anyCommandText: fc.Arbitrary<string> = fc.oneof(
  { weight: 30, arbitrary: commandLine },
  { weight: 1, arbitrary: fc.nat({ max: 20_000 }).map((n) => 'status '.padEnd(n, 'x')) },
);
