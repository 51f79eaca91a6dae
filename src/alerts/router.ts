/**
 * Which rooms an alert group goes to. Rules are tried in order, like Alertmanager's own
 * routing tree flattened: the first that matches wins unless it says `continue`. A group is
 * matched by its common labels (every alert of the group has them), so all its notifications
 * go to the same rooms.
 */
import type { AlertRouteConfig, AlertsSection, RunbookConfig } from './config-schema.ts';

export interface RouteTarget {
  readonly room: string;
  readonly mentions: readonly string[];
  readonly channelOnCritical: boolean;
  readonly sendResolved: boolean;
  readonly quietHours: AlertRouteConfig['quietHours'];
}

type Matchers = Pick<AlertRouteConfig, 'match' | 'matchRe'>;

const compiled = new Map<string, RegExp>();

/** Anchored, as Alertmanager's `=~` is: `db` does not match `db-replica`. */
function anchored(source: string): RegExp {
  let re = compiled.get(source);
  if (re === undefined) {
    re = new RegExp(`^(?:${source})$`, 'u');
    compiled.set(source, re);
  }
  return re;
}

export function matches(m: Matchers, labels: Readonly<Record<string, string>>): boolean {
  for (const [name, value] of Object.entries(m.match)) {
    if ((labels[name] ?? '') !== value) return false;
  }
  for (const [name, source] of Object.entries(m.matchRe)) {
    if (!anchored(source).test(labels[name] ?? '')) return false;
  }
  return true;
}

export function routeAlert(
  config: Pick<AlertsSection, 'routes' | 'defaultRoom'>,
  labels: Readonly<Record<string, string>>,
): RouteTarget[] {
  const targets = new Map<string, RouteTarget>();
  for (const route of config.routes) {
    if (!matches(route, labels)) continue;
    for (const room of route.rooms) {
      // A room named by two matching routes gets the group once, as the first one says.
      if (!targets.has(room)) {
        targets.set(room, {
          room,
          mentions: route.mentions,
          channelOnCritical: route.channelOnCritical,
          sendResolved: route.sendResolved,
          quietHours: route.quietHours,
        });
      }
    }
    if (!route.continue) break;
  }
  if (targets.size === 0 && config.defaultRoom !== undefined) {
    const room = config.defaultRoom;
    targets.set(room, {
      room,
      mentions: [],
      channelOnCritical: false,
      sendResolved: true,
      quietHours: undefined,
    });
  }
  return [...targets.values()];
}

/** The runbook buttons whose matchers the group's labels satisfy, in config order. */
export function runbooksFor(
  runbooks: readonly RunbookConfig[],
  labels: Readonly<Record<string, string>>,
): RunbookConfig[] {
  return runbooks.filter((r) => matches(r, labels));
}

/** Whether `now` falls in the quiet hours, in their time zone; `22 → 7` wraps midnight. */
export function inQuietHours(quiet: RouteTarget['quietHours'], now: Date): boolean {
  if (quiet === undefined || quiet.start === quiet.end) return false;
  const hour = Number(
    new Intl.DateTimeFormat('en', {
      hour: 'numeric',
      hourCycle: 'h23',
      timeZone: quiet.timeZone,
    }).format(now),
  );
  return quiet.start < quiet.end
    ? hour >= quiet.start && hour < quiet.end
    : hour >= quiet.start || hour < quiet.end;
}
