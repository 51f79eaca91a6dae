import { describe, expect, it } from 'vitest';
import { createLogger, makeRedactor, redactDeep } from '../../src/core/logger.ts';

describe('redaction', () => {
  const secret = 'pa"ss\\word-42';
  const redact = makeRedactor([secret, 'abc']);

  it('removes every occurrence of a secret, however it is quoted', () => {
    expect(redact(`token=${secret}; again ${secret}`)).toBe('token=[redacted]; again [redacted]');
  });

  it('ignores values too short to be secrets rather than blanking common words', () => {
    expect(redact('abc')).toBe('abc');
  });

  it('redacts strings anywhere inside data, keeping its shape', () => {
    const when = new Date(0);
    const data = { a: [secret, { b: `x${secret}` }], n: 3, when };
    expect(redactDeep(data, redact)).toEqual({
      a: ['[redacted]', { b: 'x[redacted]' }],
      n: 3,
      when,
    });
  });

  it('never writes a secret to a log line, in fields or in errors', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', redact, write: (l) => lines.push(l) });
    log.error('failed', { password: secret, error: new Error(`bad ${secret}`) });
    log.debug('hidden');
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('word-42');
    const parsed = JSON.parse(lines[0] ?? '{}') as { password: string; error: { message: string } };
    expect(parsed.password).toBe('[redacted]');
    expect(parsed.error.message).toBe('bad [redacted]');
  });
});
