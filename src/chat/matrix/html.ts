/**
 * Text into Matrix's HTML subset (spec: m.room.message msgtypes, "org.matrix.custom.html").
 * Everything that came from a command or a person is escaped, so no value can add a tag, a
 * link or a mention pill; the only markup is what these functions write.
 */

const entities: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => entities[c] ?? c);
}

/**
 * `@room` in a body notifies the whole room in clients that still match the body (before
 * intentional mentions, spec 1.7); a zero-width space keeps it readable and silent.
 */
export function neutralizeMentions(text: string): string {
  return text.replace(/@room\b/gi, (m) => `@\u200b${m.slice(1)}`);
}

/** The neutral markdown subset (`**bold**`, `` `code` ``, line breaks) as HTML. */
export function inlineHtml(text: string): string {
  const parts = text.split(/(`[^`\n]+`)/);
  return parts
    .map((part) => {
      if (part.length > 2 && part.startsWith('`') && part.endsWith('`')) {
        return `<code>${escapeHtml(part.slice(1, -1))}</code>`;
      }
      return escapeHtml(part).replace(/\*\*([^*\n]+)\*\*/g, '<strong>$1</strong>');
    })
    .join('')
    .replace(/\n/g, '<br>');
}

/** A code block; the language only if it is a plain word (it becomes a class name). */
export function codeHtml(content: string, language: string | undefined): string {
  const lang =
    language !== undefined && /^[A-Za-z0-9_+-]{1,20}$/.test(language)
      ? ` class="language-${language}"`
      : '';
  return `<pre><code${lang}>${escapeHtml(content.replace(/\n$/, ''))}</code></pre>`;
}
