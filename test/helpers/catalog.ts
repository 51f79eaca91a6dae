/** A small catalog for core tests, shaped like what the config loader produces. */
import type { Catalog, RoleDefinition, ServiceDefinition } from '../../src/core/catalog.ts';

export function service(name: string, extra: Partial<ServiceDefinition> = {}): ServiceDefinition {
  return {
    name,
    platform: 'docker',
    containers: { compose: { project: 'pes', service: name } },
    scale: { min: 1, max: 3 },
    health: { minRunning: 1, timeoutSeconds: 30 },
    volumes: [],
    databases: [],
    ...extra,
  };
}

export const roles: readonly RoleDefinition[] = [
  { name: 'admin', members: ['local:root'], commands: ['*'] },
  {
    name: 'operator',
    members: ['mattermost:ivan'],
    commands: ['status', 'jobs', 'job', 'cancel', 'audit', 'touch', 'wipe'],
  },
  { name: 'oncall', members: ['matrix:@olga:pes.example'], commands: ['status', 'jobs'] },
  { name: 'teacher', members: ['mattermost:teacher1'], commands: ['whoami'] },
];

export function testCatalog(extra: Partial<Catalog> = {}): Catalog {
  return {
    locale: 'en',
    // Times in posts do not depend on the machine the tests run on.
    timeZone: 'UTC',
    services: new Map([
      ['moodle', service('moodle')],
      ['keycloak', service('keycloak')],
    ]),
    roles,
    rooms: [{ name: 'ops', address: 'mattermost:ops', locale: 'ru' }],
    secrets: ['s3cr3t-token-value'],
    ...extra,
  };
}
