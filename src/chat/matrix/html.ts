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

type Inline =
  | { readonly kind: 'text'; readonly text: string; readonly bold: boolean }
  | { readonly kind: 'code'; readonly text: string }
  | { readonly kind: 'link'; readonly text: string; readonly url: string; readonly bold: boolean }
  | { readonly kind: 'break' };

const escapable = /[\\`*_{}[\]()#+\-.!<>:|~@&]/;

/**
 * Reads the neutral markdown subset: `**bold**`, `` `code` ``, `[text](https://…)` links,
 * backslash escapes of markdown punctuation (as the alert texts write them), line breaks.
 * Anything else is text.
 */
export function parseInline(source: string): Inline[] {
  const out: Inline[] = [];
  let text = '';
  let bold = false;
  const flush = (): void => {
    if (text !== '') out.push({ kind: 'text', text, bold });
    text = '';
  };
  for (let i = 0; i < source.length; i++) {
    const c = source.charAt(i);
    const next = source.charAt(i + 1);
    if (c === '\\' && escapable.test(next)) {
      text += next;
      i++;
    } else if (c === '\n') {
      flush();
      out.push({ kind: 'break' });
    } else if (c === '`') {
      const end = source.indexOf('`', i + 1);
      const code = end < 0 ? '' : source.slice(i + 1, end);
      if (end < 0 || code.includes('\n') || code === '') {
        text += c;
        continue;
      }
      flush();
      out.push({ kind: 'code', text: code });
      i = end;
    } else if (c === '*' && next === '*') {
      flush();
      bold = !bold;
      i++;
    } else if (c === '[') {
      const link = /^\[((?:\\.|[^\]\\\n])+)\]\((https?:\/\/[^\s)]+)\)/.exec(source.slice(i));
      if (link === null) {
        text += c;
        continue;
      }
      flush();
      const label = (link[1] ?? '').replace(/\\(.)/g, '$1');
      out.push({ kind: 'link', text: label, url: link[2] ?? '', bold });
      i += link[0].length - 1;
    } else {
      text += c;
    }
  }
  flush();
  return out;
}

/** The markdown subset as HTML; links only to http(s) URLs, every value escaped. */
export function inlineHtml(source: string): string {
  return parseInline(source)
    .map((t) => {
      switch (t.kind) {
        case 'break':
          return '<br>';
        case 'code':
          return `<code>${escapeHtml(t.text)}</code>`;
        case 'link': {
          // A matrix.to link to a user or room is shown by clients as a mention pill.
          const a = /^https?:\/\/matrix\.to\b/i.test(t.url)
            ? escapeHtml(`${t.text} (${t.url})`)
            : `<a href="${escapeHtml(t.url)}">${escapeHtml(t.text)}</a>`;
          return t.bold ? `<strong>${a}</strong>` : a;
        }
        case 'text':
          return t.bold ? `<strong>${escapeHtml(t.text)}</strong>` : escapeHtml(t.text);
      }
    })
    .join('');
}

/** The markdown subset as plain text for `body`: escapes resolved, links as "text (url)". */
export function inlinePlain(source: string): string {
  return parseInline(source)
    .map((t) => {
      switch (t.kind) {
        case 'break':
          return '\n';
        case 'code':
          return `\`${t.text}\``;
        case 'link':
          return `${t.text} (${t.url})`;
        case 'text':
          return t.text;
      }
    })
    .join('');
}

/** A code block; the language only if it is a plain word (it becomes a class name). */
export function codeHtml(content: string, language: string | undefined): string {
  const lang =
    language !== undefined && /^[A-Za-z0-9_+-]{1,20}$/.test(language)
      ? ` class="language-${language}"`
      : '';
  return `<pre><code${lang}>${escapeHtml(content.replace(/\n$/, ''))}</code></pre>`;
}
