/** A finding as one terminal line, and the closing summary, in the person's language. */
import { localize, type Locale } from '../core/i18n.ts';
import type { Finding, Status } from './check.ts';
import { plural } from './format.ts';
import type { Text } from '../core/i18n.ts';

const marks: Readonly<Record<Status, string>> = { ok: '✔', fail: '✖', cannot: '–' };

export function findingLine(title: Text, finding: Finding, locale: Locale): string {
  const head = `${marks[finding.status]} ${localize(title, locale)}: ${localize(finding.detail, locale)}`;
  return finding.hint === undefined ? head : `${head} → ${localize(finding.hint, locale)}`;
}

export function summaryLine(statuses: readonly Status[], locale: Locale): string {
  const total = statuses.length;
  const failed = statuses.filter((s) => s === 'fail').length;
  const skipped = statuses.filter((s) => s === 'cannot').length;
  if (failed === 0 && skipped === 0) {
    return locale === 'ru'
      ? `Всё в порядке: ${plural(total, 'ru', { one: 'проверка', few: 'проверки', other: 'проверок' })}.`
      : `All fine: ${plural(total, 'en', { one: 'check', other: 'checks' })}.`;
  }
  return locale === 'ru'
    ? `Проверок: ${total}; не прошли: ${failed}; не выполнены: ${skipped}.`
    : `Checks: ${total}; failed: ${failed}; not run: ${skipped}.`;
}
