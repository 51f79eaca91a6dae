/** Small formatting for doctor lines: sizes, and counts with their plural forms. */
import type { Locale } from '../core/i18n.ts';
import { plural as pluralForm, type PluralForms } from '../core/plural.ts';

const units: Readonly<Record<Locale, readonly string[]>> = {
  ru: ['Б', 'КБ', 'МБ', 'ГБ', 'ТБ'],
  en: ['B', 'KB', 'MB', 'GB', 'TB'],
};

export function formatBytes(bytes: number, locale: Locale): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units[locale].length - 1) {
    value /= 1024;
    unit++;
  }
  const shown = unit === 0 ? String(value) : value.toFixed(1);
  return `${locale === 'ru' ? shown.replace('.', ',') : shown} ${units[locale][unit] ?? ''}`;
}

/** The count and the word that agrees with it (src/core/plural.ts): `3 проверки`. */
export function plural(count: number, locale: Locale, forms: PluralForms): string {
  return `${count} ${pluralForm(locale, count, forms)}`;
}
