import { describe, expect, it } from 'vitest';
import { planServices, type ContainerSummary } from '../../src/init/plan.ts';

function compose(
  project: string,
  service: string,
  name: string,
  extra: Partial<ContainerSummary> & { labels?: Record<string, string> } = {},
): ContainerSummary {
  return {
    Names: [`/${name}`],
    Labels: {
      'com.docker.compose.project': project,
      'com.docker.compose.service': service,
      ...extra.labels,
    },
    ...(extra.Mounts === undefined ? {} : { Mounts: extra.Mounts }),
  };
}

function plain(name: string, labels: Record<string, string> = {}): ContainerSummary {
  return { Names: [`/${name}`], Labels: labels };
}

describe('pes init: which services a first configuration names', () => {
  it('makes one service per Compose service, replicas and volumes merged', () => {
    const volume = (Name: string) => ({ Type: 'volume', Name });
    const plan = planServices([
      compose('pes', 'moodle', 'pes-moodle-1', { Mounts: [volume('pes_moodledata')] }),
      compose('pes', 'moodle', 'pes-moodle-2', { Mounts: [volume('pes_moodledata')] }),
      compose('pes', 'keycloak', 'pes-keycloak-1', {
        // An anonymous volume belongs to one container and a bind mount to the host.
        Mounts: [volume('a'.repeat(64)), { Type: 'bind' }],
      }),
    ]);
    expect(plan).toEqual([
      {
        name: 'keycloak',
        containers: { compose: { project: 'pes', service: 'keycloak' } },
        volumes: [],
      },
      {
        name: 'moodle',
        containers: { compose: { project: 'pes', service: 'moodle' } },
        volumes: ['pes_moodledata'],
      },
    ]);
  });

  it('names a service shared by two projects after its project', () => {
    const plan = planServices([compose('b', 'db', 'b-db-1'), compose('a', 'db', 'a-db-1')]);
    expect(plan.map((s) => s.name)).toEqual(['a-db', 'b-db']);
  });

  it('turns names the configuration would refuse into ones it takes, never two alike', () => {
    const plan = planServices([
      compose('p', 'My_Service', 'p-my-1'),
      plain('my-service'),
      plain('42-answers'),
      plain('___'),
    ]);
    expect(plan.map((s) => s.name)).toEqual(['my-service', 'answers', 'my-service-2']);
    expect(plan[2]?.containers).toEqual({ names: ['my-service'] });
  });

  it("leaves out the bot's own containers, one-off runs and an update's kept-aside copy", () => {
    const plan = planServices([
      compose('pes', 'moodle', 'pes-moodle-1'),
      compose('pes', 'moodle', 'pes-moodle-run-1', {
        labels: { 'com.docker.compose.oneoff': 'True' },
      }),
      compose('pes', 'cron', 'pes-cron-1.pes-old'),
      plain('pes-helper-x', { 'pes.bot/helper': 'backup' }),
      plain('scratch', { 'pes.bot/scratch': '1' }),
      plain('chat', { 'pes.bot/managed': 'true', 'pes.bot/instance': 'chat' }),
    ]);
    expect(plan.map((s) => s.name)).toEqual(['moodle']);
  });

  it('keeps to the projects asked for, without containers outside Compose', () => {
    const plan = planServices(
      [compose('pes', 'moodle', 'pes-moodle-1'), compose('other', 'web', 'o-web-1'), plain('x')],
      ['pes'],
    );
    expect(plan.map((s) => s.name)).toEqual(['moodle']);
  });

  it('uses the container’s own name, not a link alias', () => {
    const plan = planServices([{ Names: ['/web/db', '/db'], Labels: {} }]);
    expect(plan).toEqual([{ name: 'db', containers: { names: ['db'] }, volumes: [] }]);
  });
});
