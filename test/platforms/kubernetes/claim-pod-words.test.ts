/**
 * What a claim pod says when a command fails in it (claim-site.ts) reaches people inside the
 * error: it may quote a file's name from the claim (`rm: cannot remove '/data/…'`, the tree
 * measure's `/data/…: Permission denied`), so it is one line of code whatever the name holds.
 */
import { describe, expect, it } from 'vitest';
import { codeName } from '../../../src/backup/printable-name.ts';
import { isUserError } from '../../../src/core/errors.ts';
import type { ClaimPod } from '../../../src/platforms/kubernetes/claim-pod.ts';
import { claimOutput } from '../../../src/platforms/kubernetes/claim-site.ts';

function podSaying(stderr: string, exitCode = 1): ClaimPod {
  return {
    name: 'pes-claim-x2x9q',
    exec: () => Promise.resolve({ exitCode, stdout: '', stderr }),
  } as unknown as ClaimPod;
}

async function failure(pod: ClaimPod): Promise<string> {
  const thrown = await claimOutput(pod, ['rm', '-rf', '--', '/data/x']).catch((e: unknown) => e);
  if (!isUserError(thrown)) throw new Error('not refused');
  expect(thrown.code).toBe('kubernetes-exec-failed');
  return thrown.text('en');
}

describe('a failed command in a claim pod', () => {
  it('shows what the pod said as one line of code', async () => {
    const name = '/data/x\n@channel **b** [y](https:/evil.example) <b>`t`\u202e\x1b[2J';
    const said = `rm: cannot remove '${name}': Permission denied\n`;
    const text = await failure(podSaying(said));
    expect(text).toBe(
      'The command in pod pes-claim-x2x9q (container engine) could not run: rm: exit 1: ' +
        codeName(said.trim().split('\n').join(' ')),
    );
    // eslint-disable-next-line no-control-regex
    expect(text).not.toMatch(/[\n\u202e\x1b]/);
    // Outside the code span, nothing of what the pod said.
    expect(text.replace(/`[^`\n]+`/g, ' ')).not.toMatch(/channel|evil|<b>|\*\*/);
  });

  it('says nothing more when the pod said nothing', async () => {
    expect(await failure(podSaying('', 2))).toBe(
      'The command in pod pes-claim-x2x9q (container engine) could not run: rm: exit 2',
    );
  });
});
