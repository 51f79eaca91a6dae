/** The webhook schema and the digest that recognises a re-sent notification. */
import { describe, expect, it } from 'vitest';
import { notificationDigest, webhookPayload } from '../../src/alerts/payload.ts';
import { fixture, rawFixture } from './fixtures.ts';

describe('webhook payload', () => {
  it('accepts the real firing and resolved payloads', () => {
    const firing = fixture('firing');
    expect(firing.status).toBe('firing');
    expect(firing.alerts[0]?.labels['alertname']).toBe('BackupFailed');
    expect(fixture('resolved').alerts[0]?.status).toBe('resolved');
  });

  it('tolerates fields a newer Alertmanager adds', () => {
    const raw = JSON.parse(rawFixture('firing')) as Record<string, unknown>;
    const parsed = webhookPayload.safeParse({ ...raw, orgId: 1, newThing: { a: 1 } });
    expect(parsed.success).toBe(true);
  });

  it('refuses another version and a missing groupKey', () => {
    const raw = JSON.parse(rawFixture('firing')) as Record<string, unknown>;
    expect(webhookPayload.safeParse({ ...raw, version: '3' }).success).toBe(false);
    expect(webhookPayload.safeParse({ ...raw, groupKey: undefined }).success).toBe(false);
  });

  it('gives a re-sent notification the same digest, a changed one another', () => {
    const a = fixture('firing');
    const again = webhookPayload.parse(JSON.parse(rawFixture('firing')));
    expect(notificationDigest(again)).toBe(notificationDigest(a));
    expect(notificationDigest(fixture('resolved'))).not.toBe(notificationDigest(a));
  });
});
