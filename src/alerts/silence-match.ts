/**
 * Whether a silence's matchers cover a set of labels, as Alertmanager decides it: every
 * matcher must hold; a label that is absent counts as the empty string; regular expressions
 * are anchored at both ends. Alertmanager uses RE2; JavaScript's engine agrees on the
 * expressions people write in matchers, and one it cannot compile covers nothing.
 */
import type { Matcher } from '../core/alerts.ts';

function holds(matcher: Matcher, labels: Readonly<Record<string, string>>): boolean {
  const value = labels[matcher.name] ?? '';
  let equal: boolean;
  if (matcher.isRegex) {
    try {
      equal = new RegExp(`^(?:${matcher.value})$`, 'u').test(value);
    } catch {
      return false;
    }
  } else {
    equal = value === matcher.value;
  }
  return matcher.isEqual ? equal : !equal;
}

export function silenceCovers(
  matchers: readonly Matcher[],
  labels: Readonly<Record<string, string>>,
): boolean {
  return matchers.length > 0 && matchers.every((m) => holds(m, labels));
}
