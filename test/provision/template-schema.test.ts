import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTemplateFile } from '../../src/provision/templates.ts';
import { makeTempDir } from '../config/temp-config.ts';
import { rejection } from './helpers.ts';

const base = `
name: demo
description: {ru: демо, en: demo}
image: pes-test/app:1
`;

async function problems(yaml: string): Promise<string[]> {
  const dir = makeTempDir({ 'demo.yaml': base + yaml });
  const error = await rejection(loadTemplateFile(join(dir, 'demo.yaml')));
  expect(error.code).toBe('template-invalid');
  return String(error.params['problems']).split('; ');
}

describe('template validation', () => {
  it('accepts a minimal template and fills in the defaults', async () => {
    const dir = makeTempDir({ 'demo.yaml': base });
    const template = await loadTemplateFile(join(dir, 'demo.yaml'));
    expect(template).toMatchObject({
      params: {},
      env: {},
      volumes: [],
      labels: {},
      network: 'bridge',
      stop_timeout: 10,
    });
  });

  it('turns YAML numbers and booleans in env into strings', async () => {
    const dir = makeTempDir({ 'demo.yaml': base + 'env: {PORT: 8080, HTTPS: false}\n' });
    const template = await loadTemplateFile(join(dir, 'demo.yaml'));
    expect(template.env).toEqual({ PORT: '8080', HTTPS: 'false' });
  });

  it('refuses unknown keys, like the configuration does', async () => {
    expect(await problems('imgae: x\n')).toEqual(['(top level): unknown key "imgae"']);
  });

  it('refuses a YAML syntax error with its line', async () => {
    const found = await problems('env: {A: [\n');
    expect(found[0]).toMatch(/^line \d+, column \d+: /);
  });

  it('refuses placeholders that name no parameter, and malformed ones', async () => {
    expect(await problems("env: {A: '{{nosuch}}', B: '{{ name }}'}\n")).toEqual([
      'env.A: unknown placeholder {{nosuch}}',
      'env.B: a placeholder is written {{key}}',
    ]);
  });

  it('allows a secret only in env', async () => {
    const found = await problems(`
params:
  pw: {description: {ru: п, en: p}, secret: true, generate: password}
command: [serve, '--password={{pw}}']
labels: {pw: '{{pw}}'}
`);
    expect(found).toEqual([
      'command.1: the secret {{pw}} may only be used in env',
      'labels.pw: the secret {{pw}} may only be used in env',
    ]);
  });

  it('checks parameters: pattern, default, required, secrets', async () => {
    const found = await problems(`
params:
  a: {description: {ru: а, en: a}}
  b: {description: {ru: б, en: b}, pattern: '[a-z]+', default: ABC}
  c: {description: {ru: в, en: c}, pattern: '[a-z]+', required: true, default: abc}
  d: {description: {ru: г, en: d}, pattern: '[a-z]+', secret: true, default: abc}
  e: {description: {ru: д, en: e}, pattern: '[a-z', required: true}
  f: {description: {ru: е, en: f}, pattern: '[a-z]+', generate: password}
`);
    expect(found).toEqual([
      'params.a.pattern: required unless the value is generated',
      'params.b.default: does not match the pattern',
      'params.c.required: a required parameter has no default and is not generated',
      'params.d.default: a secret has no default',
      'params.e.pattern: not a valid regular expression',
      'params.f.generate: only for secrets',
    ]);
  });

  it('refuses `name` as a parameter: it is the instance name', async () => {
    const found = await problems(`
params:
  name: {description: {ru: и, en: n}, pattern: '[a-z]+'}
`);
    expect(found).toContain('params.name: {{name}} is the instance name, not a parameter');
  });

  it('makes every volume name contain {{name}}, once per name and target', async () => {
    const found = await problems(`
volumes:
  - {name: shared-data, target: /data}
  - {name: '{{name}}-x', target: /x}
  - {name: '{{name}}-x', target: /x}
  - {name: '{{name}}-y', target: relative}
`);
    expect(found).toEqual([
      'volumes.3.target: expected an absolute path',
      'volumes.0.name: must contain {{name}}',
      'volumes.2.name: duplicate volume',
      'volumes.2.target: duplicate target',
    ]);
  });

  it('keeps the pes.bot/ labels for the bot', async () => {
    expect(await problems("labels: {'pes.bot/managed': 'false'}\n")).toEqual([
      'labels."pes.bot/managed": labels under pes.bot/ are set by the bot',
    ]);
  });
});
