/** `state.retention.*` and `server.stopGraceSeconds`: defaults, values taken, bad values refused. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { catchUserError, makeTempDir, problemsOf } from './temp-config.ts';

function loadText(text: string) {
  const cwd = makeTempDir({ 'pes.yaml': text });
  return () => loadConfig({ flag: 'pes.yaml', env: {}, cwd, username: 'alice' });
}

describe('state.retention and server.stopGraceSeconds', () => {
  it('have documented defaults', () => {
    const loaded = loadText('locale: en\n')();
    expect(loaded.retention).toEqual({
      outboxDays: 7,
      alertBatchDays: 30,
      alertThreadDays: 30,
      jobDays: 180,
      confirmationDays: 30,
      scheduleRunDays: 180,
    });
    expect(loaded.server.stopGraceSeconds).toBe(60);
  });

  it('takes values given, the others keeping their defaults', () => {
    const loaded = loadText(
      'state: { path: x.db, retention: { outboxDays: 2, jobDays: 400 } }\n' +
        'server: { stopGraceSeconds: 5 }\n',
    )();
    expect(loaded.retention).toMatchObject({ outboxDays: 2, jobDays: 400, alertBatchDays: 30 });
    expect(loaded.server.stopGraceSeconds).toBe(5);
  });

  it('refuses days that are not whole, positive or known, and a bad grace period', () => {
    const error = catchUserError(
      loadText(
        [
          'state:',
          '  retention:',
          '    outboxDays: 0',
          '    alertBatchDays: 1.5',
          "    jobDays: '180'",
          '    confirmationDays: -3',
          '    scheduleRunDays: 40000',
          '    auditDays: 10',
          'server: { stopGraceSeconds: 0 }',
          '',
        ].join('\n'),
      ),
    );
    expect(error.code).toBe('config-invalid');
    const problems = problemsOf(error);
    for (const key of [
      'state.retention.outboxDays',
      'state.retention.alertBatchDays',
      'state.retention.jobDays',
      'state.retention.confirmationDays',
      'state.retention.scheduleRunDays',
      'server.stopGraceSeconds',
    ]) {
      expect(
        problems.some((p) => p.startsWith(`${key}: `)),
        `${key} in ${problems.join(' | ')}`,
      ).toBe(true);
    }
    // The audit log has no retention: a key for it is a typo, not a setting.
    expect(problems).toContain('state.retention: unknown key "auditDays"');
    const huge = catchUserError(loadText('server: { stopGraceSeconds: 7200 }\n'));
    expect(problemsOf(huge)[0]).toMatch(/^server\.stopGraceSeconds: /);
  });
});
