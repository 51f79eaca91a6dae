/**
 * `databases:` of a service on a cluster, as loaded: where each one runs (the service's own
 * workload, or another of its namespace), and what is refused at load with its reason: a
 * password, via, host or port (pods/exec passes no environment, and a password on the
 * command line would be in the API server's audit log), and a workload that cannot be told
 * from the service's own when that one is found by a selector.
 */
import { describe, expect, it } from 'vitest';
import { restoredBeforeStop } from '../../../src/backup/run-restore.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { catchUserError, makeTempDir, problemsOf } from '../../config/temp-config.ts';

const kubeconfig = `
apiVersion: v1
kind: Config
current-context: pes@main
clusters:
  - name: main
    cluster: { server: 'https://127.0.0.1:6443' }
users:
  - name: pes-bot
    user: { token: kube-token-value }
contexts:
  - name: pes@main
    context: { cluster: main, user: pes-bot, namespace: lms }
`;

function load(services: string) {
  const cwd = makeTempDir({
    'kube/config': kubeconfig,
    'pes.yaml': `
clusters:
  main: { kubeconfig: kube/config, context: pes@main }
services:
${services}`,
  });
  return () =>
    loadConfig({ flag: 'pes.yaml', env: { DB_PASSWORD: 'sekret' }, cwd, username: 'alice' });
}

describe('databases of a service on a cluster', () => {
  it('run in the service’s own workload by default, or in another one named', () => {
    const loaded = load(`
  moodle:
    platform: kubernetes
    cluster: main
    namespace: lms
    workload: { kind: StatefulSet, name: moodle }
    databases:
      - { name: app, engine: postgres, database: moodle, user: postgres, container: db }
      - name: wiki
        engine: mysql
        database: wiki
        user: root
        workload: { kind: Deployment, name: mariadb }
`)();
    const service = loaded.catalog.services.get('moodle');
    expect(service?.databases).toEqual([
      {
        name: 'app',
        engine: 'postgres',
        container: '',
        database: 'moodle',
        user: 'postgres',
        cluster: { container: 'db' },
      },
      {
        name: 'wiki',
        engine: 'mysql',
        container: '',
        database: 'wiki',
        user: 'root',
        cluster: { workload: { kind: 'Deployment', name: 'mariadb' } },
      },
    ]);
    expect(loaded.databasePasswords.size).toBe(0);
  });

  it('refuses a password, via, host and port, each with its reason, resolving no secret', () => {
    const error = catchUserError(
      load(`
  moodle:
    platform: kubernetes
    cluster: main
    namespace: lms
    workload: { kind: StatefulSet, name: moodle }
    databases:
      - { name: app, engine: postgres, database: moodle, user: moodle, password: '\${DB_PASSWORD}' }
      - { name: wiki, engine: mysql, database: wiki, user: root, via: tcp, host: db.lms, port: 3306 }
`),
    );
    const problems = problemsOf(error);
    expect(problems).toEqual([
      "services.moodle.databases.0.password: a database on a cluster is dumped through pods/exec, which passes no environment, and a password on the command line would be kept in the API server's audit log: leave it out and let the database trust its local socket (PostgreSQL: the user over the unix socket, MariaDB: unix_socket as the container's OS user)",
      'services.moodle.databases.1.via: a database on a cluster is always dumped inside its pod through pods/exec, over its local socket',
      'services.moodle.databases.1.host: a database on a cluster is dumped inside its pod over its local socket: there is no host to name',
      'services.moodle.databases.1.port: a database on a cluster is dumped inside its pod over its local socket: there is no port to name',
    ]);
    // The secret's value is in no message.
    expect(error.text('en')).not.toContain('sekret');
  });

  it('refuses a workload of the same kind as a service found by a selector (ambiguous)', () => {
    const error = catchUserError(
      load(`
  moodle:
    platform: kubernetes
    cluster: main
    namespace: lms
    workload: { kind: StatefulSet, selector: { app: moodle } }
    databases:
      - name: app
        engine: postgres
        database: moodle
        user: postgres
        workload: { kind: StatefulSet, name: moodle-db }
      - name: wiki
        engine: mysql
        database: wiki
        user: root
        workload: { kind: Deployment, name: mariadb }
`),
    );
    expect(problemsOf(error)).toEqual([
      "services.moodle.databases.0.workload: ambiguous: the service's own StatefulSet is found by a selector, so a StatefulSet named here may be the same one: leave workload out for the service's own, or name the service's workload by name",
    ]);
  });

  it('takes the service’s own workload named by its kind and name as its own (restored before the stop)', () => {
    const loaded = load(`
  moodle:
    platform: kubernetes
    cluster: main
    namespace: lms
    workload: { kind: StatefulSet, name: moodle }
    databases:
      - name: app
        engine: postgres
        database: moodle
        user: postgres
        workload: { kind: StatefulSet, name: moodle }
      - name: wiki
        engine: mysql
        database: wiki
        user: root
        workload: { kind: Deployment, name: moodle }
`)();
    const service = loaded.catalog.services.get('moodle');
    if (service === undefined) return expect.fail('moodle not loaded');
    // The same pod as the service's: scaling to 0 would take it down before its restore.
    expect(restoredBeforeStop(service, 'postgres:app')).toBe(true);
    // Another kind under the same name is another workload.
    expect(restoredBeforeStop(service, 'mysql:wiki')).toBe(false);
  });
});
