/**
 * Words that agree with a number. Intl.PluralRules gives the CLDR category of a number in a
 * language: Russian has one (1, 21, 101), few (2–4, 22–24), many (0, 5–20, 25–30, 11–14)
 * and other (fractions); English has one and other.
 */
import { format, type Locale, type Params } from './i18n.ts';

/** The forms of a word or phrase by plural category; `other` stands in for a missing one. */
export type PluralForms = Readonly<Partial<Record<Intl.LDMLPluralRule, string>>> & {
  readonly other: string;
};

/** A text whose words follow one number, in every language. */
export type PluralText = Readonly<Record<Locale, PluralForms>>;

const rules: Partial<Record<Locale, Intl.PluralRules>> = {};

function rulesFor(locale: Locale): Intl.PluralRules {
  return (rules[locale] ??= new Intl.PluralRules(locale));
}

/** The form of `forms` that agrees with `n` in `locale`: `plural('ru', 3, …)` → the few form. */
export function plural(locale: Locale, n: number, forms: PluralForms): string {
  return forms[rulesFor(locale).select(n)] ?? forms.other;
}

/**
 * A text in the form that agrees with `count`, its `{count}` and other placeholders filled:
 * `countText({ ru: { one: '{count} запись', few: '{count} записи', many: '{count} записей',
 * other: '{count} записи' }, … }, 'ru', 53)` → `53 записи`.
 */
export function countText(
  text: PluralText,
  locale: Locale,
  count: number,
  params: Params = {},
): string {
  return format(plural(locale, count, text[locale]), { ...params, count });
}
