/**
 * From the `key=value` words of a provision command to one value per template parameter:
 * given, defaulted, generated, or taken from a named secret of the configuration. No error
 * raised here ever carries a secret value, nor a word that might be one.
 */
import { randomInt } from 'node:crypto';
import { UserError } from '../core/errors.ts';
import { quoteValue } from '../core/parse.ts';
import { fullMatch, paramKeyRe, type Template, type TemplateParam } from './template-schema.ts';

export interface ResolvedParams {
  /** Every parameter of the template; an optional one that was not given is ''. */
  readonly values: ReadonlyMap<string, string>;
  readonly shown: Readonly<Record<string, string>>;
  readonly secretKeys: readonly string[];
  readonly secretValues: readonly string[];
}

/** A secret parameter names a secret of the configuration instead of carrying its value. */
const secretRefRe = /^secret:([A-Za-z][A-Za-z0-9_-]{0,63})$/;

/** Long enough for any URL or list a template needs; short enough to show. */
const maxValueLength = 512;

const passwordAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const passwordLength = 32;

/**
 * Letters and digits only: a generated password may end up inside a URL (a database
 * connection string) or a config file, where punctuation needs escaping. 32 of 62 symbols
 * is about 190 bits.
 */
export function generatePassword(): string {
  let out = '';
  for (let i = 0; i < passwordLength; i++) out += passwordAlphabet[randomInt(62)] ?? '';
  return out;
}

/** Splits `key=value` words; the value may contain `=`. Never echoes a word back. */
export function parseAssignments(words: readonly string[]): Map<string, string> {
  const given = new Map<string, string>();
  words.forEach((word, index) => {
    const eq = word.indexOf('=');
    const key = eq > 0 ? word.slice(0, eq) : '';
    if (!paramKeyRe.test(key)) {
      throw new UserError('provision-param-syntax', { position: index + 1 });
    }
    if (given.has(key)) throw new UserError('provision-param-duplicate', { key });
    given.set(key, word.slice(eq + 1));
  });
  return given;
}

export function resolveParams(
  templateName: string,
  template: Template,
  words: readonly string[],
  configSecrets: ReadonlyMap<string, string>,
): ResolvedParams {
  const given = parseAssignments(words);
  const params = Object.entries(template.params);
  for (const key of given.keys()) {
    if (!(key in template.params)) {
      throw new UserError('provision-unknown-param', {
        template: templateName,
        key,
        known: params.map(([k]) => k).join(', ') || '—',
      });
    }
  }
  const missing = params.filter(([key, p]) => p.required && !given.has(key)).map(([key]) => key);
  if (missing.length > 0) {
    throw new UserError('provision-missing-param', {
      template: templateName,
      keys: missing.join(', '),
    });
  }

  const values = new Map<string, string>();
  const shown: Record<string, string> = {};
  const secretKeys: string[] = [];
  const secretValues: string[] = [];
  for (const [key, param] of params) {
    const raw = given.get(key);
    if (param.secret === true) {
      const value = secretValue(key, param, raw, configSecrets);
      values.set(key, value);
      secretKeys.push(key);
      if (value !== '') secretValues.push(value);
      continue;
    }
    if (raw !== undefined) checkValue(key, param, raw);
    const value = raw ?? param.default ?? '';
    values.set(key, value);
    if (raw !== undefined || param.default !== undefined) shown[key] = value;
  }
  return { values, shown, secretKeys, secretValues };
}

function checkValue(key: string, param: TemplateParam, value: string): void {
  const pattern = param.pattern ?? '';
  if (value.length > maxValueLength || !fullMatch(pattern).test(value)) {
    throw new UserError('provision-invalid-param', {
      key,
      value: quoteValue(value),
      pattern: quoteValue(pattern),
    });
  }
}

function secretValue(
  key: string,
  param: TemplateParam,
  raw: string | undefined,
  configSecrets: ReadonlyMap<string, string>,
): string {
  if (raw === undefined) return param.generate === 'password' ? generatePassword() : '';
  // A value typed into a command stays in the chat history, the audit log and the job
  // list: secrets come by reference only, like everywhere else in the configuration.
  const ref = secretRefRe.exec(raw);
  if (ref === null) throw new UserError('provision-secret-inline', { key });
  const name = ref[1] ?? '';
  const value = configSecrets.get(name);
  if (value === undefined) throw new UserError('provision-unknown-secret', { key, secret: name });
  if (param.pattern !== undefined && !fullMatch(param.pattern).test(value)) {
    throw new UserError('provision-invalid-secret', { key, pattern: quoteValue(param.pattern) });
  }
  return value;
}
