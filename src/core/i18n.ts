/** The languages every user-facing text exists in. Russian is the default. */
export type Locale = 'ru' | 'en';

export const locales: readonly Locale[] = ['ru', 'en'];

/** A text in every supported language. */
export type Text = Readonly<Record<Locale, string>>;

export type Params = Readonly<Record<string, string | number>>;

/** Fills `{name}` placeholders; a missing parameter stays visible rather than vanishing. */
export function format(template: string, params: Params = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => {
    const value = params[key];
    return value === undefined ? whole : String(value);
  });
}

export function localize(text: Text, locale: Locale, params?: Params): string {
  return format(text[locale], params);
}

export function isLocale(value: unknown): value is Locale {
  return value === 'ru' || value === 'en';
}

/** Picks the caller's language from the environment when no config says otherwise. */
export function localeFromEnv(env: NodeJS.ProcessEnv = process.env): Locale {
  const explicit = env['PES_LANG'];
  if (isLocale(explicit)) return explicit;
  const lang = env['LC_ALL'] ?? env['LC_MESSAGES'] ?? env['LANG'] ?? '';
  return lang.toLowerCase().startsWith('en') ? 'en' : 'ru';
}
