/**
 * The one path every invocation takes: identify → parse → authorize → confirm? → run (as a
 * job when it mutates) → audit. Front ends only translate in and render out.
 */
import { noAlerts, type AlertsPort } from './alerts.ts';
import type { AuditLog, Decision } from './audit.ts';
import { noBackups, type BackupLedger, type BackupService } from './backup.ts';
import type { Catalog, ServiceDefinition } from './catalog.ts';
import type { AnyCommand, CommandResult } from './command.ts';
import { defaultConfirmationTtlMs, type ConfirmationStore } from './confirmations.ts';
import type { CommandContext } from './context.ts';
import { UserError, exitCodes } from './errors.ts';
import { identify, type Actor } from './identity.ts';
import { localize, type Locale } from './i18n.ts';
import type { Invocation, InvocationSink } from './invocation.ts';
import { JobRunner } from './job-runner.ts';
import type { JobRecord, JobStore } from './jobs.ts';
import { makeRedactor, redactDeep, type Logger, type Redactor } from './logger.ts';
import type { Message } from './message.ts';
import { DelegatedOutcome, outcomeFromError, type Outcome } from './outcome.ts';
import { parseCommand, quoteValue, type ParsedCommand } from './parse.ts';
import { isAllowed, rolesAllowing } from './permissions.ts';
import type { Platform } from './platform.ts';
import type { Registry } from './registry.ts';
import { noTemplates, type TemplateCatalog } from './templates.ts';
import { tokenize } from './tokenize.ts';
import { confirmTexts } from './bot-texts.ts';

export interface BotDeps {
  readonly catalog: Catalog;
  readonly registry: Registry;
  readonly jobs: JobStore;
  readonly audit: AuditLog;
  /** For the alert commands; refused (alerts-not-configured) when absent. */
  readonly alerts?: AlertsPort;
  readonly confirmations: ConfirmationStore;
  platform(service: ServiceDefinition): Platform;
  /** For `provision`; none when absent. */
  readonly templates?: TemplateCatalog;
  /** For `backup`, `restore`, `verify`; refused when absent. */
  readonly backups?: BackupService;
  readonly backupLedger?: BackupLedger;
  readonly log: Logger;
  readonly now?: () => Date;
  readonly cancelPollMs?: number;
  readonly confirmationTtlMs?: number;
}

interface Call {
  readonly invocation: Invocation;
  readonly actor: Actor;
  readonly locale: Locale;
  readonly sink: InvocationSink;
}

export class Bot {
  readonly #deps: BotDeps;
  readonly #runner: JobRunner;
  readonly #redact: Redactor;
  readonly #now: () => Date;

  constructor(deps: BotDeps) {
    this.#deps = deps;
    this.#runner = new JobRunner(
      deps.jobs,
      deps.cancelPollMs === undefined ? {} : { cancelPollMs: deps.cancelPollMs },
    );
    this.#redact = makeRedactor(deps.catalog.secrets);
    this.#now = deps.now ?? (() => new Date());
  }

  get catalog(): Catalog {
    return this.#deps.catalog;
  }

  /** The room's language, unless the invocation names one. */
  localeFor(invocation: Pick<Invocation, 'locale' | 'room'>): Locale {
    if (invocation.locale !== undefined) return invocation.locale;
    const room = this.#deps.catalog.rooms.find((r) => r.address === invocation.room.id);
    return room?.locale ?? this.#deps.catalog.locale;
  }

  async invoke(invocation: Invocation, sink: InvocationSink): Promise<Outcome> {
    const actor = identify(this.#deps.catalog, invocation.actorId, invocation.displayName);
    const call: Call = {
      invocation,
      actor,
      locale: this.localeFor(invocation),
      sink: this.#redacting(sink),
    };
    const started = this.#now();
    let parsed: ParsedCommand | undefined;
    let decision: Decision = 'invalid';
    let outcome: Outcome;
    try {
      parsed = parseCommand(
        this.#deps.registry,
        this.#deps.catalog,
        tokenize(invocation.text),
        call.locale,
      );
      this.#authorize(actor, parsed.command);
      decision = 'allowed';
      outcome = await this.#confirmAndRun(call, parsed);
      if (outcome.status === 'pending') decision = 'pending';
    } catch (error) {
      outcome = outcomeFromError(error, call.locale, this.#deps.log);
      if (outcome.status === 'denied' && decision === 'invalid') decision = 'denied';
      if (outcome.errorCode === 'confirmation-declined') decision = 'declined';
    }
    this.#audit(call, parsed, decision, outcome, started);
    // Data goes to --json output and, later, to chat: it is redacted like the message.
    return redactDeep(outcome, this.#redact);
  }

  /** Marks jobs whose process died as interrupted; the caller reports them in their rooms. */
  recover(isAlive: (pid: number) => boolean): JobRecord[] {
    const interrupted = this.#deps.jobs.interruptOrphans(isAlive);
    for (const job of interrupted) {
      this.#deps.audit.append({
        at: this.#now(),
        actor: job.actor,
        room: job.room,
        source: 'terminal',
        raw: job.text,
        command: job.command,
        decision: 'allowed',
        result: `interrupted job ${job.id}`,
        durationMs: 0,
      });
    }
    return interrupted;
  }

  #authorize(actor: Actor, command: AnyCommand): void {
    if (isAllowed(this.#deps.catalog, actor, command.name)) return;
    const roles = rolesAllowing(this.#deps.catalog, command.name);
    const params = { actor: actor.displayName, command: command.name, roles: roles.join(', ') };
    throw new UserError(roles.length > 0 ? 'not-permitted' : 'not-permitted-no-role', params);
  }

  async #confirmAndRun(call: Call, parsed: ParsedCommand): Promise<Outcome> {
    const { command, input } = parsed;
    const ctx = this.#context(call, undefined, new AbortController().signal);
    // A dry run changes nothing, so it needs neither a confirmation nor the lock.
    const dryRun = input['dryRun'] === true;
    const lockKey = this.#lockKey(parsed);
    if (lockKey !== undefined) this.#runner.refuseIfBusy(lockKey);
    if (command.describe !== undefined && call.invocation.preconfirmed !== true && !dryRun) {
      const described = await command.describe(ctx, input);
      const steps =
        described === undefined ? [] : typeof described === 'string' ? [described] : described;
      for (let step = call.invocation.confirmedSteps ?? 0; step < steps.length; step++) {
        const description = this.#redact(steps[step] ?? '');
        const mode = call.sink.confirm;
        if (mode.kind === 'refuse') {
          throw new UserError('confirmation-required', { command: command.name });
        }
        if (mode.kind === 'pending') return this.#pend(call, command, description, step);
        if (!(await mode.ask(description))) throw new UserError('confirmation-declined');
      }
    }
    return dryRun ? this.#success(await command.run(ctx, input)) : this.#run(call, parsed);
  }

  #pend(call: Call, command: AnyCommand, description: string, step: number): Outcome {
    const pending = this.#deps.confirmations.create({
      text: call.invocation.text,
      command: command.name,
      actor: call.actor.id,
      room: call.invocation.room.id,
      description,
      step,
      ttlMs: this.#deps.confirmationTtlMs ?? defaultConfirmationTtlMs,
    });
    const t = (text: { ru: string; en: string }): string =>
      localize(text, call.locale, {
        code: pending.code,
        minutes: Math.round((pending.expiresAt.getTime() - pending.createdAt.getTime()) / 60000),
      });
    return {
      status: 'pending',
      exitCode: exitCodes.ok,
      message: {
        severity: 'warning',
        title: t(confirmTexts.title),
        text: `${description}\n${t(confirmTexts.how)}`,
        actions: [
          { label: t(confirmTexts.confirm), style: 'danger', command: `confirm ${pending.code}` },
          { label: t(confirmTexts.cancel), style: 'default', command: `decline ${pending.code}` },
        ],
      },
      data: { confirmation: pending.code, expiresAt: pending.expiresAt.toISOString() },
    };
  }

  async #run(call: Call, parsed: ParsedCommand): Promise<Outcome> {
    const { command, input } = parsed;
    if (command.mutating === undefined) {
      const result = await command.run(
        this.#context(call, undefined, new AbortController().signal),
        input,
      );
      return this.#success(result);
    }
    const lockKey = this.#lockKey(parsed);
    const job = this.#runner.open({
      command: command.name,
      text: call.invocation.text,
      actor: call.actor.id,
      room: call.invocation.room.id,
      service: lockKey,
      lockKey,
    });
    try {
      const result = await this.#runner.run(
        job,
        undefined,
        (fraction, text) => call.sink.progress({ jobId: job.id, fraction, text }),
        (handle) => command.run(this.#context(call, handle, handle.signal), input),
        (end) =>
          end.ok ? this.#summary(end.value.message) : this.#errorSummary(end.error, call.locale),
      );
      return { ...this.#success(result), jobId: job.id };
    } catch (error) {
      return outcomeFromError(error, call.locale, this.#deps.log, job.id);
    }
  }

  /** The value of the argument a mutating command locks on (its service), if any. */
  #lockKey({ command, input }: ParsedCommand): string | undefined {
    const lockArg = command.mutating?.lock;
    const value = lockArg === undefined ? undefined : input[lockArg];
    return typeof value === 'string' ? value : undefined;
  }

  #success(result: CommandResult): Outcome {
    return { status: 'ok', exitCode: exitCodes.ok, message: result.message, data: result.data };
  }

  #summary(message: Message): string {
    return this.#redact(
      [message.title, message.text]
        .filter((s) => s !== undefined)
        .join(': ')
        .split('\n')[0] ?? '',
    );
  }

  #errorSummary(error: unknown, locale: Locale): string {
    if (error instanceof UserError) return this.#redact(error.text(locale));
    return 'internal error';
  }

  async #decide(
    call: Call,
    code: string,
    decision: 'confirmed' | 'declined',
  ): Promise<CommandResult> {
    const { confirmations, catalog } = this.#deps;
    const pending = confirmations.get(code.toUpperCase());
    if (pending === undefined)
      throw new UserError('unknown-confirmation', { code: quoteValue(code) });
    if (pending.state === 'expired')
      throw new UserError('confirmation-expired', { code: pending.code });
    if (pending.state !== 'pending')
      throw new UserError('unknown-confirmation', { code: pending.code });
    const requester = identify(catalog, pending.actor);
    const mayDecide =
      (call.actor.id === pending.actor && isAllowed(catalog, requester, pending.command)) ||
      isAllowed(catalog, call.actor, pending.command);
    if (!mayDecide) {
      throw new UserError('confirmation-not-allowed', {
        actor: call.actor.displayName,
        code: pending.code,
        allowed: [pending.actor, ...rolesAllowing(catalog, pending.command)].join(', '),
      });
    }
    if (!confirmations.decide(pending.code, decision, call.actor.id)) {
      throw new UserError('unknown-confirmation', { code: pending.code });
    }
    const who = { who: call.actor.displayName, code: pending.code };
    if (decision === 'declined') {
      return {
        message: { severity: 'info', text: localize(confirmTexts.declinedBy, call.locale, who) },
      };
    }
    // The released command runs as the person who asked for it, in their room.
    const outcome = await this.invoke(
      {
        actorId: pending.actor,
        room: { id: pending.room },
        source: call.invocation.source,
        text: pending.text,
        locale: call.locale,
        // A command that asks twice gets its next question now, under a new code.
        confirmedSteps: pending.step + 1,
      },
      call.sink,
    );
    if (outcome.status !== 'ok') throw new DelegatedOutcome(outcome);
    const note = localize(confirmTexts.confirmedBy, call.locale, who);
    return {
      message: {
        ...outcome.message,
        text: [outcome.message.text, note].filter(Boolean).join('\n'),
      },
      data: outcome.data,
    };
  }

  #context(
    call: Call,
    job: { job: JobRecord; progress(f: number, t: string): void } | undefined,
    signal: AbortSignal,
  ): CommandContext {
    const { catalog } = this.#deps;
    return {
      actor: call.actor,
      room: call.invocation.room,
      source: call.invocation.source,
      locale: call.locale,
      catalog,
      registry: this.#deps.registry,
      jobs: this.#deps.jobs,
      audit: this.#deps.audit,
      alerts: this.#deps.alerts ?? noAlerts,
      jobId: job?.job.id,
      signal,
      log: this.#deps.log.child({
        actor: call.actor.id,
        ...(job === undefined ? {} : { job: job.job.id }),
      }),
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
      platform: (service) => this.#deps.platform(service),
      templates: this.#deps.templates ?? noTemplates,
      backups: this.#deps.backups ?? noBackups,
      backupLedger: this.#deps.backupLedger,
      progress: (fraction, text) =>
        job?.progress(Math.min(1, Math.max(0, fraction)), this.#redact(text)),
      reply: (message) => call.sink.reply(message),
      decide: (code, decision) => this.#decide(call, code, decision),
    };
  }

  #redacting(sink: InvocationSink): InvocationSink {
    return {
      confirm: sink.confirm,
      reply: (message) => sink.reply(redactDeep(message, this.#redact)),
      progress: (update) => sink.progress({ ...update, text: this.#redact(update.text) }),
    };
  }

  #audit(
    call: Call,
    parsed: ParsedCommand | undefined,
    decision: Decision,
    outcome: Outcome,
    started: Date,
  ): void {
    const result = outcome.status === 'ok' ? 'ok' : (outcome.errorCode ?? outcome.status);
    this.#deps.audit.append({
      at: started,
      actor: call.actor.id,
      room: call.invocation.room.id,
      source: call.invocation.source,
      raw: this.#redact(call.invocation.text),
      command: parsed === undefined ? '' : `${parsed.command.name} ${JSON.stringify(parsed.input)}`,
      decision,
      result: outcome.jobId === undefined ? result : `${result} (job ${outcome.jobId})`,
      durationMs: this.#now().getTime() - started.getTime(),
    });
  }
}
