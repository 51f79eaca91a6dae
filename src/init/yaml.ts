/** The text of the configuration `pes init` writes: its header, then plain YAML. */
import { stringify } from 'yaml';
import type { PlannedService } from './plan.ts';

export interface ConfigTextContext {
  /** The engine the services were read from, as shown to people. */
  readonly host: string;
  readonly now: Date;
  readonly projects: readonly string[];
}

const header = (context: ConfigTextContext): string =>
  [
    `# pes-bot configuration written by \`pes init\` on ${context.now.toISOString()}`,
    `# from the containers of the Docker engine at ${context.host}` +
      (context.projects.length > 0 ? ` (Compose projects: ${context.projects.join(', ')}).` : '.'),
    '#',
    '# Every key is explained in config/pes.example.yaml and the README ("Configuration").',
    '# Next: backups (backup:), Mattermost (mattermost:), Matrix (matrix:), alerts (alerts:),',
    '# and who may do what (roles:). Check the result with `./pes doctor`.',
    '',
  ].join('\n');

export function configText(
  services: readonly PlannedService[],
  context: ConfigTextContext,
): string {
  const body = {
    state: { path: 'state/pes.db' },
    server: { host: '127.0.0.1', port: 8080 },
    // The engine as `pes init` found it: DOCKER_HOST or the default socket, read at each start.
    docker: {},
    services: Object.fromEntries(
      services.map((s) => [
        s.name,
        {
          containers: s.containers,
          ...(s.volumes.length > 0 ? { volumes: s.volumes } : {}),
        },
      ]),
    ),
    // The unix user running the bot may do everything from its terminal; nobody else yet.
    roles: { admin: { members: ['local:@me'], commands: ['*'] } },
    rooms: { terminal: { address: 'terminal' } },
  };
  return header(context) + stringify(body, { lineWidth: 100 });
}
