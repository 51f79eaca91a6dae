/** Builds the context a command runs with: what it may see and do, and nothing more. */
import { noAlerts } from './alerts.ts';
import { noBackups } from './backup.ts';
import type { BotDeps, Call } from './bot-deps.ts';
import type { CommandResult } from './command.ts';
import type { CommandContext } from './context.ts';
import { UserError } from './errors.ts';
import { localize } from './i18n.ts';
import type { JobRecord } from './jobs.ts';
import type { Redactor } from './logger.ts';
import { quoteValue } from './parse.ts';
import { idsOnly } from './people.ts';
import { isAllowed } from './permissions.ts';
import { noTemplates } from './templates.ts';
import { noPlugins } from './plugins.ts';
import type { ApprovalVerdict } from './approvals.ts';

export interface JobBinding {
  readonly job: JobRecord;
  progress(fraction: number, text: string): void;
}

export function buildContext(options: {
  readonly deps: BotDeps;
  readonly call: Call;
  readonly job: JobBinding | undefined;
  readonly signal: AbortSignal;
  readonly redact: Redactor;
  readonly decide: (code: string, decision: 'confirmed' | 'declined') => Promise<CommandResult>;
  readonly approve: (
    id: number,
    verdict: ApprovalVerdict,
    reason: string,
  ) => Promise<CommandResult>;
}): CommandContext {
  const { deps, call, job, redact } = options;
  const { catalog } = deps;
  return {
    actor: call.actor,
    room: call.invocation.room,
    source: call.invocation.source,
    locale: call.locale,
    catalog,
    registry: deps.registry,
    jobs: deps.jobs,
    audit: deps.audit,
    alerts: deps.alerts ?? noAlerts,
    jobId: job?.job.id,
    signal: options.signal,
    log: deps.log.child({
      actor: call.actor.id,
      ...(job === undefined ? {} : { job: job.job.id }),
    }),
    people: deps.people ?? idsOnly,
    t: (text, params) => localize(text, call.locale, params),
    may: (command) => isAllowed(catalog, call.actor, command),
    service: (name) => {
      const service = catalog.services.get(name);
      if (service === undefined) {
        throw new UserError('unknown-service', {
          name: quoteValue(name),
          known: [...catalog.services.keys()].join(', '),
        });
      }
      return service;
    },
    platform: (service) => deps.platform(service),
    templates: deps.templates ?? noTemplates,
    backups: deps.backups ?? noBackups,
    backupLedger: deps.backupLedger,
    progress: (fraction, text) => job?.progress(Math.min(1, Math.max(0, fraction)), redact(text)),
    reply: (message) => call.sink.reply(message),
    decide: options.decide,
    plugins: deps.plugins ?? noPlugins,
    approve: options.approve,
  };
}
