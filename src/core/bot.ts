/**
 * The one path every invocation takes: identify → parse → authorize → confirm? → run (as a
 * job when it mutates) → audit. Front ends only translate in and render out.
 */
import type { AuditEntry, AuditRecord, Decision } from './audit.ts';
import { auditInterrupted } from './audit-interrupted.ts';
import {
  cardName,
  checkRelease,
  decideCommandApproval,
  requestApproval,
  ruleFor,
} from './approval-flow.ts';
import type { ApprovalVerdict } from './approvals.ts';
import type { BotDeps, Call } from './bot-deps.ts';
import type { Catalog } from './catalog.ts';
import type { AnyCommand, CommandResult } from './command.ts';
import { decideConfirmation, pendingOutcome } from './confirmation-flow.ts';
import { decidedPromptMessage, type NamedActor } from './confirmation-story.ts';
import type { Confirmation } from './confirmations.ts';
import { lateCancelText } from './context-commit.ts';
import { buildContext, type JobBinding } from './context-factory.ts';
import type { CommandContext } from './context.ts';
import { UserError, exitCodes, isUserError } from './errors.ts';
import { GroupCommit } from './group-commit.ts';
import { identify, type Actor } from './identity.ts';
import { localize, type Locale } from './i18n.ts';
import type { Invocation, InvocationSink } from './invocation.ts';
import { JobRunner } from './job-runner.ts';
import type { JobRecord } from './jobs.ts';
import { makeRedactor, redactDeep, type Redactor } from './logger.ts';
import type { Message } from './message.ts';
import { isRefusal, outcomeFromError, type Outcome } from './outcome.ts';
import { parseCommand, type ParsedCommand } from './parse.ts';
import { idsOnly, nameBusyHolder, nameOf } from './people.ts';
import { isAllowed, rolesAllowing } from './permissions.ts';
import { maxInputLength, tokenize } from './tokenize.ts';

export type { BotDeps } from './bot-deps.ts';

export class Bot {
  readonly #deps: BotDeps;
  readonly #runner: JobRunner;
  readonly #redact: Redactor;
  readonly #now: () => Date;
  /**
   * Invocations finishing in the same loop turn share one audit transaction: under a burst
   * of chat commands, one commit per command was the largest cost of an answer.
   */
  readonly #auditCommit: GroupCommit<AuditEntry, AuditRecord>;

  constructor(deps: BotDeps) {
    this.#deps = deps;
    this.#auditCommit = new GroupCommit((entries) => deps.audit.appendMany(entries));
    this.#runner = new JobRunner(deps.jobs, {
      ...(deps.cancelPollMs === undefined ? {} : { cancelPollMs: deps.cancelPollMs }),
      ...(deps.metrics === undefined ? {} : { metrics: deps.metrics }),
    });
    this.#redact = makeRedactor(deps.catalog.secrets);
    this.#now = deps.now ?? (() => new Date());
  }

  get catalog(): Catalog {
    return this.#deps.catalog;
  }

  /** The jobs of this process; `pes serve` stops them when it stops (src/cli/serve.ts). */
  get runner(): JobRunner {
    return this.#runner;
  }

  /** The room's language, unless the invocation names one. */
  localeFor(invocation: Pick<Invocation, 'locale' | 'room'>): Locale {
    if (invocation.locale !== undefined) return invocation.locale;
    const room = this.#deps.catalog.rooms.find((r) => r.address === invocation.room.id);
    return room?.locale ?? this.#deps.catalog.locale;
  }

  async invoke(invocation: Invocation, sink: InvocationSink): Promise<Outcome> {
    // A front end that sends no name (the terminal, a confirmed command run again) gets the
    // one the people port knows: `root` for local:root, never the id when a name exists.
    const displayName =
      invocation.displayName ?? (await nameOf(this.#deps.people ?? idsOnly, invocation.actorId));
    const actor = identify(this.#deps.catalog, invocation.actorId, displayName);
    const locale = this.localeFor(invocation);
    const call: Call = {
      invocation,
      actor,
      locale,
      privateLocale: invocation.locale ?? invocation.personLocale ?? locale,
      sink: this.#redacting(sink),
    };
    const started = this.#now();
    const began = performance.now();
    let parsed: ParsedCommand | undefined;
    let decision: Decision = 'invalid';
    let outcome: Outcome;
    try {
      // Once the process is stopping, every new command (and every confirmation) is
      // answered with that, audited like any other refusal.
      if (this.#runner.stopping) throw new UserError('bot-stopping');
      parsed = this.#parse(invocation.text, call.privateLocale);
      this.#authorize(actor, parsed.command);
      decision = 'allowed';
      outcome = await this.#confirmAndRun(call, parsed);
      if (outcome.status === 'pending') decision = 'pending';
    } catch (thrown) {
      const error = await nameBusyHolder(thrown, this.#deps.people ?? idsOnly);
      // A refusal is shown to the person only, so it speaks their language.
      const refused = isUserError(error) && isRefusal(error);
      outcome = outcomeFromError(error, refused ? call.privateLocale : call.locale, this.#deps.log);
      if (outcome.status === 'denied' && decision === 'invalid') decision = 'denied';
      if (outcome.errorCode === 'confirmation-declined') decision = 'declined';
    }
    // Recorded before the answer leaves: nobody hears an outcome that is not in the log.
    await this.#audit(call, parsed, decision, outcome, started);
    const seconds = (performance.now() - began) / 1000;
    this.#deps.metrics?.commandFinished(parsed?.command.name, outcome.status, seconds);
    // Data goes to --json output and, later, to chat: it is redacted like the message.
    return redactDeep(outcome, this.#redact);
  }

  /**
   * The prompt of confirmation `code` as it stays once decided or expired
   * (confirmation-story.ts), with the confirmation; undefined while it is pending or unknown.
   * In the language of `locale`, else of the prompt's room; `who` is the decider as the room
   * reads them, when the front end knows it better than by id.
   */
  decidedPrompt(
    code: string,
    options: {
      locale?: Locale | undefined;
      who?: NamedActor | undefined;
      nameOf?: ((actorId: string) => string) | undefined;
    } = {},
  ): { confirmation: Confirmation; message: Message } | undefined {
    const confirmation = this.#deps.confirmations.get(code);
    if (confirmation === undefined) return undefined;
    const locale = options.locale ?? this.localeFor({ room: { id: confirmation.room } });
    const message = decidedPromptMessage(confirmation, locale, {
      who: options.who,
      nameOf: options.nameOf,
      timeZone: this.#deps.catalog.timeZone,
    });
    return message === undefined ? undefined : { confirmation, message };
  }

  /** Marks jobs whose process died as interrupted; the caller reports them in their rooms. */
  recover(isAlive: (pid: number) => boolean): JobRecord[] {
    const interrupted = this.#deps.jobs.interruptOrphans(isAlive);
    for (const job of interrupted) auditInterrupted(this.#deps.audit, job, this.#now());
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
    // Said before the lock and the job: a command that cannot work at all is not tried.
    if (command.needs === 'backups' && this.#deps.backups === undefined) {
      throw new UserError('backup-not-configured');
    }
    const lockKey = this.#lockKey(parsed);
    if (lockKey !== undefined) this.#runner.refuseIfBusy(lockKey);
    // Others must agree first (approvals.commands); the approved command comes back here
    // with `approved` set (through its confirmation too), which must be this very command
    // of this very person, approved and not used yet.
    const approvals = this.#deps.approvals;
    const approved = call.invocation.approved;
    if (approved !== undefined) {
      if (approvals === undefined) throw new UserError('approval-unknown', { id: approved });
      checkRelease(approvals.store, approved, call.invocation, false);
    }
    const rule =
      approvals === undefined || dryRun || approved !== undefined
        ? undefined
        : ruleFor(approvals.rules, command, lockKey);
    // Described (its arguments and plan checked) before an approval is filed: input that
    // cannot work gets its error and files nothing.
    const describe =
      command.describe !== undefined &&
      !dryRun &&
      (call.invocation.preconfirmed !== true || rule !== undefined);
    const described = describe ? await command.describe?.(ctx, input) : undefined;
    if (approvals !== undefined && rule !== undefined) {
      return requestApproval(approvals, this.#deps.catalog, call, rule, (room) =>
        this.localeFor({ room: { id: room } }),
      );
    }
    if (described !== undefined && call.invocation.preconfirmed !== true) {
      const steps = typeof described === 'string' ? [described] : described;
      for (let step = call.invocation.confirmedSteps ?? 0; step < steps.length; step++) {
        const description = this.#redact(steps[step] ?? '');
        const mode = call.sink.confirm;
        if (mode.kind === 'refuse') {
          throw new UserError('confirmation-required', { command: command.name });
        }
        if (mode.kind === 'pending')
          return pendingOutcome(this.#deps, call, command, description, step);
        if (!(await mode.ask(description))) throw new UserError('confirmation-declined');
      }
    }
    if (dryRun) return this.#success(await command.run(ctx, input));
    // Used once, as it runs: a second run of the same approval is refused.
    if (approved !== undefined && approvals !== undefined) {
      checkRelease(approvals.store, approved, call.invocation, true);
    }
    return this.#run(call, parsed);
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
      text: this.#redact(this.#recorded(call, parsed)),
      actor: call.actor.id,
      room: call.invocation.room.id,
      service: lockKey,
      lockKey,
    });
    try {
      // A cancel after the work's point of no return did not stop it: say so with the result.
      let late: string | undefined;
      const result = await this.#runner.run(
        job,
        undefined,
        (fraction, text) => call.sink.progress({ jobId: job.id, fraction, text }),
        (handle) => command.run(this.#context(call, handle, handle.signal), input),
        (end) => {
          if (!end.ok) return this.#errorSummary(end.error, call.locale);
          if (end.lateCancel) late = localize(lateCancelText, call.locale);
          return [this.#summary(end.value.message), late].filter((s) => s !== undefined).join(' ');
        },
      );
      const message: Message =
        late === undefined
          ? result.message
          : { ...result.message, text: [result.message.text, late].filter(Boolean).join('\n') };
      return { ...this.#success({ ...result, message }), jobId: job.id };
    } catch (error) {
      return outcomeFromError(error, call.locale, this.#deps.log, job.id);
    }
  }

  /**
   * The tokens of a command line; plain words that are no command (a teacher's request)
   * become the command they mean when the `interpret` of the deps knows them.
   */
  #tokens(text: string): string[] {
    const first = text.trim().split(/\s+/)[0] ?? '';
    const interpret = this.#deps.interpret;
    if (interpret !== undefined && first !== '' && this.#deps.registry.find(first) === undefined) {
      const tokens = text.length <= maxInputLength ? interpret(text) : undefined;
      if (tokens !== undefined) return tokens;
    }
    return tokenize(text);
  }

  /**
   * Plain words may begin with a command's name or alias ("заявка на установку плагина",
   * "plugin needed: …"): when they do not parse as that command, the plain-words reader
   * gets its turn before the command's error is said.
   */
  #parse(text: string, locale: Locale): ParsedCommand {
    const { registry, catalog, interpret } = this.#deps;
    try {
      return parseCommand(registry, catalog, this.#tokens(text), locale);
    } catch (error) {
      if (!isUserError(error) || interpret === undefined || text.length > maxInputLength) {
        throw error;
      }
      const tokens = interpret(text);
      if (tokens === undefined) throw error;
      return parseCommand(registry, catalog, tokens, locale);
    }
  }

  async #approve(
    call: Call,
    id: number,
    verdict: ApprovalVerdict,
    reason: string,
  ): Promise<CommandResult> {
    const approvals = this.#deps.approvals;
    if (approvals === undefined) throw new UserError('approval-unknown', { id });
    // The card names people as the messengers know them (as plugin cards do), not by id.
    const names = approvals.names;
    if (names !== undefined) {
      names.set(call.actor.id, call.actor.displayName);
      const approval = approvals.store.get(id);
      const unknown = [
        ...new Set([approval?.actor, ...(approval?.votes.map((v) => v.actor) ?? [])]),
      ].filter((a): a is string => a !== undefined && !names.has(a));
      const found = await (this.#deps.people ?? idsOnly).names(unknown);
      for (const a of unknown) names.set(a, found.get(a) ?? a);
    }
    return decideCommandApproval(approvals, this.#deps.catalog, call, id, verdict, reason, {
      localeOf: (room) => this.localeFor({ room: { id: room } }),
      nameOf: (actorId) =>
        actorId === call.actor.id ? call.actor.displayName : cardName(approvals, actorId),
      rerun: (inv, sink) => this.invoke(inv, sink),
    });
  }

  /** The value of the argument a mutating command locks on (its service), if any. */
  #lockKey({ command, input }: ParsedCommand): string | undefined {
    const lockArg = command.mutating?.lock;
    const value = lockArg === undefined ? undefined : input[lockArg];
    return typeof value === 'string' ? value : undefined;
  }

  /** The text kept in the audit log and the job list (see CommandDefinition.recordedText). */
  #recorded(call: Call, parsed: ParsedCommand | undefined): string {
    return parsed?.command.recordedText?.(parsed.input) ?? call.invocation.text;
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

  #context(call: Call, job: JobBinding | undefined, signal: AbortSignal): CommandContext {
    return buildContext({
      deps: this.#deps,
      call,
      job,
      signal,
      redact: this.#redact,
      decide: (code, decision) =>
        decideConfirmation(this.#deps, call, code, decision, (inv, sink) => this.invoke(inv, sink)),
      approve: (id, verdict, reason) => this.#approve(call, id, verdict, reason),
    });
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
  ): Promise<AuditRecord> {
    const result = outcome.status === 'ok' ? 'ok' : (outcome.errorCode ?? outcome.status);
    return this.#auditCommit.add({
      at: started,
      actor: call.actor.id,
      room: call.invocation.room.id,
      source: call.invocation.source,
      raw: this.#redact(this.#recorded(call, parsed)),
      command:
        parsed === undefined
          ? ''
          : parsed.command.recordedText === undefined
            ? `${parsed.command.name} ${JSON.stringify(parsed.input)}`
            : parsed.command.name,
      decision,
      result: outcome.jobId === undefined ? result : `${result} (job ${outcome.jobId})`,
      durationMs: this.#now().getTime() - started.getTime(),
    });
  }
}
