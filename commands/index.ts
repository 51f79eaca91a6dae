/** Every command the bot knows, in the order help lists them. */
import type { AnyCommand } from '../src/core/command.ts';
import audit from './audit.ts';
import cancel from './cancel.ts';
import confirm from './confirm.ts';
import decline from './decline.ts';
import help from './help.ts';
import job from './job.ts';
import jobs from './jobs.ts';
import status from './status.ts';
import whoami from './whoami.ts';

export const commands: readonly AnyCommand[] = [
  help,
  whoami,
  status,
  jobs,
  job,
  cancel,
  confirm,
  decline,
  audit,
];
