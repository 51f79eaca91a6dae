/**
 * Goldens of every UserError a person can see: its one line and its hint, in Russian and
 * English, as the terminal, Mattermost and Matrix show it (and whether only to the person).
 */
import { describe, expect, it } from 'vitest';
import { errorTexts, type ErrorCode } from '../../src/core/error-texts.ts';
import { UserError } from '../../src/core/errors.ts';
import type { Locale } from '../../src/core/i18n.ts';
import { createLogger } from '../../src/core/logger.ts';
import { isPrivateOutcome, outcomeFromError } from '../../src/core/outcome.ts';
import { madeParams, sampleParams } from './error-params.ts';
import { matrixView, mattermostView, terminalView } from './render.ts';

function transcript(locale: Locale): string {
  const log = createLogger({ level: 'silent' });
  const out: string[] = [];
  for (const code of Object.keys(errorTexts) as ErrorCode[]) {
    const outcome = outcomeFromError(
      new UserError(code, { ...sampleParams(locale), ...madeParams(code, locale) }),
      locale,
      log,
    );
    const only = isPrivateOutcome(outcome) ? ', only to the person who asked' : '';
    out.push(
      `\n## ${code} (${errorTexts[code].kind}${only})`,
      `--- terminal`,
      terminalView(outcome.message),
      `--- mattermost`,
      mattermostView(outcome.message, locale),
      `--- matrix`,
      matrixView(outcome.message, locale),
    );
  }
  return `${out.join('\n').trim()}\n`;
}

describe('every error, golden', () => {
  for (const locale of ['ru', 'en'] as const) {
    it(`reads right in ${locale}`, async () => {
      await expect(transcript(locale)).toMatchFileSnapshot(`./errors.${locale}.txt`);
    });
  }
});
