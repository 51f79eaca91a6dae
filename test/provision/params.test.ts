import { describe, expect, it } from 'vitest';
import { DirectoryTemplateCatalog } from '../../src/provision/templates.ts';
import { generatePassword } from '../../src/provision/params.ts';
import { makeTempDir } from '../config/temp-config.ts';
import { fixtureTemplates, rejection, shownText } from './helpers.ts';

const catalog = new DirectoryTemplateCatalog(
  fixtureTemplates,
  new Map([['app-pass', 'Referenced-secret-0001']]),
);

describe('parameters checked against the template', () => {
  it('renders defaults, given values and the instance name', async () => {
    const rendered = await catalog.render('testapp', 'demo', ['run=r1', 'greeting=hi']);
    expect(rendered.spec.env).toMatchObject({ GREETING: 'hi', APP_NAME: 'demo' });
    expect(rendered.spec.volumes).toEqual([{ name: 'demo-data', target: '/data' }]);
    expect(rendered.spec.labels).toEqual({ 'pes.test': '1', 'pes.test.run': 'r1' });
    expect(rendered.spec.network).toBe('none');
    expect(rendered.spec.stopTimeoutSeconds).toBe(1);
    expect(rendered.spec.healthcheck).toEqual({
      test: ['/health'],
      intervalSeconds: 1,
      timeoutSeconds: 5,
      retries: 2,
      startPeriodSeconds: 0,
    });
    expect(rendered.shown).toEqual({ greeting: 'hi', run: 'r1' });
  });

  it('generates a secret that is only in the environment', async () => {
    const a = await catalog.render('testapp', 'demo', ['run=r1']);
    const b = await catalog.render('testapp', 'demo', ['run=r1']);
    const password = a.spec.env['APP_PASSWORD'] ?? '';
    expect(password).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(b.spec.env['APP_PASSWORD']).not.toBe(password);
    expect(a.secretKeys).toEqual(['password']);
    expect(a.secretValues).toEqual([password]);
    expect(JSON.stringify([{ ...a.spec, env: {} }, a.shown])).not.toContain(password);
  });

  it('takes a secret by reference to a secret of the configuration', async () => {
    const rendered = await catalog.render('testapp', 'demo', [
      'run=r1',
      'password=secret:app-pass',
    ]);
    expect(rendered.spec.env['APP_PASSWORD']).toBe('Referenced-secret-0001');
    expect(rendered.secretValues).toEqual(['Referenced-secret-0001']);
  });

  it('refuses an unknown parameter, naming it and the known ones', async () => {
    const error = await rejection(catalog.render('testapp', 'demo', ['run=r1', 'colour=red']));
    expect(error.code).toBe('provision-unknown-param');
    expect(error.text('en')).toBe('Template testapp has no parameter colour; nothing was changed.');
    expect(error.hint('en')).toBe('Its parameters: greeting, password, run');
  });

  it('refuses a value that does not match the pattern, naming the key', async () => {
    const error = await rejection(catalog.render('testapp', 'demo', ['run=r1', 'greeting=Hi!']));
    expect(error.code).toBe('provision-invalid-param');
    expect(error.text('en')).toBe(
      'Invalid value for parameter greeting: "Hi!" (expected [a-z]{1,16}).',
    );
  });

  it('refuses when a required parameter is missing, naming it', async () => {
    const error = await rejection(catalog.render('testapp', 'demo', ['greeting=hi']));
    expect(error.code).toBe('provision-missing-param');
    expect(error.text('en')).toBe('Template testapp needs the parameters: run.');
  });

  it('refuses a secret typed into the command, without repeating it', async () => {
    const typed = 'Typed-In-Chat-Secret-77';
    const error = await rejection(
      catalog.render('testapp', 'demo', ['run=r1', `password=${typed}`]),
    );
    expect(error.code).toBe('provision-secret-inline');
    expect(shownText(error)).not.toContain(typed);
    expect(error.text('en')).toContain('password');
  });

  it('refuses an unknown secret reference', async () => {
    const unknown = await rejection(
      catalog.render('testapp', 'demo', ['run=r1', 'password=secret:nosuch']),
    );
    expect(unknown.code).toBe('provision-unknown-secret');
    expect(unknown.params).toMatchObject({ key: 'password', secret: 'nosuch' });
  });

  it('refuses a referenced secret that does not fit the pattern, without showing it', async () => {
    const dir = makeTempDir({
      'db.yaml': `
name: db
description: {ru: б, en: d}
image: pes-test/app:1
params:
  pw: {description: {ru: п, en: p}, secret: true, required: true, pattern: '[a-z]{12,}'}
env: {PW: '{{pw}}'}
`,
    });
    const withSecrets = new DirectoryTemplateCatalog(dir, new Map([['weak', 'WEAK-secret']]));
    const error = await rejection(withSecrets.render('db', 'demo', ['pw=secret:weak']));
    expect(error.code).toBe('provision-invalid-secret');
    expect(shownText(error)).not.toContain('WEAK-secret');
    const missing = await rejection(withSecrets.render('db', 'demo', []));
    expect(missing.code).toBe('provision-missing-param');
  });

  it('refuses words that are not key=value, and a key given twice, echoing no value', async () => {
    const syntax = await rejection(catalog.render('testapp', 'demo', ['run=r1', 'hunter22']));
    expect(syntax.code).toBe('provision-param-syntax');
    expect(syntax.text('en')).toBe('Parameter #2 is not written as key=value.');
    expect(shownText(syntax)).not.toContain('hunter22');
    const twice = await rejection(catalog.render('testapp', 'demo', ['run=a', 'run=b']));
    expect(twice.code).toBe('provision-param-duplicate');
    expect(twice.params).toEqual({ key: 'run' });
  });

  it('keeps `=` inside a value', async () => {
    const error = await rejection(catalog.render('testapp', 'demo', ['run=a=b']));
    expect(error.code).toBe('provision-invalid-param');
    expect(error.params['value']).toBe('a=b');
  });
});

describe('generatePassword', () => {
  it('makes 32 letters and digits, different each time', () => {
    const seen = new Set(Array.from({ length: 50 }, generatePassword));
    expect(seen.size).toBe(50);
    for (const p of seen) expect(p).toMatch(/^[A-Za-z0-9]{32}$/);
  });
});
