/**
 * Which claim pods a start-up sweep deletes (claim-pod.ts `claimPodLeft`): only those of a
 * process that is gone, made before this process started; never this process's own, nor a
 * live process's (a terminal `pes restore` beside `pes serve`); of another host only those
 * that ended or outlived their activeDeadlineSeconds.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { claimPodLeft } from '../../../src/platforms/kubernetes/claim-pod.ts';
import type { Pod } from '../../../src/platforms/kubernetes/objects.ts';
import {
  ownerLabel,
  ownerValue,
  thisProcess,
  type Owner,
} from '../../../src/platforms/kubernetes/owner.ts';
import { isProcessAlive } from '../../../src/store/jobs-repo.ts';

const deadPid = spawnSync(process.execPath, ['-e', '']).pid;
const now = new Date(thisProcess.startMs + 60_000);
const before = new Date(thisProcess.startMs - 10_000).toISOString();

function pod(owner: Owner | undefined, created: string, more: Partial<Pod> = {}): Pod {
  return {
    metadata: {
      name: 'pes-backup-data-abc123',
      creationTimestamp: created,
      labels: owner === undefined ? {} : { [ownerLabel]: ownerValue(owner) },
    },
    spec: { activeDeadlineSeconds: 3600 } as Pod['spec'],
    ...more,
  };
}

describe('a claim pod left behind', () => {
  it('is not one this process made, even one dated before it started', () => {
    expect(claimPodLeft(pod(thisProcess, before), isProcessAlive, now)).toBe(false);
  });

  it('is not one made after this process started, whoever made it', () => {
    const after = new Date(thisProcess.startMs + 5_000).toISOString();
    const dead = { ...thisProcess, pid: deadPid, startMs: 1 };
    expect(claimPodLeft(pod(dead, after), isProcessAlive, now)).toBe(false);
  });

  it('is not one of a live process on this host', () => {
    const live = { ...thisProcess, pid: process.ppid, startMs: 1 };
    expect(claimPodLeft(pod(live, before), isProcessAlive, now)).toBe(false);
  });

  it('is one of a process on this host that is gone', () => {
    const dead = { ...thisProcess, pid: deadPid, startMs: 1 };
    expect(claimPodLeft(pod(dead, before), isProcessAlive, now)).toBe(true);
  });

  it('of another host or no owner: only ended or past its deadline', () => {
    const far = { host: 'elsewhere', pid: deadPid, startMs: 1 };
    expect(claimPodLeft(pod(far, before), isProcessAlive, now)).toBe(false);
    expect(claimPodLeft(pod(undefined, before), isProcessAlive, now)).toBe(false);
    const ended = { status: { phase: 'Failed' } };
    expect(claimPodLeft(pod(far, before, ended), isProcessAlive, now)).toBe(true);
    const old = new Date(now.getTime() - 3601_000).toISOString();
    expect(claimPodLeft(pod(far, old), isProcessAlive, now)).toBe(true);
    expect(claimPodLeft(pod(undefined, old), isProcessAlive, now)).toBe(true);
  });
});
