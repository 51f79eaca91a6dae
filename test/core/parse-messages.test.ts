import { describe, expect, it } from 'vitest';
import { createTestBot } from '../helpers/bot.ts';

describe('argument errors a person can read', () => {
  it('explains a pattern mismatch with the argument description, not the pattern', async () => {
    const t = createTestBot();
    const en = await t.run('local:root', 'scale moodle -1');
    expect(en.errorCode).toBe('invalid-argument');
    expect(en.message.text).toMatch(/^Invalid replicas: "-1" \(expected: .+\)\.$/);
    expect(en.message.text).not.toContain('/^');
    const ru = await t.run('local:root', 'job abc', { locale: 'ru' });
    expect(ru.message.text).toBe('Недопустимое значение id: «abc» (ожидается номер задачи).');
  });
});
