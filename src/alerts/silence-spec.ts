/**
 * The words of `silence <matcher …> <duration> [comment]`: matchers as Alertmanager writes
 * them (`name=value`, `!=`, `=~`, `!~`), a duration (`30m`, `1h`, `4h`, `1d`, `2w`), and the
 * rest as the comment. Also the command line a Silence button runs, quoted so that no label
 * value can change it.
 */
import { UserError } from '../core/errors.ts';
import { quoteValue } from '../core/parse.ts';
import type { Matcher } from './alertmanager-client.ts';

const matcherRe = /^([A-Za-z_][A-Za-z0-9_]*)(=~|!~|!=|=)(.*)$/su;
const durationRe = /^(\d{1,4})(m|h|d|w)$/;
const unitMs = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** Longest silence a command may set: longer ones belong in Alertmanager's own config. */
export const maxSilenceMs = 90 * 86_400_000;

export function parseMatcher(token: string): Matcher | undefined {
  const m = matcherRe.exec(token);
  if (m === null) return undefined;
  const [, name = '', op = '=', raw = ''] = m;
  // `name="value"` as Alertmanager prints it: the quotes are not part of the value.
  const value = /^".*"$/su.test(raw) ? raw.slice(1, -1) : raw;
  return { name, value, isRegex: op.includes('~'), isEqual: !op.startsWith('!') };
}

export function parseDuration(token: string): number | undefined {
  const m = durationRe.exec(token);
  if (m === null) return undefined;
  const ms = Number(m[1]) * unitMs[m[2] as keyof typeof unitMs];
  return ms > 0 && ms <= maxSilenceMs ? ms : undefined;
}

export interface SilenceRequest {
  readonly matchers: Matcher[];
  readonly durationMs: number;
  readonly comment: string;
}

export function parseSilenceWords(words: readonly string[]): SilenceRequest {
  const matchers: Matcher[] = [];
  let i = 0;
  for (; i < words.length; i++) {
    const matcher = parseMatcher(words[i] ?? '');
    if (matcher === undefined) break;
    matchers.push(matcher);
  }
  if (matchers.length === 0)
    throw new UserError('silence-invalid', { word: quoteValue(words[0] ?? '') });
  const word = words[i];
  if (word === undefined) throw new UserError('silence-no-duration');
  const durationMs = parseDuration(word);
  // A word that is neither a matcher nor a duration is named as what it was expected to be:
  // the matchers before it were read, so they are not what is wrong.
  if (durationMs === undefined)
    throw new UserError('silence-bad-duration', { word: quoteValue(word) });
  if (matchers.every((m) => !m.isEqual || (m.isRegex && /^\.\*$/.test(m.value)))) {
    // Alertmanager refuses a silence that matches everything; say so in our words.
    throw new UserError('silence-matches-all');
  }
  return { matchers, durationMs, comment: words.slice(i + 1).join(' ') };
}

/** A matcher as Alertmanager prints it: `name="value"`, `name=~"re"`. */
export function formatMatcher(m: Matcher): string {
  const op = m.isRegex ? (m.isEqual ? '=~' : '!~') : m.isEqual ? '=' : '!=';
  return `${m.name}${op}${JSON.stringify(m.value)}`;
}

/** A token for the command line: quoted, with `"` and `\` escaped (see core/tokenize.ts). */
function quote(text: string): string {
  return `"${text.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** The command a Silence button runs: the group's labels as equality matchers. */
export function silenceCommand(
  labels: Readonly<Record<string, string>>,
  duration: string,
  threadId?: number,
): string {
  const matchers = Object.entries(labels)
    .filter(([name]) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, value]) => quote(`${name}=${value}`));
  // --thread: the alert post then shows the silence (src/alerts/delivery.ts).
  const thread = threadId === undefined ? '' : ` --thread ${threadId}`;
  return `silence ${matchers.join(' ')} ${duration}${thread}`;
}
