/** The neutral Message as a Matrix m.notice (body + HTML), checked against golden files. */
import { describe, expect, it } from 'vitest';
import { escapeHtml, inlineHtml, inlinePlain } from '../../../src/chat/matrix/html.ts';
import {
  maxContentBytes,
  reactionKeys,
  renderMessage,
  sameReaction,
} from '../../../src/chat/matrix/render.ts';
import type { Message } from '../../../src/core/message.ts';

const full: Message = {
  severity: 'warning',
  title: 'Confirmation 7F3K needed',
  text: 'The service **moodle** will be restarted.\nUse `confirm 7F3K`.',
  fields: [
    { label: 'Service', value: 'moodle', short: true },
    { label: 'Containers', value: '2', short: true },
  ],
  code: { language: 'text', content: 'name      state\npes-moodle-1  running' },
  files: [{ name: 'moodle.log', content: 'line 1\nline 2\n' }],
  actions: [
    { label: 'Confirm', style: 'danger', command: 'confirm 7F3K' },
    { label: 'Cancel', style: 'default', command: 'decline 7F3K' },
  ],
};

const golden = (value: unknown): string => JSON.stringify(value, null, 2) + '\n';

describe('matrix renderMessage', () => {
  it('renders every part of a message with a reaction menu', async () => {
    await expect(golden(renderMessage(full, 'en'))).toMatchFileSnapshot('./golden/full.json');
  });

  it('renders in Russian', async () => {
    await expect(golden(renderMessage({ ...full, files: [] }, 'ru'))).toMatchFileSnapshot(
      './golden/full-ru.json',
    );
  });

  it.each(['info', 'success', 'warning', 'error'] as const)('marks %s', async (severity) => {
    await expect(
      golden(renderMessage({ severity, text: `${severity} text` }, 'en')),
    ).toMatchFileSnapshot(`./golden/severity-${severity}.json`);
  });

  it('escapes every value, so nothing can add markup, links or mentions', async () => {
    const hostile: Message = {
      severity: 'error',
      title: '<img src=x onerror=alert(1)> @room',
      text: 'unknown command "<b>x</b>" <a href="https://evil.example">click</a> @room [pill](https://matrix.to/#/@anna:example.org) [x](javascript:alert(1))',
      fields: [{ label: '<i>label</i>', value: '<script>alert(1)</script> **<u>b</u>**' }],
      code: { language: '"><script>', content: '</code></pre><h1>big</h1>' },
    };
    const rendered = renderMessage(hostile, 'en');
    const html = String(rendered.content['formatted_body']);
    // The only tags are the ones the renderer writes.
    const tags = [...html.matchAll(/<\/?([a-z0-9]+)/gi)].map((m) => m[1]);
    expect(new Set(tags)).toEqual(new Set(['strong', 'br', 'pre', 'code']));
    expect(html).not.toContain('class=');
    expect(html).not.toMatch(/<a\s/);
    expect(String(rendered.content['body'])).not.toMatch(/@room/);
    expect(rendered.content['m.mentions']).toEqual({});
    await expect(golden(rendered)).toMatchFileSnapshot('./golden/hostile.json');
  });

  it('moves output too long for an event into a file, keeping a preview', () => {
    const content = Array.from({ length: 4000 }, (_, i) => `line ${i} ${'x'.repeat(20)}`).join(
      '\n',
    );
    const rendered = renderMessage({ severity: 'info', code: { content } }, 'en');
    expect(rendered.files).toEqual([{ name: 'output.txt', content, mimetype: 'text/plain' }]);
    const body = String(rendered.content['body']);
    const html = String(rendered.content['formatted_body']);
    expect(Buffer.byteLength(body) + Buffer.byteLength(html)).toBeLessThan(maxContentBytes);
    expect(body).toContain('line 0 ');
    expect(body).not.toContain('line 3999');
    expect(body).toContain('The whole output is in the file output.txt.');
  });

  it('gives each action its own reaction', () => {
    expect(
      reactionKeys([
        { label: 'Acknowledge', style: 'primary', command: 'alerts ack 12' },
        { label: 'Silence 1 h', style: 'default', command: 'silence alertname=X 1h' },
        { label: 'Silence 4 h', style: 'default', command: 'silence alertname=X 4h' },
        { label: 'Confirm', style: 'danger', command: 'confirm 7F3K' },
      ]),
    ).toEqual([
      { key: '👀', command: 'alerts ack 12' },
      { key: '1️⃣', command: 'silence alertname=X 1h' },
      { key: '2️⃣', command: 'silence alertname=X 4h' },
      { key: '✅', command: 'confirm 7F3K' },
    ]);
    // Clients differ in the variation selector; both mean the same reaction.
    expect(sameReaction('✅', '✅\uFE0F')).toBe(true);
    expect(sameReaction('✅', '❌')).toBe(false);
  });

  it('escapes HTML and writes only the markdown subset', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;',
    );
    expect(inlineHtml('**bold** and `<code>` and\nnext')).toBe(
      '<strong>bold</strong> and <code>&lt;code&gt;</code> and<br>next',
    );
    expect(inlineHtml('[source](https://p.example/g?a=1&b="2") \\*not bold\\* a\\:b')).toBe(
      '<a href="https://p.example/g?a=1&amp;b=&quot;2&quot;">source</a> *not bold* a:b',
    );
    expect(inlinePlain('**b** [source](https://p.example/) \\<x\\>')).toBe(
      'b source (https://p.example/) <x>',
    );
  });
});

describe('the severity mark', () => {
  it('is left out when the title brings its own, as an alert post does', () => {
    const event = renderMessage(
      { severity: 'error', title: '🔴 Firing 1 · DiskFull', text: 'disk is full' },
      'en',
    );
    expect(event.content['body']).toBe('🔴 Firing 1 · DiskFull\ndisk is full');
  });

  it('stays before a title of words only', () => {
    const event = renderMessage({ severity: 'error', title: 'Docker is down' }, 'en');
    expect(event.content['body']).toBe('❌ Docker is down');
  });
});
