/**
 * Which bot process made a claim pod or a scratch claim, kept in a label so that a start-up
 * sweep deletes only what a process that is gone left: `<host>_<pid>_<process start ms>`
 * (label values allow `[A-Za-z0-9._-]`, 63 characters). The start time tells this process
 * apart from an earlier one that had the same pid.
 */
import { hostname } from 'node:os';
import { labelFrom } from './claim-pod-spec.ts';

export const ownerLabel = 'pes-bot.io/owner';

export interface Owner {
  readonly host: string;
  readonly pid: number;
  readonly startMs: number;
}

export const thisProcess: Owner = {
  host: labelFrom(hostname(), 30),
  pid: process.pid,
  startMs: Math.floor(performance.timeOrigin),
};

export function ownerValue(owner: Owner = thisProcess): string {
  return `${owner.host}_${String(owner.pid)}_${String(owner.startMs)}`;
}

export function parseOwner(value: string | undefined): Owner | undefined {
  const match = /^([a-z0-9-]+)_(\d+)_(\d+)$/.exec(value ?? '');
  if (match === null) return undefined;
  return { host: match[1] ?? '', pid: Number(match[2]), startMs: Number(match[3]) };
}

export interface Made {
  readonly labels?: Readonly<Record<string, string>>;
  readonly creationTimestamp?: string | Date;
}

/**
 * Whether what `made` describes was left by a process that is gone: never this process's,
 * never one made after this process started; on this host, when its owner's pid runs no
 * more. Undefined when the owner cannot be known here (another host, no label): the caller
 * decides by what the object shows (a pod's deadline or end).
 */
export function leftByGoneOwner(
  made: Made,
  isAlive: (pid: number) => boolean,
  self: Owner = thisProcess,
): boolean | undefined {
  const value = made.labels?.[ownerLabel];
  if (value === ownerValue(self)) return false;
  const created =
    made.creationTimestamp === undefined ? Number.NaN : new Date(made.creationTimestamp).getTime();
  // Seconds precision: one made in the same second as this start is taken as made after it.
  if (!Number.isFinite(created) || created >= Math.floor(self.startMs / 1000) * 1000) return false;
  const owner = parseOwner(value);
  if (owner === undefined || owner.host !== self.host) return undefined;
  return !isAlive(owner.pid);
}
