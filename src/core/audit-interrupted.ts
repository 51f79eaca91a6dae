/**
 * The audit row of a job that did not finish because the bot stopped: written by the stop
 * for a job still running after its grace period (src/cli/serve-stop.ts), and by the next
 * start for the jobs a dead process left behind (Bot.recover). One shape for both, so the
 * log reads the same whichever way the job was cut short.
 */
import type { AuditLog, AuditRecord } from './audit.ts';
import type { JobRecord } from './jobs.ts';

export function auditInterrupted(audit: AuditLog, job: JobRecord, at: Date): AuditRecord {
  return audit.append({
    at,
    actor: job.actor,
    room: job.room,
    // The bot itself records it, not a person in a room.
    source: 'terminal',
    raw: job.text,
    command: job.command,
    decision: 'allowed',
    result: `interrupted job ${job.id}`,
    durationMs: 0,
  });
}
