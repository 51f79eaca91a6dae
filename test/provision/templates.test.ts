import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { DirectoryTemplateCatalog, loadTemplateFile } from '../../src/provision/templates.ts';
import { makeTempDir } from '../config/temp-config.ts';
import { fixtureTemplates, rejection, shippedTemplates } from './helpers.ts';

/** A value for every required parameter the shipped templates have. */
const samples: Readonly<Record<string, string>> = {
  host_name: 'op.example.org',
  site_url: 'https://chat.example.org',
  db_password: 'secret:mm-db',
};
const configSecrets = new Map([['mm-db', 'Mm-db-password-0123']]);

describe('shipped templates (config/templates)', () => {
  const files = readdirSync(shippedTemplates).filter((f) => f.endsWith('.yaml'));

  it('include minio, redmine, openproject and mattermost', () => {
    expect(files.sort()).toEqual(
      expect.arrayContaining(['mattermost.yaml', 'minio.yaml', 'openproject.yaml', 'redmine.yaml']),
    );
  });

  it.each(files)('%s loads and renders with only its required parameters', async (file) => {
    const name = file.replace(/\.yaml$/, '');
    const template = await loadTemplateFile(join(shippedTemplates, file));
    expect(template.name).toBe(name);
    // Realistic: a real, pinned image, persistent data, a health check, a stop timeout.
    expect(template.image).toMatch(/^[a-z0-9./-]+:[A-Za-z0-9._-]+$/);
    expect(template.image).not.toMatch(/:latest$/);
    expect(template.volumes.length).toBeGreaterThan(0);
    expect(template.healthcheck?.test.length).toBeGreaterThan(0);

    const required = Object.entries(template.params)
      .filter(([, p]) => p.required)
      .map(([key]) => key);
    const words = required.map(
      (key) => `${key}=${samples[key] ?? expect.fail(`no sample ${key}`)}`,
    );
    const catalog = new DirectoryTemplateCatalog(shippedTemplates, configSecrets);
    const rendered = await catalog.render(name, 'demo', words);
    const { spec } = rendered;

    expect(spec).toMatchObject({ name: 'demo', template: name, image: template.image });
    expect(spec.network).toBe('bridge');
    expect(JSON.stringify(spec)).not.toContain('{{');
    for (const volume of spec.volumes) expect(volume.name).toMatch(/^demo-[a-z0-9-]+$/);
    // Every secret reaches the container's environment, and nothing that is shown.
    expect(rendered.secretKeys.length).toBeGreaterThan(0);
    for (const key of rendered.secretKeys) expect(rendered.shown).not.toHaveProperty(key);
    const env = Object.values(spec.env).join('\n');
    for (const secret of rendered.secretValues) {
      expect(env).toContain(secret);
      expect(JSON.stringify({ ...spec, env: {} })).not.toContain(secret);
      expect(JSON.stringify(rendered.shown)).not.toContain(secret);
    }
  });

  it('are listed by name, sorted', async () => {
    const names = await new DirectoryTemplateCatalog(shippedTemplates).names();
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(
      expect.arrayContaining(['mattermost', 'minio', 'openproject', 'redmine']),
    );
  });
});

describe('DirectoryTemplateCatalog', () => {
  it('names the templates there are when asked for an unknown one', async () => {
    const catalog = new DirectoryTemplateCatalog(fixtureTemplates);
    const error = await rejection(catalog.render('nosuch', 'demo', []));
    expect(error.code).toBe('unknown-template');
    expect(error.text('en')).toBe('There is no template "nosuch".');
    expect(error.hint('en')).toBe('Templates: broken, noimage, testapp');
  });

  it('has no templates when the directory does not exist', async () => {
    const catalog = new DirectoryTemplateCatalog(join(makeTempDir(), 'missing'));
    expect(await catalog.names()).toEqual([]);
    expect((await rejection(catalog.render('minio', 'demo', []))).hint('en')).toBe('Templates: —');
  });

  it('refuses a template whose name differs from its file name', async () => {
    const dir = makeTempDir({
      'alpha.yaml': 'name: beta\ndescription: {ru: б, en: b}\nimage: busybox:1\n',
    });
    const error = await rejection(new DirectoryTemplateCatalog(dir).render('alpha', 'demo', []));
    expect(error.code).toBe('template-invalid');
    expect(error.params['problems']).toContain('differs from the file name');
  });
});

describe('provision.templates in the configuration', () => {
  it('defaults to templates/ next to the configuration file', () => {
    const cwd = makeTempDir({ 'conf/pes.yaml': 'locale: en\n' });
    const loaded = loadConfig({ flag: 'conf/pes.yaml', env: {}, cwd, username: 'alice' });
    expect(loaded.templatesDir).toBe(join(cwd, 'conf/templates'));
  });

  it('takes a path relative to the configuration file', () => {
    const cwd = makeTempDir({ 'conf/pes.yaml': 'provision:\n  templates: ../tpl\n' });
    const loaded = loadConfig({ flag: 'conf/pes.yaml', env: {}, cwd, username: 'alice' });
    expect(loaded.templatesDir).toBe(join(cwd, 'tpl'));
  });

  it('is config/templates for the example configuration', () => {
    const loaded = loadConfig({
      flag: 'config/pes.example.yaml',
      env: {},
      cwd: join(shippedTemplates, '../..'),
      username: 'alice',
    });
    expect(loaded.templatesDir).toBe(shippedTemplates);
  });
});
