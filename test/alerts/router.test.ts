/** Routing rules: equality and regex matchers, first match or continue, the default room. */
import { describe, expect, it } from 'vitest';
import { alertsSection } from '../../src/alerts/config-schema.ts';
import { inQuietHours, routeAlert, runbooksFor } from '../../src/alerts/router.ts';

const room = (c: string): string => `mattermost:${c.repeat(26)}`;

const config = alertsSection.parse({
  token: '${PES_ALERTS_TOKEN}',
  defaultRoom: room('d'),
  routes: [
    { match: { severity: 'critical' }, rooms: [room('c')], mentions: ['@oncall'], continue: true },
    { matchRe: { service: 'moodle|keycloak' }, rooms: [room('m')] },
    { match: { team: 'db' }, rooms: [room('b')] },
  ],
  runbooks: [{ match: { alertname: 'MoodleDown' }, label: 'Restart', command: 'restart moodle' }],
});

describe('routing', () => {
  it('continues after a route that says so, and stops at the first that does not', () => {
    const targets = routeAlert(config, { severity: 'critical', service: 'moodle', team: 'db' });
    expect(targets.map((t) => t.room)).toEqual([room('c'), room('m')]);
    expect(targets[0]?.mentions).toEqual(['@oncall']);
  });

  it('anchors regular expressions like Alertmanager', () => {
    expect(routeAlert(config, { service: 'moodle-db' }).map((t) => t.room)).toEqual([room('d')]);
    expect(routeAlert(config, { service: 'keycloak' }).map((t) => t.room)).toEqual([room('m')]);
  });

  it('falls back to the default room', () => {
    expect(routeAlert(config, { alertname: 'X' }).map((t) => t.room)).toEqual([room('d')]);
  });

  it('finds runbook buttons by labels', () => {
    expect(runbooksFor(config.runbooks, { alertname: 'MoodleDown' })).toHaveLength(1);
    expect(runbooksFor(config.runbooks, { alertname: 'Other' })).toHaveLength(0);
  });

  it('knows quiet hours in their time zone, across midnight', () => {
    const quiet = { start: 22, end: 7, timeZone: 'Europe/Moscow' };
    expect(inQuietHours(quiet, new Date('2026-11-26T19:30:00Z'))).toBe(true); // 22:30
    expect(inQuietHours(quiet, new Date('2026-11-26T03:30:00Z'))).toBe(true); // 06:30
    expect(inQuietHours(quiet, new Date('2026-11-26T04:30:00Z'))).toBe(false); // 07:30
    expect(inQuietHours({ ...quiet, start: 1, end: 5 }, new Date('2026-11-26T00:00:00Z'))).toBe(
      true,
    );
    expect(inQuietHours(undefined, new Date())).toBe(false);
    const bad = alertsSection.safeParse({
      token: '${T}',
      routes: [{ rooms: [room('c')], quietHours: { start: 22, end: 7, timeZone: 'Mars/Olympus' } }],
    });
    expect(bad.success).toBe(false);
  });

  it('takes Matrix rooms and user mentions, and refuses a config without credentials', () => {
    const matrix = alertsSection.safeParse({
      token: '${T}',
      routes: [{ rooms: ['matrix:!a:b.org'], mentions: ['@oncall:b.org'] }],
    });
    expect(matrix.success).toBe(true);
    const alias = alertsSection.safeParse({ token: '${T}', defaultRoom: 'matrix:#ops:b.org' });
    expect(JSON.stringify(alias.error?.issues)).toContain('or matrix:!room:server');
    expect(alertsSection.safeParse({ defaultRoom: room('d') }).success).toBe(false);
  });
});
