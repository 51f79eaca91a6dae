/**
 * Claim backups from the configuration file: `clusters.<name>.backups` (the claim pods'
 * image, the repository's claim and folder, start time, user) and a cluster service's
 * `volumes` (its claims) reach the catalog and the claim pods' settings; what would put a
 * path outside the claim, or a shell character in an image, is refused at load.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.ts';
import { claimSettings } from '../../../src/platforms/kubernetes/cluster-ports.ts';
import { makeTempDir } from '../../config/temp-config.ts';

function load(backups: string) {
  const cwd = makeTempDir({
    'kubeconfig.yaml': `apiVersion: v1
kind: Config
clusters: [{name: lab, cluster: {server: "https://127.0.0.1:6443"}}]
users: [{name: pes, user: {token: t}}]
contexts: [{name: pes@lab, context: {cluster: lab, user: pes}}]
current-context: pes@lab
`,
    'pes.yaml': `
clusters:
  lab:
    kubeconfig: kubeconfig.yaml
    context: pes@lab
    backups: ${backups}
services:
  moodle:
    platform: kubernetes
    cluster: lab
    namespace: lms
    workload: { kind: Deployment, name: moodle }
    volumes: [moodledata]
`,
  });
  return loadConfig({ flag: 'pes.yaml', env: {}, cwd, username: 'alice' });
}

describe('claim backups in the configuration', () => {
  it('give the service its claims and the cluster its claim pods’ settings', () => {
    const loaded = load(
      '{ image: "registry.test/pes-bot:1.4.0", repositoryClaim: backups, repositoryPath: restic, startSeconds: 60, runAsUser: 33, fsGroup: 33 }',
    );
    expect(loaded.catalog.services.get('moodle')?.volumes).toEqual(['moodledata']);
    const cluster = loaded.kubernetes.clusters.get('lab');
    if (cluster === undefined) throw new Error('no cluster');
    expect(claimSettings(cluster)).toEqual({
      image: 'registry.test/pes-bot:1.4.0',
      startSeconds: 60,
      repositoryClaim: 'backups',
      repositoryInClaim: 'restic',
      runAs: { runAsUser: 33, fsGroup: 33 },
    });
  });

  it.each([
    ['image: "registry.test/pes-bot:1", repositoryPath: "../etc"', 'repositoryPath'],
    ['image: "pes;rm -rf /"', 'image'],
    ['image: "registry.test/pes-bot:1", repositoryClaim: "Backups_1"', 'repositoryClaim'],
  ])('refuses %s at load', (bad, field) => {
    const error = (() => {
      try {
        load(`{ ${bad} }`);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(String((error as Error | undefined)?.message)).toContain(
      `clusters.lab.backups.${field}`,
    );
  });
});
