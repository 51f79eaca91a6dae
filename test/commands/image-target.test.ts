import { describe, expect, it } from 'vitest';
import { parseImageTarget } from '../../commands/image-target.ts';
import { UserError } from '../../src/core/errors.ts';

const digest = `sha256:${'0123456789abcdef'.repeat(4)}`;

function refusal(raw: string): UserError {
  try {
    parseImageTarget(raw);
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  throw new Error(`${raw} was accepted`);
}

describe('parseImageTarget', () => {
  it('takes no target as the same reference again', () => {
    expect(parseImageTarget(undefined)).toEqual({ kind: 'current' });
  });

  it('takes tags', () => {
    for (const tag of ['2', '4.5.1', 'latest', '26.0.7-debian_12', '_x', 'A'.repeat(128)]) {
      expect(parseImageTarget(tag)).toEqual({ kind: 'tag', tag });
    }
  });

  it('takes image@sha256 digests, with a registry and port', () => {
    expect(parseImageTarget(`pes-test/app@${digest}`)).toEqual({
      kind: 'digest',
      image: 'pes-test/app',
      digest,
    });
    expect(parseImageTarget(`registry.example.org:5000/pes/moodle@${digest}`)).toMatchObject({
      kind: 'digest',
      image: 'registry.example.org:5000/pes/moodle',
    });
  });

  it('refuses anything else, naming the value and the forms allowed', () => {
    for (const raw of [
      'x;id',
      '../../x',
      '.hidden',
      '-rm',
      'A'.repeat(129),
      'pes-test/app:2',
      `pes-test/app@sha256:${'0'.repeat(63)}`,
      `Pes/App@${digest}`,
      `../x@${digest}`,
      `@${digest}`,
      '$(id)',
      '',
    ]) {
      const error = refusal(raw);
      expect(error.code).toBe('update-bad-target');
      expect(error.kind).toBe('usage');
      expect(error.hint('en')).toContain('image@sha256:<64 hex>');
    }
    expect(refusal('x;id').text('en')).toBe(
      '"x;id" is neither an image tag nor image@sha256:…; nothing was changed.',
    );
  });
});
