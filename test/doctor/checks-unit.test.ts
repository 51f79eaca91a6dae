/** The doctor's pieces that need no server: time limits, the state database, the programs. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { programsUsed } from '../../src/doctor/backup-checks.ts';
import { runCheck } from '../../src/doctor/check.ts';
import { stateCheck } from '../../src/doctor/state-checks.ts';

describe('runCheck', () => {
  it('fails a check that does not finish in time, and aborts its work', async () => {
    let seen: AbortSignal | undefined;
    const finding = await runCheck(
      {
        title: { ru: 'x', en: 'x' },
        run: (signal) => {
          seen = signal;
          return new Promise(() => undefined);
        },
      },
      200,
    );
    expect(finding).toEqual({
      status: 'fail',
      detail: { ru: 'нет ответа за 0,2 с', en: 'no answer in 0.2 s' },
      hint: undefined,
    });
    expect(seen?.aborted).toBe(true);
  });

  it('turns a thrown error into a failure with its text', async () => {
    const finding = await runCheck(
      { title: { ru: 'x', en: 'x' }, run: () => Promise.reject(new Error('boom')) },
      10_000,
    );
    expect(finding.status).toBe('fail');
    expect(finding.detail.en).toBe('boom');
  });
});

describe('stateCheck', () => {
  const run = (path: string) => stateCheck(path).run(new AbortController().signal);

  it('a database not in WAL mode fails with a hint', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'pes-state-')), 'pes.db');
    const db = new DatabaseSync(path);
    db.exec('PRAGMA journal_mode = DELETE; CREATE TABLE t (x)');
    db.close();
    const finding = await run(path);
    expect(finding.status).toBe('fail');
    expect(finding.detail.en).toMatch(/journal mode delete, not WAL$/);
    expect(finding.hint?.en).toContain('turns WAL on itself');
  });

  it('a database yet to be made is fine where it can be made', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pes-state-'));
    const finding = await run(join(dir, 'state', 'pes.db'));
    expect(finding.status).toBe('ok');
    expect(finding.detail.ru).toContain('будет создана при первом запуске');
  });
});

describe('programsUsed', () => {
  function programs(backup: string, via: 'exec' | 'tcp'): string[] {
    const dir = mkdtempSync(join(tmpdir(), 'pes-programs-'));
    const path = join(dir, 'pes.yaml');
    writeFileSync(
      path,
      [
        'state: { path: state/pes.db }',
        backup,
        'services:',
        '  db:',
        '    containers: { names: [db] }',
        '    databases:',
        `      - { name: main, engine: postgres, container: db, database: app, user: app, via: ${via} }`,
        `      - { name: shop, engine: mysql, container: db, database: shop, user: shop, via: ${via} }`,
        '',
      ].join('\n'),
    );
    const config = loadConfig({ flag: path, env: { PES_PW: 'pw-0123456789' }, cwd: dir });
    return programsUsed(config).map((p) => p.name);
  }

  it('names only the programs the configuration runs on this host', () => {
    const borg = "backup: { engine: borg, repository: /srv/b, password: '${PES_PW}' }";
    expect(programs(borg, 'exec')).toEqual(['borg']);
    expect(programs('', 'tcp')).toEqual(['pg_dump', 'pg_restore', 'mysqldump', 'mysql']);
    expect(programs('', 'exec')).toEqual([]);
  });
});
