import { describe, expect, it } from 'vitest';
import { identify } from '../../src/core/identity.ts';
import { isAllowed, rolesAllowing } from '../../src/core/permissions.ts';
import { testCatalog } from '../helpers/catalog.ts';

const catalog = testCatalog();
const who = (id: string) => identify(catalog, id);

describe('permissions', () => {
  const matrix: [string, string, boolean][] = [
    // a stranger: help and whoami only
    ['mattermost:stranger', 'help', true],
    ['mattermost:stranger', 'whoami', true],
    ['mattermost:stranger', 'status', false],
    ['mattermost:stranger', 'confirm', false],
    ['mattermost:stranger', 'audit', false],
    // admin: everything through '*'
    ['local:root', 'audit', true],
    ['local:root', 'wipe', true],
    ['local:root', 'anything-new', true],
    // operator: listed commands only
    ['mattermost:ivan', 'status', true],
    ['mattermost:ivan', 'cancel', true],
    ['mattermost:ivan', 'confirm', true],
    ['mattermost:ivan', 'restart', false],
    // oncall on Matrix
    ['matrix:@olga:pes.example', 'status', true],
    ['matrix:@olga:pes.example', 'cancel', false],
    // teacher
    ['mattermost:teacher1', 'status', false],
    ['mattermost:teacher1', 'whoami', true],
    // the same user name on another messenger is another person
    ['local:ivan', 'status', false],
  ];

  it.each(matrix)('%s may run %s: %s', (actor, command, allowed) => {
    expect(isAllowed(catalog, who(actor), command)).toBe(allowed);
  });

  it('names the roles that would allow a command', () => {
    expect(rolesAllowing(catalog, 'cancel')).toEqual(['admin', 'operator']);
    expect(rolesAllowing(catalog, 'status')).toEqual(['admin', 'operator', 'oncall']);
  });

  it('gives an unknown person no roles', () => {
    expect(who('mattermost:nobody').roles).toEqual([]);
    expect(who('local:root').roles).toEqual(['admin']);
  });
});
