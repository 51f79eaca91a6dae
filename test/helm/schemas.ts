/**
 * Every rendered object checked against the Kubernetes API's own schemas, offline:
 * - types, required fields, enums and formats with the validators of the npm package
 *   kubernetes-models (pinned; generated from the Kubernetes OpenAPI spec of 1.33 or later:
 *   it knows Lifecycle.stopSignal, new in 1.33), one per kind;
 * - unknown fields, which those validators let through but a server with
 *   fieldValidation=Strict refuses, with the attribute maps of @kubernetes/client-node's
 *   models (generated from the same OpenAPI spec);
 * - the ServiceMonitor against the Prometheus Operator's monitoring.coreos.com/v1 types as
 *   @kubernetes-models/prometheus-operator (pinned) generates them from the operator's Go API
 *   (github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1, from which
 *   the operator's CRDs are generated too): its validator for types and required fields, its
 *   type declarations for the names of the fields.
 */
import * as clientNode from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { K8sObject } from './helm.ts';

interface Attribute {
  readonly baseName: string;
  readonly type: string;
}

interface ModelClass {
  getAttributeTypeMap(): Attribute[];
}

interface Validatable {
  validate(): void;
}

const models = clientNode as unknown as Record<string, Partial<ModelClass> | undefined>;

/** The element type of `Array<T>` or of a map `{ [key: string]: T; }`, else undefined. */
function innerType(
  type: string,
): { readonly kind: 'array' | 'map'; readonly type: string } | undefined {
  if (type.startsWith('Array<') && type.endsWith('>')) {
    return { kind: 'array', type: type.slice('Array<'.length, -1) };
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  return map?.[1] === undefined ? undefined : { kind: 'map', type: map[1] };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Paths of fields the model `type` of client-node does not have, under `value`. */
export function unknownFields(value: unknown, type: string, path = ''): string[] {
  const inner = innerType(type);
  if (inner !== undefined) {
    if (inner.kind === 'array' && Array.isArray(value)) {
      return value.flatMap((v, i) => unknownFields(v, inner.type, `${path}[${i}]`));
    }
    if (inner.kind === 'map' && isRecord(value)) {
      return Object.entries(value).flatMap(([k, v]) =>
        unknownFields(v, inner.type, `${path}.${k}`),
      );
    }
    return [];
  }
  const model = models[type]?.getAttributeTypeMap;
  if (model === undefined || !isRecord(value)) return [];
  const attributes = models[type]?.getAttributeTypeMap?.() ?? [];
  return Object.entries(value).flatMap(([key, v]) => {
    const attribute = attributes.find((a) => a.baseName === key);
    const at = `${path}.${key}`;
    return attribute === undefined ? [at] : unknownFields(v, attribute.type, at);
  });
}

/**
 * The field names of the operator's types, read from the package's declarations: each
 * `export interface IName … { "field"?: Type; }` with the interfaces it names from files
 * beside it.
 */
function operatorFields(): Map<string, Map<string, string>> {
  const dir = dirname(
    fileURLToPath(
      import.meta
        .resolve('@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor'),
    ),
  );
  const own = new Map<string, { fields: Map<string, string>; parents: string[] }>();
  const seen = new Set<string>();
  const read = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(join(dir, file), 'utf8');
    for (const m of text.matchAll(
      /export interface (I\w+)(?: extends ([^{]+))? ?\{([\s\S]*?)\n\}/g,
    )) {
      const fields = new Map<string, string>();
      const body = (m[3] ?? '').replace(/\/\*\*[\s\S]*?\*\//g, '');
      for (const f of body.matchAll(/^\s{4}"([^"]+)"\??: (.+);$/gm)) {
        fields.set(f[1] ?? '', f[2] ?? '');
      }
      const parents = (m[2] ?? '')
        .split(',')
        .map((p) => p.trim())
        .filter((p) => /^I\w+$/.test(p));
      own.set(m[1] ?? '', { fields, parents });
    }
    // Fields name other types by their long aliases: `export type { IEndpoint as IComGithub…Endpoint }`.
    for (const a of text.matchAll(/export type \{ (I\w+) as (I\w+)/g)) {
      const found = own.get(a[1] ?? '');
      if (found !== undefined) own.set(a[2] ?? '', found);
    }
    for (const i of text.matchAll(/from "\.\/(\w+)\.js"/g)) read(`${i[1] ?? ''}.d.ts`);
  };
  read('ServiceMonitor.d.ts');
  const all = (name: string): Map<string, string> => {
    const entry = own.get(name);
    if (entry === undefined) return new Map();
    return new Map([...entry.parents.flatMap((p) => [...all(p)]), ...entry.fields]);
  };
  return new Map([...own.keys()].map((name) => [name, all(name)]));
}

/** Paths of fields the operator's type `type` does not have (its own types only). */
function unknownOperatorFields(
  types: Map<string, Map<string, string>>,
  value: unknown,
  type: string,
  path: string,
): string[] {
  const array = /^Array<(\w+)>$/.exec(type);
  if (array?.[1] !== undefined) {
    return Array.isArray(value)
      ? value.flatMap((v, i) => unknownOperatorFields(types, v, array[1] ?? '', `${path}[${i}]`))
      : [];
  }
  // Kubernetes' own types (a label selector, a Secret's key) are checked with client-node.
  const kubernetes = /^IIoK8s(?:ApiCore|ApimachineryPkgApisMeta)V1(\w+)$/.exec(type);
  if (kubernetes?.[1] !== undefined) return unknownFields(value, `V1${kubernetes[1]}`, path);
  const fields = types.get(type);
  if (fields === undefined || !isRecord(value)) return [];
  return Object.entries(value).flatMap(([key, v]) => {
    const fieldType = fields.get(key);
    const at = `${path}.${key}`;
    if (fieldType === undefined) return [at];
    return unknownOperatorFields(types, v, fieldType, at);
  });
}

async function validator(object: K8sObject): Promise<(data: object) => Validatable> {
  const module =
    object.apiVersion === 'monitoring.coreos.com/v1'
      ? `@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/${object.kind}`
      : `kubernetes-models/${object.apiVersion}/${object.kind}`;
  const loaded = (await import(module)) as Record<string, new (data: object) => Validatable>;
  const model = loaded[object.kind];
  if (model === undefined) throw new Error(`${module} has no ${object.kind}`);
  return (data) => new model(data);
}

/** What is wrong with `object` by the schemas; empty when it is valid. */
export async function schemaProblems(object: K8sObject): Promise<string[]> {
  const where = `${object.kind} ${object.metadata.name}`;
  const problems: string[] = [];
  try {
    (await validator(object))(object).validate();
  } catch (error) {
    problems.push(`${where}: ${(error as Error).message}`);
  }
  const unknown =
    object.apiVersion === 'monitoring.coreos.com/v1'
      ? unknownOperatorFields(operatorFields(), object, `I${object.kind}`, '')
      : unknownFields(object, `V1${object.kind}`);
  for (const path of unknown) problems.push(`${where}: unknown field "${path.slice(1)}"`);
  return problems;
}
