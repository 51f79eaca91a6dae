/**
 * Every verb on a cluster service through the Matrix front end, in Russian: `!pes …` in a
 * room against the real adapter and bot, the service `wiki` a Deployment on the fake API
 * server (test/fakes/kubernetes, in-memory kubelet: an image named `broken` never pulls)
 * beside the harness's Docker services. Status of the mixed catalog, an update to a broken
 * image undone by itself with the reason, a conflict during scale retried, scale to 0 asked
 * first in the cluster's words, a forbidden verb as the one-line grant, a server that is gone
 * as one clear line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALLOW_ALL } from '../../fakes/kubernetes/index.ts';
import { startClusterBed, type ClusterBed } from '../../helpers/kubernetes-chat.ts';
import { startHarness, waitFor, type Harness } from './harness.ts';

let h: Harness;
let bed: ClusterBed;

beforeAll(async () => {
  bed = await startClusterBed();
  h = await startHarness({
    catalog: (base) => ({ ...bed.catalog(base), locale: 'ru' }),
    platform: bed.platform,
  });
  await h.ready();
});

afterAll(async () => {
  await h.close();
  expect(bed.fake.controllerErrors).toEqual([]);
  await bed.close();
});

/** The bot's messages in the room as they read now (edits applied). */
function said(): string[] {
  return h.botMessages(h.ops).map((e) => String(e.content['body']));
}

/** Says `!pes <command>` as the admin; resolves with the first new message that matches. */
async function ask(command: string, answer: RegExp, timeoutMs = 60_000): Promise<string> {
  const before = h.botMessages(h.ops).length;
  h.hs.say(h.admin, h.ops, `!pes ${command}`);
  const fresh = (): string[] =>
    said()
      .slice(before)
      .filter((t) => answer.test(t));
  await waitFor(() => fresh().length > 0, `an answer to ${command} matching ${answer}`, timeoutMs);
  return fresh()[0] ?? '';
}

function codeOf(promptText: string): string {
  const code = /!pes confirm (\w{4})/.exec(promptText)?.[1];
  if (code === undefined) throw new Error(`no confirmation code in: ${promptText}`);
  return code;
}

describe('a service on a cluster through Matrix, in Russian', () => {
  it('shows the Docker services and the cluster one in one status', async () => {
    const answer = await ask('status', /Deployment wiki/);
    expect(answer).toMatch(/wiki-[a-z0-9]+-[a-z0-9]+/);
    expect(answer).toContain('registry.test/wiki:1.0');
    expect(answer).toContain('moodle');
    expect(answer).toContain('keycloak');
  });

  it('undoes an update to an image that never pulls by itself, naming the reason', async () => {
    const prompt = await ask('update wiki broken-3', /!pes confirm \w{4}/);
    expect(prompt).toContain('broken-3');
    h.hs.say(h.admin, h.ops, `!pes confirm ${codeOf(prompt)}`);
    await waitFor(() => said().some((t) => /откачено к ревизии \d+/.test(t)), 'the undo', 90_000);
    const told = said().find((t) => /откачено к ревизии \d+/.test(t)) ?? '';
    expect(told).toContain('образ не удаётся скачать');
    expect(told).toContain('registry.test/wiki:broken-3');
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
    await ask('scale wiki 3', /wiki: 2 → 3/, 90_000);
    expect(puts().slice(before)).toEqual(['dry run 200', 'write 409', 'write 200']);
    expect((await bed.deployment()).replicas).toBe(3);
    expect(await ask('scale wiki 3', /уже/)).toContain('wiki: уже 3 реплики, ничего не изменено.');
  }, 120_000);

  it('asks before scaling to 0 in the cluster’s words, and a decline changes nothing', async () => {
    const prompt = await ask('scale wiki 0', /!pes confirm \w{4}/);
    expect(prompt).toContain(
      'Сервис wiki будет остановлен полностью: Deployment wiki в пространстве имён lms кластера lab — 0 реплик, 3 его пода будут остановлены. Тома (PersistentVolumeClaim) сохранятся. Вернуть сервис: scale wiki <число>.',
    );
    expect(prompt).not.toContain('контейнер');
    const code = codeOf(prompt);
    h.hs.say(h.admin, h.ops, `!pes decline ${code}`);
    await waitFor(
      () => said().some((t) => t.includes(code) && !t.includes(`!pes confirm ${code}`)),
      'the prompt decided',
    );
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
      const answer = await ask('scale wiki 2', /выдайте право/);
      expect(answer).toContain(
        'Учётной записи бота запрещено действие update над deployments/scale в пространстве имён lms: выдайте право update на deployments.apps/scale.',
      );
    } finally {
      bed.fake.setRules(ALLOW_ALL);
    }
    expect((await bed.deployment()).replicas).toBe(3);
  });

  it('says in one clear line that the API server does not answer', async () => {
    await bed.kill();
    try {
      const refused = await ask('scale wiki 2', /не отвечает/);
      expect(refused).toContain('API-сервер кластера lab не отвечает (ECONNREFUSED)');
      const status = await ask('status', /keycloak/);
      expect(status).toContain('moodle');
      expect(status).toContain('не отвечает');
    } finally {
      bed.revive();
    }
  });
});
