/**
 * What a container is after an update was put back, in both languages, from what the
 * engine says once the rollback is over (never from what the rollback meant to do).
 */
import type { ContainerInspectInfo } from 'dockerode';
import type { DockerConnection } from './client.ts';
import { hasEngineStatus, inspectContainerInfo } from './container-ops.ts';
import type { Changed } from './update-restore.ts';

export interface StateText {
  readonly ru: string;
  readonly en: string;
}

export const unchanged: StateText = { ru: 'не тронут', en: 'unchanged' };

/** The old container is back under its name. */
export function describeRestored(info: ContainerInspectInfo, wasRunning: boolean): StateText {
  if (!info.State.Running) {
    return wasRunning
      ? { ru: 'возвращён, но НЕ работает', en: 'restored, but NOT running' }
      : { ru: 'возвращён, остановлен, как и был', en: 'restored, stopped as it was' };
  }
  const health = info.State.Health?.Status;
  if (health === 'healthy')
    return { ru: 'возвращён, работает, здоров', en: 'restored, running, healthy' };
  if (health === undefined || health === 'none') {
    return { ru: 'возвращён, работает', en: 'restored, running' };
  }
  return { ru: 'возвращён, работает, но не здоров', en: 'restored, running, but not healthy' };
}

/** The rollback of this container failed: where its old and new containers are now. */
export async function describeUnrestored(
  connection: DockerConnection,
  entry: Changed,
  replacementsOf: (c: DockerConnection, e: Changed) => Promise<ContainerInspectInfo[]>,
): Promise<StateText> {
  try {
    const old = await inspectContainerInfo(connection, entry.oldId).catch((error: unknown) => {
      if (hasEngineStatus(error, 404)) return undefined;
      throw error;
    });
    const news = await replacementsOf(connection, entry);
    const oldText =
      old === undefined
        ? { ru: 'старого контейнера нет', en: 'the old container is gone' }
        : {
            ru: `старый — ${nameOf(old)}, ${old.State.Running ? 'работает' : 'остановлен'}`,
            en: `the old one is ${nameOf(old)}, ${old.State.Running ? 'running' : 'stopped'}`,
          };
    const newText =
      news.length === 0
        ? { ru: 'нового нет', en: 'no new one' }
        : {
            ru: `новый — ${news.map((n) => `${nameOf(n)} (${n.State.Status})`).join(', ')}`,
            en: `new: ${news.map((n) => `${nameOf(n)} (${n.State.Status})`).join(', ')}`,
          };
    return {
      ru: `НЕ возвращён: ${oldText.ru}; ${newText.ru}`,
      en: `NOT restored: ${oldText.en}; ${newText.en}`,
    };
  } catch {
    return { ru: 'НЕ возвращён, состояние неизвестно', en: 'NOT restored, state unknown' };
  }
}

function nameOf(info: ContainerInspectInfo): string {
  return info.Name.replace(/^\//, '');
}
