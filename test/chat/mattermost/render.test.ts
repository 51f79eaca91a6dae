/** The neutral Message as Mattermost markdown and attachments, checked against golden files. */
import { describe, expect, it } from 'vitest';
import { actionIdOf, verifyActionContext } from '../../../src/chat/mattermost/action-context.ts';
import { fenced, neutralizeMentions, renderMessage } from '../../../src/chat/mattermost/render.ts';
import { maxPostLength } from '../../../src/chat/mattermost/types.ts';
import type { Message } from '../../../src/core/message.ts';

const binding = {
  url: 'https://pes-bot.example.org/mattermost/actions',
  secret: 'golden-secret',
  channel: 'c'.repeat(26),
  root: '',
};

const full: Message = {
  severity: 'warning',
  title: 'Confirmation 7F3K needed',
  text: 'The service **moodle** will be restarted.\nUse `confirm 7F3K`.',
  fields: [
    { label: 'Service', value: 'moodle', short: true },
    { label: 'Containers', value: '2', short: true },
  ],
  code: { content: 'name      state\npes-moodle-1  running' },
  files: [{ name: 'moodle.log', content: 'line 1\nline 2\n' }],
  actions: [
    { label: 'Confirm', style: 'danger', command: 'confirm 7F3K' },
    { label: 'Cancel', style: 'default', command: 'decline 7F3K' },
  ],
};

const golden = (value: unknown): string => JSON.stringify(value, null, 2) + '\n';

describe('renderMessage', () => {
  it('renders every part of a message with buttons', async () => {
    await expect(golden(renderMessage(full, 'en', binding))).toMatchFileSnapshot(
      './golden/full-buttons.json',
    );
  });

  it('falls back to the commands as text when buttons cannot be shown', async () => {
    const message: Message = { ...full, text: 'Approve the plugin request?', files: [] };
    await expect(golden(renderMessage(message, 'ru'))).toMatchFileSnapshot(
      './golden/actions-text-ru.json',
    );
  });

  it.each(['info', 'success', 'warning', 'error'] as const)('colours %s', async (severity) => {
    await expect(
      golden(renderMessage({ severity, text: `${severity} text` }, 'en')),
    ).toMatchFileSnapshot(`./golden/severity-${severity}.json`);
  });

  it('signs button contexts that verify, and only with the right secret', () => {
    const action = renderMessage(full, 'en', binding).attachments[0]?.actions?.[0];
    const context = action?.integration.context;
    expect(verifyActionContext('golden-secret', context)?.command).toBe('confirm 7F3K');
    expect(verifyActionContext('other-secret', context)).toBeUndefined();
  });

  it('names each button by the command it runs, never by its place', () => {
    const ack = { label: 'Acknowledge', style: 'primary' as const, command: 'alerts ack 7' };
    const silence = { label: 'Silence 1 h', style: 'default' as const, command: 'silence x 1h' };
    const ids = (actions: Message['actions']): string[] =>
      (
        renderMessage({ severity: 'error', actions }, 'en', binding).attachments[0]?.actions ?? []
      ).map((a) => a.id);
    const before = ids([ack, silence]);
    // Once acknowledged, the post is edited without its Acknowledge button.
    const after = ids([silence]);
    expect(after).toEqual([before[1]]);
    expect(after).not.toContain(before[0]);
    for (const id of [...before, ...after]) expect(id).toMatch(/^[A-Za-z0-9]+$/);
    expect(before[0]).toBe(actionIdOf('alerts ack 7'));
    expect(before[0]).toMatch(/^alertsack/);
  });

  it('moves output longer than a post allows into a file, keeping a preview', () => {
    const content = Array.from({ length: 4000 }, (_, i) => `line ${i}`).join('\n');
    const rendered = renderMessage({ severity: 'info', text: 'logs', code: { content } }, 'en');
    expect(rendered.files).toEqual([{ name: 'output.txt', content }]);
    const text = rendered.attachments[0]?.text ?? '';
    expect(text.length).toBeLessThan(maxPostLength);
    expect(text).toContain('line 0');
    expect(text).toContain('output.txt');
  });

  it('keeps code fences closed whatever the content, and silences channel-wide mentions', () => {
    expect(fenced('a ``` b')).toBe('````\na ``` b\n````');
    expect(neutralizeMentions('hi @channel and @here, @all; not @anna')).toBe(
      'hi @\u200bchannel and @\u200bhere, @\u200ball; not @anna',
    );
  });
});
