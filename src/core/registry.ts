import type { AnyCommand } from './command.ts';
import type { RegistryView } from './context.ts';

/** All commands by name and alias. Names are matched case-insensitively. */
export class Registry implements RegistryView {
  readonly #commands: readonly AnyCommand[];
  readonly #byName = new Map<string, AnyCommand>();

  constructor(commands: readonly AnyCommand[]) {
    this.#commands = commands;
    for (const command of commands) {
      for (const name of [command.name, ...(command.aliases ?? [])]) {
        const key = name.toLowerCase();
        if (this.#byName.has(key)) throw new Error(`duplicate command name: ${name}`);
        this.#byName.set(key, command);
      }
    }
  }

  list(): readonly AnyCommand[] {
    return this.#commands;
  }

  find(name: string): AnyCommand | undefined {
    return this.#byName.get(name.toLowerCase());
  }
}
