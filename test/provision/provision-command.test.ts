/**
 * The provision and deprovision commands through the whole bot path, on a recording
 * platform: what is asked, what is shown, and that a generated secret reaches the workload
 * but no message, plan, progress line, job, audit row or log line.
 */
import { describe, expect, it } from 'vitest';
import type {
  ContainerReport,
  DeprovisionPlan,
  Platform,
  ProvisionPlan,
  WorkloadSpec,
} from '../../src/core/platform.ts';
import { DirectoryTemplateCatalog } from '../../src/provision/templates.ts';
import { createTestBot, fakePlatform } from '../helpers/bot.ts';
import { fixtureTemplates } from './helpers.ts';

const admin = 'local:root';

function codeOf(outcome: { data?: unknown }): string {
  const data = outcome.data as { confirmation?: unknown } | undefined;
  if (typeof data?.confirmation !== 'string') throw new Error('no pending confirmation');
  return data.confirmation;
}

interface Recorder {
  readonly platform: Platform;
  readonly planned: WorkloadSpec[];
  readonly provisioned: WorkloadSpec[];
  readonly deprovisioned: DeprovisionPlan[];
}

function recordingPlatform(): Recorder {
  const planned: WorkloadSpec[] = [];
  const provisioned: WorkloadSpec[] = [];
  const deprovisioned: DeprovisionPlan[] = [];
  const planOf = (spec: WorkloadSpec): ProvisionPlan => ({
    instance: spec.name,
    container: spec.name,
    volumes: spec.volumes.map((v) => v.name),
    image: spec.image,
    pull: false,
  });
  const platform: Platform = {
    ...fakePlatform({}),
    planProvision: (spec) => {
      planned.push(spec);
      return Promise.resolve(planOf(spec));
    },
    provision: (spec, onStep) => {
      provisioned.push(spec);
      onStep({ fraction: 0.5, container: spec.name, phase: 'waiting' });
      const report: ContainerReport = {
        container: spec.name,
        action: 'created',
        health: 'healthy',
        durationMs: 1200,
      };
      return Promise.resolve([report]);
    },
    planDeprovision: (instance, deleteData) =>
      Promise.resolve({
        instance,
        containers: [instance],
        volumes: [`${instance}-data`],
        deleteData,
      }),
    deprovision: (plan) => {
      deprovisioned.push(plan);
      const gone = [plan.instance, ...(plan.deleteData ? plan.volumes : [])];
      return Promise.resolve(
        gone.map((container) => ({
          container,
          action: 'removed' as const,
          health: 'stopped' as const,
          durationMs: 5,
        })),
      );
    },
  };
  return { platform, planned, provisioned, deprovisioned };
}

function setup() {
  const recorder = recordingPlatform();
  const t = createTestBot({
    platform: recorder.platform,
    templates: new DirectoryTemplateCatalog(fixtureTemplates),
  });
  return { ...recorder, t };
}

describe('provision command', () => {
  it('shows the exact plan for --dry-run, without a job, a question or the secret', async () => {
    const { t, planned, provisioned } = setup();
    const outcome = await t.run(admin, 'provision testapp files run=r1 greeting=hi --dry-run');
    expect(outcome.status).toBe('ok');
    expect(outcome.jobId).toBeUndefined();
    expect(provisioned).toEqual([]);
    expect(outcome.message.text).toBe(
      [
        'Provision **files** from template **testapp**:',
        '• image `pes-test/app:1`',
        '• container `files`, network `none`',
        '• new volumes: `files-data` → /data',
        '• parameters: greeting=hi, run=r1',
        '• secrets (values never shown): password',
      ].join('\n'),
    );
    const secret = planned[0]?.env['APP_PASSWORD'] ?? '';
    expect(secret).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(JSON.stringify(outcome)).not.toContain(secret);
  });

  it('asks with the plan, then creates; the secret reaches only the workload', async () => {
    const { t, provisioned } = setup();
    const pending = await t.run(admin, 'provision testapp files run=r1');
    expect(pending.status).toBe('pending');
    expect(pending.message.text).toContain('• container `files`, network `none`');
    const code = codeOf(pending);

    const done = await t.run(admin, `confirm ${code}`);
    expect(done.status).toBe('ok');
    expect(done.message.title).toBe('Created files (testapp)');
    expect(done.message.text).toContain('Container `files`: healthy. Volumes: `files-data`.');

    expect(provisioned).toHaveLength(1);
    const secret = provisioned[0]?.env['APP_PASSWORD'] ?? '';
    expect(secret).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(provisioned[0]?.labels).toEqual({ 'pes.test': '1', 'pes.test.run': 'r1' });

    const everything = JSON.stringify([
      pending,
      done,
      t.replies,
      t.progress,
      t.jobs.list({ limit: 10 }),
      t.audit.last(20),
      t.logs,
    ]);
    expect(everything).not.toContain(secret);
    expect(t.progress.map((p) => p.text)).toContain('waiting for files to become healthy');
  });

  it('refuses bad input before anything is planned', async () => {
    const { t, planned } = setup();
    const unknown = await t.run(admin, 'provision nosuch files');
    expect(unknown.errorCode).toBe('unknown-template');
    expect(unknown.message.text).toBe(
      'There is no template "nosuch".\nTemplates: broken, noimage, testapp',
    );

    const param = await t.run(admin, 'provision testapp files run=r1 colour=red');
    expect(param.errorCode).toBe('provision-unknown-param');
    expect(param.exitCode).toBe(2);

    const name = await t.run(admin, 'provision testapp Files run=r1');
    expect(name.errorCode).toBe('invalid-argument');
    expect(planned).toEqual([]);
    expect(t.jobs.list({ limit: 10 })).toEqual([]);
  });
});

describe('provision command and typed secrets', () => {
  it('keeps a typed secret out of the audit log, the job list and the answer', async () => {
    const { t, planned } = setup();
    const typed = await t.run(admin, 'provision testapp files run=r1 password=Hunter2Typed');
    expect(typed.errorCode).toBe('provision-secret-inline');
    expect(JSON.stringify(typed)).not.toContain('Hunter2Typed');
    expect(planned).toEqual([]);
    const [row] = t.audit.last(1);
    expect(row?.raw).toBe('provision testapp files run=… password=…');
    expect(row?.command).toBe('provision');

    t.release();
    const ok = await t.run(admin, 'provision testapp files run=r1', { preconfirmed: true });
    expect(ok.status).toBe('ok');
    expect(t.jobs.get(ok.jobId ?? 0)?.text).toBe('provision testapp files run=…');
  });
});

describe('deprovision command', () => {
  it('asks once without --delete-data and keeps the volumes', async () => {
    const { t, deprovisioned } = setup();
    const pending = await t.run(admin, 'deprovision files');
    expect(pending.status).toBe('pending');
    expect(pending.message.text).toContain(
      'Deprovision **files**: stop and remove the container `files`.\nThe volumes are kept: `files-data`.',
    );
    const code = codeOf(pending);
    const done = await t.run(admin, `confirm ${code}`);
    expect(done.status).toBe('ok');
    expect(deprovisioned).toEqual([
      { instance: 'files', containers: ['files'], volumes: ['files-data'], deleteData: false },
    ]);
    expect(done.message.text).toBe(
      'Removed the container `files`.\n' +
        'Volumes kept: `files-data` (to delete: deprovision files --delete-data).\n' +
        `Confirmed by root (${code}).`,
    );
  });

  it('asks a second, separate question for --delete-data', async () => {
    const { t, deprovisioned } = setup();
    const first = await t.run(admin, 'deprovision files --delete-data');
    const code1 = codeOf(first);
    // The first question must not promise that the data stays: it is the next question.
    expect(first.message.text).toContain(
      'Deleting the volumes `files-data` is asked separately, next.',
    );
    expect(first.message.text).not.toContain('kept');

    const second = await t.run(admin, `confirm ${code1}`);
    expect(second.status).toBe('pending');
    const code2 = codeOf(second);
    expect(code2).not.toBe(code1);
    expect(second.message.text).toContain(
      'Delete the volumes of files: `files-data`. All their data will be lost forever',
    );
    expect(deprovisioned).toEqual([]);

    const done = await t.run(admin, `confirm ${code2}`);
    expect(done.status).toBe('ok');
    expect(deprovisioned[0]?.deleteData).toBe(true);
    expect(done.message.text).toBe(
      `Removed the container \`files\`.\nDeleted volumes: \`files-data\`.\nConfirmed by root (${code2}).`,
    );
  });

  it('shows both steps for --dry-run and changes nothing', async () => {
    const { t, deprovisioned } = setup();
    const outcome = await t.run(admin, 'deprovision files --delete-data --dry-run');
    expect(outcome.status).toBe('ok');
    expect(outcome.message.title).toBe('Plan (nothing was changed)');
    expect(outcome.message.text).toContain('Delete the volumes of files');
    expect(deprovisioned).toEqual([]);
  });
});
