/**
 * Fuzzing the tokenizer, the parser over the real command registry, and the whole invocation
 * path of the bot on real SQLite stores. Properties: nothing but a UserError with a
 * documented code is ever thrown, its text is one line, and a refused line leaves no job and
 * no confirmation behind (only its one audit row).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { commands } from '../../commands/index.ts';
import { UserError } from '../../src/core/errors.ts';
import { parseCommand } from '../../src/core/parse.ts';
import type { Platform } from '../../src/core/platform.ts';
import { Registry } from '../../src/core/registry.ts';
import { maxInputLength, tokenize } from '../../src/core/tokenize.ts';
import { createTestBot, fakePlatform } from '../helpers/bot.ts';
import { testCatalog } from '../helpers/catalog.ts';
import { anyCommandText } from './arbitraries.ts';
import { fuzz, fuzzTimeout, isDocumentedCode, lastRowIds } from './fuzz.ts';

const registry = new Registry(commands);
const catalog = testCatalog();

/** Fails unless `error` is a UserError with a documented code whose text is one line. */
function expectOneLineUserError(error: unknown, codes?: readonly string[]): UserError {
  if (!(error instanceof UserError)) throw error;
  expect(isDocumentedCode(error.code), error.code).toBe(true);
  if (codes !== undefined) expect(codes).toContain(error.code);
  for (const locale of ['ru', 'en'] as const) {
    expect(error.text(locale), error.text(locale)).not.toMatch(/[\r\n\u2028\u2029]/);
  }
  return error;
}

/** Quotes a word so that the tokenizer gives it back as it is (single quotes, POSIX style). */
function quote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

describe('fuzz: tokenizer and parser', () => {
  it(
    'tokenize gives words or a documented one-line error',
    async () => {
      await fuzz('tokenize', fc.oneof(anyCommandText, fc.string({ unit: 'binary' })), (text) => {
        try {
          const tokens = tokenize(text);
          expect(text.length).toBeLessThanOrEqual(maxInputLength);
          for (const token of tokens) expect(typeof token).toBe('string');
        } catch (error) {
          expectOneLineUserError(error, ['input-too-long', 'unbalanced-quote']);
        }
      });
    },
    fuzzTimeout(0.5),
  );

  it(
    'tokenize gives back any words quoted with single quotes',
    async () => {
      const words = fc.array(fc.string({ unit: 'binary', maxLength: 20 }), { maxLength: 8 });
      await fuzz('tokenize round trip', words, (ws) => {
        expect(tokenize(ws.map(quote).join(' '))).toEqual(ws);
      });
    },
    fuzzTimeout(0.5),
  );

  it(
    'parse gives a command or a documented one-line usage error',
    async () => {
      const input = fc.tuple(anyCommandText, fc.constantFrom('ru' as const, 'en' as const));
      await fuzz('parse', input, ([text, locale]) => {
        let tokens: string[];
        try {
          tokens = tokenize(text);
        } catch (error) {
          expectOneLineUserError(error);
          return;
        }
        try {
          const parsed = parseCommand(registry, catalog, tokens, locale);
          for (const arg of parsed.command.args) {
            const value = parsed.input[arg.name];
            // A service argument that got through names a service of the catalog.
            if (arg.service === true && typeof value === 'string') {
              expect(catalog.services.has(value)).toBe(true);
            }
          }
        } catch (error) {
          const e = expectOneLineUserError(error);
          expect(e.kind).toBe('usage');
        }
      });
    },
    fuzzTimeout(1),
  );
});

const down = new UserError('docker-unreachable', {
  socket: 'unix:///nonexistent/docker.sock',
  reason: 'connect ENOENT',
});

/** Every verb fails the way an unreachable engine does: a documented error, never a crash. */
function unreachablePlatform(): Platform {
  const platform: Record<string, unknown> = { ...fakePlatform({}) };
  for (const [key, value] of Object.entries(platform)) {
    if (typeof value === 'function') platform[key] = () => Promise.reject(down);
  }
  return platform as unknown as Platform;
}

const tables = ['jobs', 'confirmations', 'audit'];
const actors = ['local:root', 'mattermost:ivan', 'mattermost:teacher1', 'matrix:@nobody:x'];

describe('fuzz: the bot', () => {
  it(
    'answers any line with a documented outcome; a refused line changes nothing but the audit',
    async () => {
      let t = createTestBot({ platform: unreachablePlatform() });
      let cases = 0;
      const input = fc.tuple(anyCommandText, fc.constantFrom(...actors));
      await fuzz('bot.invoke', input, async ([text, actor]) => {
        // A fresh database now and then keeps `audit` and `jobs` (which read every row) fast.
        if (++cases % 500 === 0) {
          t.db.close();
          t = createTestBot({ platform: unreachablePlatform() });
        }
        const before = lastRowIds(t.db, tables);
        const outcome = await t.run(actor, text);
        const after = lastRowIds(t.db, tables);
        if (outcome.errorCode !== undefined) {
          expect(isDocumentedCode(outcome.errorCode), `${outcome.errorCode} for ${text}`).toBe(
            true,
          );
        }
        expect(after['audit']).toBeGreaterThan(before['audit'] ?? 0);
        if (outcome.status === 'usage' || outcome.status === 'denied') {
          expect(after['jobs']).toBe(before['jobs']);
          expect(after['confirmations']).toBe(before['confirmations']);
          // One line, and the hint under it when the error has one.
          const lines = (outcome.message.text ?? '').split('\n');
          expect(lines[0]?.length).toBeGreaterThan(0);
          expect(lines.length, outcome.message.text).toBeLessThanOrEqual(2);
        }
      });
      t.db.close();
    },
    fuzzTimeout(20),
  );
});
