/**
 * Name words → plugins of the directory, best first: a small, explicit scoring (the name
 * equal to the words, every word in the name, a word in the component), no fuzzy magic, so
 * that what is offered can be explained.
 */
import type { DirectoryPlugin } from './directory-types.ts';

function words(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length >= 3);
}

export function searchPlugins(
  list: readonly DirectoryPlugin[],
  query: string,
  limit = 3,
): DirectoryPlugin[] {
  const wanted = words(query);
  if (wanted.length === 0) return [];
  const scored: { plugin: DirectoryPlugin; score: number }[] = [];
  for (const plugin of list) {
    const name = words(plugin.name);
    const component = plugin.component.toLowerCase();
    let score = 0;
    if (name.join(' ') === wanted.join(' ')) score += 100;
    const inName = wanted.filter((w) => name.some((n) => n.startsWith(w))).length;
    const inComponent = wanted.filter((w) => component.includes(w)).length;
    if (inName === wanted.length) score += 50;
    score += inName * 10 + inComponent * 5;
    // Shorter names first among equals: "Attendance" before "Attendance table".
    if (score > 0) scored.push({ plugin, score: score - name.length });
  }
  const sorted = scored.sort(
    (a, b) => b.score - a.score || a.plugin.component.localeCompare(b.plugin.component),
  );
  // A name that is exactly the words asked for, and only one, is what was meant: "attendance"
  // is Attendance, not a choice between it and "Attendance table".
  const exact = sorted.filter((s) => s.score >= 100);
  if (exact.length === 1 && exact[0] !== undefined) return [exact[0].plugin];
  return sorted.slice(0, limit).map((s) => s.plugin);
}
