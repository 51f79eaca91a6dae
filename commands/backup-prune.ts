import { dryRunOption } from '../src/core/args.ts';
import { defineCommand } from '../src/core/command.ts';
import { runPrune } from './backup-repository.ts';

export default defineCommand({
  name: 'backup-prune',
  aliases: ['бэкап-очистка'],
  summary: {
    ru: 'освободить место забытых снимков в хранилище копий (также: backup prune)',
    en: 'free the space of forgotten snapshots in the backup repository (also: backup prune)',
  },
  args: [],
  options: [dryRunOption],
  mutating: {},
  needs: 'backups',
  run: (ctx, input) => runPrune(ctx, input.dryRun),
});
