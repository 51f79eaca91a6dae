import { describe, expect, it } from 'vitest';
import { plainInline, renderForTerminal } from '../../src/chat/terminal/render.ts';
import { promptConfirm } from '../../src/chat/terminal/sink.ts';
import type { Message } from '../../src/core/message.ts';

const full: Message = {
  severity: 'warning',
  title: 'Confirmation 7F3K needed',
  text: 'The service **moodle** will be restarted.\nUse `confirm 7F3K`.',
  fields: [
    { label: 'Service', value: 'moodle' },
    { label: 'Containers', value: '2' },
  ],
  code: { content: 'name      state\npes-moodle-1  running' },
  files: [{ name: 'moodle.log', content: 'line 1\nline 2\n' }],
  actions: [
    { label: 'Confirm', style: 'danger', command: 'confirm 7F3K' },
    { label: 'Cancel', style: 'default', command: 'decline 7F3K' },
  ],
};

describe('renderForTerminal', () => {
  it('renders every part of a message as plain text without a TTY', async () => {
    const text = renderForTerminal(full, { colour: false });
    expect(text).not.toContain('\x1b[');
    await expect(text).toMatchFileSnapshot('./golden/terminal-full.txt');
  });

  it('colours by severity on a TTY', () => {
    const text = renderForTerminal({ severity: 'error', text: 'Docker is down' }, { colour: true });
    expect(text).toContain('\x1b[31m');
    expect(text).toContain('Docker is down');
  });

  it('reads no markup inside code: a name shows as it is', () => {
    const message: Message = { severity: 'error', text: '**sure** `a**b**c` and `d`' };
    expect(renderForTerminal(message, { colour: false })).toBe('✖ sure `a**b**c` and `d`');
    const coloured = renderForTerminal(message, { colour: true });
    expect(coloured).toContain('a**b**c');
    expect(coloured).not.toContain('`');
    expect(plainInline('**x** `**y**`')).toBe('x `**y**`');
  });

  it('puts the mark before the text when there is no title', () => {
    expect(renderForTerminal({ severity: 'success', text: 'done' }, { colour: false })).toBe(
      '✔ done',
    );
  });
});

describe('the confirmation prompt', () => {
  it('shows the description as plain text, without the bold markers', async () => {
    let asked = '';
    const rl = {
      question: (q: string) => {
        asked = q;
        return Promise.resolve('n');
      },
    } as unknown as Parameters<typeof promptConfirm>[1];
    const mode = promptConfirm('ru', rl);
    if (mode.kind !== 'prompt') throw new Error('not a prompt');
    expect(await mode.ask('Восстановить **moodle** из копии `5-x`.')).toBe(false);
    expect(asked).toBe('Восстановить moodle из копии `5-x`.\nВыполнить? [y/N] ');
  });
});
