/**
 * The neutral Message as terminal text: colour on a TTY, plain otherwise (pipes, logs, CI).
 */
import { styleText } from 'node:util';
import type { Message, Severity } from '../../core/message.ts';

type Style = Parameters<typeof styleText>[0];

const marks: Readonly<Record<Severity, string>> = {
  info: 'ℹ',
  success: '✔',
  warning: '⚠',
  error: '✖',
};
const colours: Readonly<Record<Severity, Style>> = {
  info: 'cyan',
  success: 'green',
  warning: 'yellow',
  error: 'red',
};

export interface RenderOptions {
  readonly colour: boolean;
}

/**
 * The markdown subset's text split at its code spans: odd items are the spans, backticks and
 * all. Markup counts only outside them: a span holds a name as it is (printable-name.ts), as
 * Mattermost and Matrix (html.ts `parseInline`) show it.
 */
function codeSpans(text: string): string[] {
  return text.split(/(`[^`\n]+`)/);
}

function bold(text: string, paint: (text: string) => string): string {
  return codeSpans(text)
    .map((part, i) =>
      i % 2 === 1 ? part : part.replace(/\*\*(.+?)\*\*/g, (_, b: string) => paint(b)),
    )
    .join('');
}

/**
 * Text of the markdown subset for a plain line (the confirmation prompt): bold markers go, as
 * in a rendered message without colour; backticks stay to show where a name starts and ends.
 */
export function plainInline(text: string): string {
  return bold(text, (b) => b);
}

export function renderForTerminal(message: Message, options: RenderOptions): string {
  const paint = (style: Style, text: string): string =>
    options.colour ? styleText(style, text, { validateStream: false }) : text;
  // The markdown subset: **bold** and `code`; the markers are dropped when there is no colour
  // only for bold, since backticks still help to see where a name starts and ends. Nothing
  // inside a code span is markup.
  const inline = (text: string): string =>
    codeSpans(text)
      .map((part, i) =>
        i % 2 === 0
          ? bold(part, (b) => paint('bold', b))
          : options.colour
            ? paint('cyan', part.slice(1, -1))
            : part,
      )
      .join('');

  const lines: string[] = [];
  const head = message.title ?? (message.text === undefined ? '' : undefined);
  if (head !== undefined)
    lines.push(
      paint(colours[message.severity], `${marks[message.severity]} ${paint('bold', head)}`),
    );
  if (message.text !== undefined) {
    const text = inline(message.text);
    lines.push(
      head === undefined
        ? `${paint(colours[message.severity], marks[message.severity])} ${text}`
        : text,
    );
  }
  if (message.fields !== undefined && message.fields.length > 0) {
    const width = Math.max(...message.fields.map((f) => f.label.length));
    for (const field of message.fields)
      lines.push(`  ${paint('dim', field.label.padEnd(width))}  ${inline(field.value)}`);
  }
  if (message.code !== undefined)
    lines.push(...message.code.content.split('\n').map((l) => `  ${l}`));
  for (const file of message.files ?? []) {
    lines.push(paint('dim', `── ${file.name} ──`), file.content.replace(/\n$/, ''));
  }
  if (message.actions !== undefined && message.actions.length > 0) {
    lines.push(message.actions.map((a) => `[${a.label}: ${paint('bold', a.command)}]`).join('  '));
  }
  return lines.join('\n');
}
