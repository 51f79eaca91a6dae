/**
 * The store across real processes, as with a terminal `pes …` beside `pes serve`: several
 * processes are released at the same moment against one database file.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteAuditLog } from '../../src/store/audit-repo.ts';
import { SqliteJobStore } from '../../src/store/jobs-repo.ts';
import { tempDb } from './helpers.ts';
import type { TempDb } from './helpers.ts';

const script = fileURLToPath(new URL('./fixtures/contender.ts', import.meta.url));

interface Contender {
  readonly child: ChildProcessWithoutNullStreams;
  readonly ready: Promise<void>;
  readonly outcome: Promise<string>;
}

function startContender(args: readonly string[]): Contender {
  const child = spawn(process.execPath, ['--no-warnings', script, ...args]);
  let stdout = '';
  let stderr = '';
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    stdout += chunk;
    if (stdout.startsWith('ready\n')) markReady();
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const outcome = new Promise<string>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(stdout.slice('ready\n'.length).trim());
      else reject(new Error(`contender exited with ${String(code)}: ${stderr}`));
    });
  });
  // A child that dies before saying ready must not leave the test waiting forever.
  void outcome.catch(() => undefined).finally(markReady);
  return { child, ready, outcome };
}

/** Starts every contender, waits until all are ready, then releases them at once. */
async function race<T>(argsList: readonly (readonly string[])[]): Promise<T[]> {
  const contenders = argsList.map(startContender);
  await Promise.all(contenders.map((contender) => contender.ready));
  for (const contender of contenders) contender.child.stdin.end('go\n');
  const lines = await Promise.all(contenders.map((contender) => contender.outcome));
  return lines.map((line) => JSON.parse(line) as T);
}

interface JobOutcome {
  readonly created?: number;
  readonly holder?: number;
  readonly error?: string;
}

interface AuditOutcome {
  readonly appended?: number;
  readonly error?: string;
}

describe('the store across processes', () => {
  let temp: TempDb | undefined;
  afterEach(() => {
    temp?.cleanup();
    temp = undefined;
  });

  it('lets exactly one of several racing processes take a job lock', async () => {
    temp = tempDb();
    const count = 6;
    const outcomes = await race<JobOutcome>(
      Array.from({ length: count }, () => ['job', temp?.path ?? '', 'svc:wiki']),
    );

    // Losers are told who holds the lock; nobody fails with "database is locked".
    expect(outcomes.filter((outcome) => outcome.error !== undefined)).toEqual([]);
    const winners = outcomes.filter((outcome) => outcome.created !== undefined);
    expect(winners).toHaveLength(1);
    const winner = winners[0]?.created;
    expect(outcomes.filter((outcome) => outcome.holder === winner)).toHaveLength(count - 1);
    const jobs = new SqliteJobStore(temp.db).list({ limit: 100 });
    expect(jobs.map((job) => job.id)).toEqual([winner]);
  });

  it('keeps the audit chain intact with processes appending concurrently', async () => {
    temp = tempDb();
    const processes = 4;
    const each = 25;
    const outcomes = await race<AuditOutcome>(
      Array.from({ length: processes }, () => ['audit', temp?.path ?? '', String(each)]),
    );

    expect(outcomes).toEqual(Array.from({ length: processes }, () => ({ appended: each })));
    const log = new SqliteAuditLog(temp.db);
    expect(log.verify()).toEqual([]);
    expect(log.last(1000)).toHaveLength(processes * each);
  });
});
