/**
 * The pure parts of claim pods: where one may run (Persistent Volumes, "Access Modes": a
 * ReadWriteOnce claim is attached to one node at a time), what its spec holds, and the argv
 * an engine command becomes in it (no secret on a command line).
 */
import { describe, expect, it } from 'vitest';
import { isUserError } from '../../../src/core/errors.ts';
import { placeOn, type ClaimObject } from '../../../src/platforms/kubernetes/claim-placement.ts';
import { claimPodSpec } from '../../../src/platforms/kubernetes/claim-pod-spec.ts';
import { claimLaunch } from '../../../src/platforms/kubernetes/claim-runner.ts';

const rwo: ClaimObject = { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'] } };
const rwx: ClaimObject = { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteMany'] } };

function user(name: string, nodeName: string | undefined, claim = 'data') {
  return {
    metadata: { name },
    spec: {
      ...(nodeName === undefined ? {} : { nodeName }),
      volumes: [{ persistentVolumeClaim: { claimName: claim } }],
      securityContext: { runAsUser: 33, fsGroup: 33 },
    },
    status: { phase: nodeName === undefined ? 'Pending' : 'Running' },
  };
}

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (isUserError(error)) return `${error.code}: ${error.text('en')}`;
    throw error;
  }
  throw new Error('not refused');
}

describe('where a claim pod may run', () => {
  it('pins a ReadWriteOnce claim to the node of the pod that mounts it, as its user', () => {
    const placed = placeOn('lab', 'lms', rwo, [
      user('web-1', 'node-b'),
      user('other', 'node-a', 'x'),
    ]);
    expect(placed.nodeName).toBe('node-b');
    expect(placed.user).toBe('web-1');
    expect(placed.runAs).toEqual({ runAsUser: 33, fsGroup: 33 });
  });

  it('leaves the node to the scheduler when nothing mounts the claim, or it is ReadWriteMany', () => {
    expect(
      placeOn(
        'lab',
        'lms',
        rwo,
        [user('done', 'node-a')].map((p) => ({ ...p, status: { phase: 'Succeeded' } })),
      ).nodeName,
    ).toBeUndefined();
    expect(placeOn('lab', 'lms', rwx, [user('web-1', 'node-b')]).nodeName).toBeUndefined();
  });

  it('refuses a ReadWriteOnce claim mounted by a pod on no node yet, naming the pod', () => {
    expect(refusal(() => placeOn('lab', 'lms', rwo, [user('web-2', undefined)]))).toBe(
      'kubernetes-claim-unplaced: Volume data (namespace lms, cluster lab) is mounted by pod web-2, whose node is not known: the backup pod could land on another node; nothing was started.',
    );
  });
});

describe('a claim pod', () => {
  const base = {
    namespace: 'lms',
    claim: 'moodledata',
    image: 'registry.test/pes-bot:1.4.0',
    repositoryClaim: 'backups',
    runAs: { runAsUser: 33, fsGroup: 33 },
    deadlineSeconds: 3600,
  };

  it('mounts the claim read-only for a backup and read-write for a restore', () => {
    const backup = claimPodSpec({ ...base, purpose: 'backup', nodeName: 'node-b' });
    expect(backup.spec['nodeName']).toBe('node-b');
    expect(backup.spec['volumes']).toContainEqual({
      name: 'data',
      persistentVolumeClaim: { claimName: 'moodledata', readOnly: true },
    });
    expect(backup.spec['volumes']).toContainEqual({
      name: 'repository',
      persistentVolumeClaim: { claimName: 'backups' },
    });
    const restore = claimPodSpec({ ...base, purpose: 'restore' });
    expect(restore.spec['nodeName']).toBeUndefined();
    expect(restore.spec['volumes']).toContainEqual({
      name: 'data',
      persistentVolumeClaim: { claimName: 'moodledata' },
    });
  });

  it('is restricted as the chart’s pod is, ends by itself, and carries the labels the sweep finds', () => {
    const pod = claimPodSpec({ ...base, purpose: 'backup' });
    expect(pod.spec).toMatchObject({
      restartPolicy: 'Never',
      activeDeadlineSeconds: 3600,
      automountServiceAccountToken: false,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 33,
        fsGroup: 33,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      containers: [
        {
          securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ['ALL'] },
          },
        },
      ],
    });
    expect(pod.metadata.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'pes-bot',
      'pes-bot.io/claim-pod': 'backup',
    });
    expect(pod.metadata.name).toMatch(/^pes-backup-moodledata-[0-9a-f]{6}$/);
    // The same hostname for every pod of the claim: restic finds its parent snapshot by it.
    expect(claimPodSpec({ ...base, purpose: 'restore' }).spec['hostname']).toBe(
      pod.spec['hostname'],
    );
  });
});

describe('an engine command in a claim pod', () => {
  const command = {
    program: 'restic' as const,
    binary: '/usr/local/bin/restic',
    args: ['backup', '--json', '.'],
    env: {
      RESTIC_REPOSITORY: '/srv/backup/restic',
      RESTIC_CACHE_DIR: '/var/cache/pes',
      RESTIC_PROGRESS_FPS: '1',
    },
    password: 'hunter2-secret',
    passwordOnStdin: {},
  };

  it('points the engine at the repository claim, drops local places, and holds no password', () => {
    const { argv, stdin } = claimLaunch(command, { cluster: 'lab', repositoryInClaim: 'restic' });
    // The variables go on the launcher's stdin (engine-launch.ts), never in argv.
    expect(argv).toEqual([
      'node',
      '/app/src/backup/engine-launch.ts',
      'restic',
      'backup',
      '--json',
      '.',
    ]);
    expect(stdin.toString('utf8')).toBe(
      '{"RESTIC_REPOSITORY":"/repository/restic","RESTIC_PROGRESS_FPS":"1"}\nhunter2-secret',
    );
    expect(argv.join(' ')).not.toContain('hunter2');
  });

  it('refuses a variable the launcher does not take instead of putting it on the command line', () => {
    expect(
      refusal(() =>
        claimLaunch(
          {
            ...command,
            env: { ...command.env, HTTPS_PROXY: 'http://u:p@proxy', LD_PRELOAD: 'x' },
          },
          { cluster: 'lab' },
        ),
      ),
    ).toMatch(
      /^kubernetes-engine-env: The variables HTTPS_PROXY, LD_PRELOAD for restic\/borg cannot reach a pod on cluster lab/,
    );
  });
});
