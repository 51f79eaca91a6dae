import { describe, expect, it } from 'vitest';
import { knownSecret, sameSecret } from '../../src/core/secret-compare.ts';

describe('secret comparison', () => {
  it('matches exactly, whatever the lengths', () => {
    expect(sameSecret('token-a', 'token-a')).toBe(true);
    expect(sameSecret('token-a', 'token-b')).toBe(false);
    expect(sameSecret('token', 'token-a')).toBe(false);
    expect(sameSecret('token-a-longer', 'token-a')).toBe(false);
  });

  it('finds any of several configured secrets, and never the empty one', () => {
    expect(knownSecret('b', ['a', 'b', 'c'])).toBe(true);
    expect(knownSecret('d', ['a', 'b', 'c'])).toBe(false);
    expect(knownSecret('', ['', 'a'])).toBe(false);
    expect(knownSecret('a', [])).toBe(false);
  });

  it('answers the same when asked again (the configured digest is kept)', () => {
    for (let i = 0; i < 3; i++) {
      expect(sameSecret('s3cret', 's3cret')).toBe(true);
      expect(sameSecret('s3cre7', 's3cret')).toBe(false);
    }
  });
});
