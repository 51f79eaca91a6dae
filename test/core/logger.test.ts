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

describe('errors in log lines', () => {
  it('writes an error’s cause and an AggregateError’s errors, redacted, to a bounded depth', () => {
    const lines: string[] = [];
    const log = createLogger({
      level: 'info',
      redact: makeRedactor(['hunter2']),
      write: (l) => lines.push(l),
    });
    const both = new AggregateError(
      [new Error('dump broke'), new Error('kill failed for hunter2')],
      'two things',
    );
    const d3 = new Error('d3', { cause: new Error('d4') });
    const deep = new Error('d1', { cause: new Error('d2', { cause: d3 }) });
    log.error('restore failed', {
      error: new Error('restore failed', { cause: both }),
      chain: new Error('d0', { cause: deep }),
    });
    interface Logged {
      message: string;
      cause?: Logged;
      errors?: Logged[];
    }
    const parsed = JSON.parse(lines[0] ?? '{}') as { error: Logged; chain: Logged };
    expect(parsed.error.cause?.message).toBe('two things');
    expect(parsed.error.cause?.errors?.map((e) => e.message)).toEqual([
      'dump broke',
      'kill failed for [redacted]',
    ]);
    // d0 → d1 → d2 → d3 → d4: the fourth cause down is not followed.
    expect(parsed.chain.cause?.cause?.cause?.message).toBe('d3');
    expect(parsed.chain.cause?.cause?.cause?.cause).toBeUndefined();
  });

  it('writes a cause that is not an error as text, even a circular one', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', write: (l) => lines.push(l) });
    const loop: { self?: unknown } = {};
    loop.self = loop;
    log.warn('odd', { error: new Error('outer', { cause: loop }) });
    const parsed = JSON.parse(lines[0] ?? '{}') as { error: { cause: unknown } };
    expect(parsed.error.cause).toBe('[object Object]');
  });

  it('never throws for a cause without a working toString, and bounds what a cause adds', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', write: (l) => lines.push(l) });
    const many = new AggregateError(
      Array.from({ length: 20 }, (_, i) => new Error(`e${String(i)}`)),
      'many',
    );
    log.error('odd', {
      bare: new Error('bare', { cause: Object.create(null) as unknown }),
      big: new Error('big', { cause: 'x'.repeat(100_000) }),
      many,
    });
    const parsed = JSON.parse(lines[0] ?? '{}') as {
      bare: { cause: string };
      big: { cause: string };
      many: { errors: unknown[]; moreErrors: number };
    };
    expect(parsed.bare.cause).toBe('[unprintable]');
    expect(parsed.big.cause.length).toBeLessThan(2100);
    expect(parsed.many.errors).toHaveLength(8);
    expect(parsed.many.moreErrors).toBe(12);
  });
});
