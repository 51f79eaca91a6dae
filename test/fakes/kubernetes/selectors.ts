/**
 * Label and field selectors as the list API takes them
 * (https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors
 * and https://kubernetes.io/docs/concepts/overview/working-with-objects/field-selectors/):
 * `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, comma means AND. Field
 * selectors take dotted paths (metadata.name, involvedObject.uid, status.phase) with =, ==, !=.
 */
import { at, isObject, stringMap, type Json, type JsonObject } from './json.ts';
import { badRequest } from './status.ts';

type Requirement = (labels: Record<string, string>) => boolean;

/** Splits on commas outside parentheses. */
function terms(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth += 1;
    if (ch === ')') depth -= 1;
    if (ch === ',' && depth === 0) {
      out.push(current);
      current = '';
    } else current += ch;
  }
  out.push(current);
  return out.map((t) => t.trim()).filter((t) => t !== '');
}

function requirement(term: string): Requirement {
  const set = /^([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
  if (set !== null) {
    const [, key = '', op, values = ''] = set;
    const vs = values.split(',').map((v) => v.trim());
    return op === 'in'
      ? (l) => l[key] !== undefined && vs.includes(l[key])
      : (l) => l[key] === undefined || !vs.includes(l[key]);
  }
  const cmp = /^([^\s!=]+)\s*(!=|==|=)\s*([^\s!=]*)$/.exec(term);
  if (cmp !== null) {
    const [, key = '', op, value = ''] = cmp;
    return op === '!=' ? (l) => l[key] !== value : (l) => l[key] === value;
  }
  if (/^![^\s!=]+$/.test(term)) return (l) => l[term.slice(1)] === undefined;
  if (/^[^\s!=()]+$/.test(term)) return (l) => l[term] !== undefined;
  throw badRequest(`unable to parse requirement: found '${term}', expected: identifier`);
}

export function parseLabelSelector(text: string): (labels: Record<string, string>) => boolean {
  const reqs = terms(text).map(requirement);
  return (labels) => reqs.every((r) => r(labels));
}

export function labelsOf(object: JsonObject): Record<string, string> {
  return stringMap(at(object, 'metadata', 'labels'));
}

export function parseFieldSelector(text: string): (object: JsonObject) => boolean {
  const reqs = terms(text).map((term) => {
    const m = /^([^\s!=]+)\s*(!=|==|=)\s*(.*)$/.exec(term);
    if (m === null) throw badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
    const [, path = '', op, value = ''] = m;
    const keys = path.split('.');
    return (o: JsonObject) => {
      const v: Json | undefined = at(o, ...keys);
      const textValue =
        v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
      return op === '!=' ? textValue !== value : textValue === value;
    };
  });
  return (o) => reqs.every((r) => r(o));
}

/** The structured selector of a workload (matchLabels + matchExpressions) as a matcher. */
export function selectorMatcher(
  selector: Json | undefined,
): (labels: Record<string, string>) => boolean {
  if (!isObject(selector)) return () => false;
  const match = stringMap(selector.matchLabels);
  const exprs = Array.isArray(selector.matchExpressions) ? selector.matchExpressions : [];
  return (labels) => {
    for (const [k, v] of Object.entries(match)) if (labels[k] !== v) return false;
    for (const e of exprs) {
      if (!isObject(e) || typeof e.key !== 'string') return false;
      const values = Array.isArray(e.values) ? e.values.filter((v) => typeof v === 'string') : [];
      const has = labels[e.key];
      if (e.operator === 'In' && (has === undefined || !values.includes(has))) return false;
      if (e.operator === 'NotIn' && has !== undefined && values.includes(has)) return false;
      if (e.operator === 'Exists' && has === undefined) return false;
      if (e.operator === 'DoesNotExist' && has !== undefined) return false;
    }
    return true;
  };
}

/** The selector as text (metav1.FormatLabelSelector), as a Scale's status.selector shows it. */
export function selectorText(selector: Json | undefined): string {
  if (!isObject(selector)) return '';
  const parts = Object.entries(stringMap(selector.matchLabels))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`);
  return parts.join(',');
}
