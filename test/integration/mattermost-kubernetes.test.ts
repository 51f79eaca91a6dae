/**
 * Every verb on a cluster service through the Mattermost front end: slash commands and
 * buttons against the real routes, adapter and bot, the service `wiki` a Deployment on the
 * fake API server (test/fakes/kubernetes, its pods run by the in-memory kubelet: an image
 * named `broken` never pulls) beside the harness's Docker services. What a person sees:
 * status of the mixed catalog, an update to a broken image undone by itself with the reason,
 * a conflict during scale retried, scale to 0 asked first in the cluster's words, a
 * forbidden verb as the one-line grant, and a server that is gone as one clear line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALLOW_ALL } from '../fakes/kubernetes/index.ts';
import { slashTokens, startHarness, waitFor, type Harness } from '../fakes/mattermost/harness.ts';
import { visibleText, type FakePost } from '../fakes/mattermost/index.ts';
import { startClusterBed, type ClusterBed } from '../helpers/kubernetes-chat.ts';

let h: Harness;
let bed: ClusterBed;
const token = slashTokens[0] ?? '';

beforeAll(async () => {
  bed = await startClusterBed();
  h = await startHarness({ catalog: bed.catalog, platform: bed.platform });
});

afterAll(async () => {
  await h.close();
  expect(bed.fake.controllerErrors).toEqual([]);
  await bed.close();
});

/** Everything shown in the ops channel and to the admin, newest last. */
function shown(): string[] {
  return [
    ...h.fake.seen.map((s) => s.text),
    ...h.fake.data.ephemerals.map((e) => JSON.stringify(e.post)),
    ...h.fake.data.channelPosts(h.ops.id).map((p) => visibleText(p)),
  ];
}

/** Runs a slash command as the admin; resolves with the first new text that matches. */
async function slash(command: string, answer: RegExp, timeoutMs = 60_000): Promise<string> {
  const before = new Set(shown());
  const result = await h.fake.slash(h.commandUrl, token, h.admin, h.ops, command);
  expect(result.status).toBe(200);
  const fresh = (): string[] => shown().filter((t) => !before.has(t) && answer.test(t));
  await waitFor(() => fresh().length > 0, `an answer to ${command} matching ${answer}`, timeoutMs);
  return fresh()[0] ?? '';
}

/** The newest prompt post with buttons. */
async function prompt(before: number): Promise<FakePost> {
  await waitFor(
    () =>
      h.fake.data
        .botPosts(h.ops.id)
        .slice(before)
        .some((p) => JSON.stringify(p.props).includes('"actions"')),
    'the prompt',
  );
  const post = h.fake.data
    .botPosts(h.ops.id)
    .slice(before)
    .find((p) => JSON.stringify(p.props).includes('"actions"'));
  if (post === undefined) throw new Error('no prompt');
  return post;
}

describe('a service on a cluster through Mattermost', () => {
  it('shows the Docker services and the cluster one in one status', async () => {
    const answer = await slash('status', /Deployment wiki/);
    expect(answer).toMatch(/Deployment wiki: replicas 2 desired/);
    expect(answer).toMatch(/wiki-[a-z0-9]+-[a-z0-9]+/);
    expect(answer).toContain('registry.test/wiki:1.0');
    expect(answer).toContain('moodle');
    expect(answer).toContain('keycloak');
  });

  it('undoes an update to an image that never pulls by itself, naming the reason', async () => {
    const before = h.fake.data.botPosts(h.ops.id).length;
    await h.fake.slash(h.commandUrl, token, h.admin, h.ops, 'update wiki broken-2');
    const post = await prompt(before);
    expect(visibleText(post)).toContain('registry.test/wiki:1.0');
    expect(visibleText(post)).toContain('broken-2');
    expect((await h.fake.click(h.admin, post, 0)).status).toBe(200);
    await waitFor(
      () => shown().some((t) => /rolled back to revision \d+/.test(t)),
      'the undo',
      90_000,
    );
    const told = shown().find((t) => /rolled back to revision \d+/.test(t)) ?? '';
    expect(told).toContain('the image cannot be pulled');
    expect(told).toContain('registry.test/wiki:broken-2');
    // The previous ReplicaSet serves again.
    expect((await bed.deployment()).image).toBe('registry.test/wiki:1.0');
  }, 120_000);

  it('retries a scale whose write meets a conflict', async () => {
    const puts = (): string[] =>
      bed.fake.requests
        .filter(
          (r) =>
            r.method === 'PUT' && r.path === '/apis/apps/v1/namespaces/lms/deployments/wiki/scale',
        )
        .map(
          (r) =>
            `${new URLSearchParams(r.query).get('dryRun') === 'All' ? 'dry run' : 'write'} ${r.status}`,
        );
    const before = puts().length;
    // The plan's dry run first, then the write that meets the conflict and its retry.
    bed.injectScaleConflict(1);
    const answer = await slash('scale wiki 3', /wiki: 2 → 3/);
    expect(answer).not.toMatch(/conflict|409/i);
    expect(puts().slice(before)).toEqual(['dry run 200', 'write 409', 'write 200']);
    expect((await bed.deployment()).replicas).toBe(3);
    // Asked again: the cluster's word for what there are already.
    expect(await slash('scale wiki 3', /already has/)).toContain(
      'wiki already has 3 replicas; nothing was changed.',
    );
  }, 90_000);

  it('asks before scaling to 0 in the cluster’s words, and a decline changes nothing', async () => {
    const before = h.fake.data.botPosts(h.ops.id).length;
    await h.fake.slash(h.commandUrl, token, h.admin, h.ops, 'scale wiki 0');
    const post = await prompt(before);
    expect(visibleText(post)).toContain(
      'Service wiki will be stopped completely: Deployment wiki in namespace lms of cluster lab goes to 0 replicas, its 3 pods will be stopped. Volumes (PersistentVolumeClaims) are kept. To bring it back: scale wiki <count>.',
    );
    expect(visibleText(post)).not.toContain('container');
    expect((await h.fake.click(h.admin, post, 1)).status).toBe(200);
    expect((await bed.deployment()).replicas).toBe(3);
  });

  it('names the grant in one line when the account may not scale', async () => {
    bed.fake.setRules([
      { verbs: ['get', 'list', 'watch'], apiGroups: ['', 'apps'], resources: ['*'] },
      {
        verbs: ['create'],
        apiGroups: ['authorization.k8s.io'],
        resources: ['selfsubjectaccessreviews'],
      },
    ]);
    try {
      const answer = await slash('scale wiki 2', /grant verb/);
      expect(answer).toContain(
        "The bot's account may not update deployments/scale in namespace lms: grant verb update on deployments.apps/scale.",
      );
    } finally {
      bed.fake.setRules(ALLOW_ALL);
    }
    expect((await bed.deployment()).replicas).toBe(3);
  });

  it('says in one clear line that the API server does not answer; the Docker services still show', async () => {
    await bed.kill();
    try {
      const refused = await slash('scale wiki 2', /does not answer/);
      expect(refused).toContain('The API server of cluster lab does not answer (ECONNREFUSED)');
      const status = await slash('status', /keycloak/);
      expect(status).toContain('moodle');
      expect(status).toMatch(/wiki.*does not answer/);
    } finally {
      bed.revive();
    }
  });
});
