import { describe, expect, it } from 'vitest';
import { commands } from '../../commands/index.ts';
import { UserError } from '../../src/core/errors.ts';
import { parseCommand } from '../../src/core/parse.ts';
import { Registry } from '../../src/core/registry.ts';
import { tokenize } from '../../src/core/tokenize.ts';
import { testCatalog } from '../helpers/catalog.ts';

const registry = new Registry(commands);
const catalog = testCatalog();
const parse = (text: string, locale: 'ru' | 'en' = 'en') =>
  parseCommand(registry, catalog, tokenize(text), locale);

function errorOf(fn: () => unknown): UserError {
  try {
    fn();
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  throw new Error('expected a UserError');
}

describe('parseCommand', () => {
  it('finds a command by name or alias, case-insensitively', () => {
    expect(parse('status moodle').command.name).toBe('status');
    expect(parse('СТАТУС moodle').command.name).toBe('status');
    expect(parse('помощь').command.name).toBe('help');
  });

  it('gives a typed input with optional arguments and options', () => {
    expect(parse('status').input).toEqual({ service: undefined });
    expect(parse('audit --last 5').input).toEqual({ action: undefined, last: 5 });
    expect(parse('audit verify').input).toEqual({ action: 'verify', last: 20 });
    expect(parse('job 12').input).toEqual({ id: 12 });
    expect(parse('jobs --active').input).toEqual({ last: 10, active: true });
  });

  it("reads a dash typed as one (—last, –last) as the command's own option, and leaves other words", () => {
    expect(parse('jobs —last 2').input).toEqual({ last: 2, active: false });
    expect(parse('jobs –active').input).toEqual({ last: 10, active: true });
    expect(parse('silence alertname=X 1h —fine').input['words']).toEqual([
      'alertname=X',
      '1h',
      '—fine',
    ]);
    expect(errorOf(() => parse('jobs —lats 2')).code).toBe('extra-arguments');
  });

  it('refuses an unknown command, naming it', () => {
    const error = errorOf(() => parse('frobnicate now'));
    expect(error.code).toBe('unknown-command');
    expect(error.text('en')).toBe('Unknown command "frobnicate".');
  });

  it('refuses an unknown service and lists the known ones', () => {
    const error = errorOf(() => parse(`status 'moodle; rm -rf /'`));
    expect(error.code).toBe('unknown-service');
    expect(error.text('en')).toBe('Unknown service "moodle; rm -rf /".');
    expect(error.hint('en')).toBe('Known services: moodle, keycloak');
    expect(error.text('ru')).toBe('Неизвестный сервис «moodle; rm -rf /».');
  });

  it('treats command substitution and backticks as text, never as commands', () => {
    expect(errorOf(() => parse('status $(reboot)')).code).toBe('unknown-service');
    expect(errorOf(() => parse('status `reboot`')).code).toBe('unknown-service');
  });

  it('refuses extra arguments', () => {
    const error = errorOf(() => parse('status moodle keycloak'));
    expect(error.code).toBe('extra-arguments');
    expect(error.text('en')).toContain('keycloak');
  });

  it('refuses unknown options and missing arguments', () => {
    expect(errorOf(() => parse('status --force')).code).toBe('unknown-option');
    expect(errorOf(() => parse('job')).code).toBe('missing-argument');
    expect(errorOf(() => parse('audit --last')).code).toBe('missing-option-value');
  });

  it('validates values in the caller language', () => {
    const en = errorOf(() => parse('job abc'));
    expect(en.code).toBe('invalid-argument');
    expect(en.text('en')).toMatch(/^Invalid id: "abc"/);
    const ru = errorOf(() => parse('audit --last 0', 'ru'));
    expect(ru.text('ru')).toMatch(/^Недопустимое значение --last: «0» \(.+\)\.$/);
    expect(errorOf(() => parse('audit wipe')).code).toBe('invalid-argument');
    expect(errorOf(() => parse('job -1')).code).toBe('invalid-argument');
  });

  it('shortens and cleans a hostile value inside an error', () => {
    const error = errorOf(() => parse(`status '${'x'.repeat(500)}\u0007'`));
    expect(error.text('en').length).toBeLessThan(120);
    expect(error.text('en')).not.toContain('\u0007');
  });

  it('refuses an empty command', () => {
    expect(errorOf(() => parse('   ')).code).toBe('empty-command');
  });
});
