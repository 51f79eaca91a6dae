/**
 * What a teacher typed to name a plugin: a component (`mod_attendance`), a link into the
 * plugins directory, or name words (`attendance`). Component names follow Moodle's rules
 * (core_component: the type is lowercase letters, the name lowercase letters, digits and
 * single underscores, starting with a letter and not ending with an underscore).
 */
import { UserError } from '../core/errors.ts';
import { quoteValue } from '../core/parse.ts';

export type PluginReference =
  | { readonly kind: 'component'; readonly component: string }
  | { readonly kind: 'words'; readonly words: string };

const componentRe = /^[a-z]+_[a-z](?:[a-z0-9]|_(?!_))*[a-z0-9]$/;
/** A word that looks like it means to be a component (has an underscore, no spaces). */
const componentLike = /^[A-Za-z0-9-]+_[A-Za-z0-9_-]*$/;

export function isComponent(word: string): boolean {
  return componentRe.test(word) && word.length <= 100;
}

/** The component in a link to the plugins directory, or a refusal for any other link. */
export function componentOfUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(/^https?:\/\//i.test(text) ? text : `https://${text}`);
  } catch {
    throw new UserError('plugin-url-invalid', { value: quoteValue(text) });
  }
  const host = url.hostname.toLowerCase();
  const inDirectory =
    (host === 'moodle.org' || host === 'www.moodle.org') &&
    /^\/plugins(\/|$)/.test(url.pathname) &&
    (url.protocol === 'https:' || url.protocol === 'http:');
  if (!inDirectory) throw new UserError('plugin-url-invalid', { value: quoteValue(text) });
  // moodle.org/plugins/mod_attendance[/…] or moodle.org/plugins/view.php?plugin=mod_attendance
  const candidate = url.searchParams.get('plugin') ?? url.pathname.split('/')[2] ?? '';
  if (!isComponent(candidate))
    throw new UserError('plugin-url-invalid', { value: quoteValue(text) });
  return candidate;
}

export function looksLikeUrl(word: string): boolean {
  return (
    /^(https?:\/\/|www\.|moodle\.org\/)/i.test(word) || /^[a-z0-9.-]+\.[a-z]{2,}\//i.test(word)
  );
}

/** A typed word as a reference: a link, a component, or (otherwise) a name word. */
export function referenceOf(word: string): PluginReference | undefined {
  if (looksLikeUrl(word)) return { kind: 'component', component: componentOfUrl(word) };
  if (isComponent(word)) return { kind: 'component', component: word };
  if (componentLike.test(word)) {
    throw new UserError('plugin-component-invalid', { value: quoteValue(word) });
  }
  return undefined;
}
