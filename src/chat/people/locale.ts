import { isLocale, type Locale } from '../../core/i18n.ts';

/**
 * The bot's language for a messenger's language tag: `ru`, `en`, `en-AU`, `en_GB` → their
 * language; a language the bot does not speak (`de`, `pt-br`) → undefined, so the room's
 * language is used.
 */
export function supportedLocale(tag: string | undefined): Locale | undefined {
  const language = tag?.toLowerCase().split(/[-_]/)[0];
  return isLocale(language) ? language : undefined;
}
