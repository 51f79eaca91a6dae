/** The bot's own queue in front of a repository: shared work together, exclusive work alone. */
import { describe, expect, it } from 'vitest';
import { RepositoryQueue, repositoryQueue } from '../../src/backup/engines/repo-lock.ts';

function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe('RepositoryQueue', () => {
  it('runs shared work side by side and exclusive work alone, in order', async () => {
    const queue = new RepositoryQueue();
    const events: string[] = [];
    const a = gate();
    const b = gate();
    const first = queue.shared(async () => {
      events.push('a start');
      await a.promise;
      events.push('a end');
    });
    const second = queue.shared(async () => {
      events.push('b start');
      await b.promise;
      events.push('b end');
    });
    const writer = queue.exclusive(() => {
      events.push('w');
      return Promise.resolve();
    });
    // A waiting writer holds back later readers, so retention is not starved by backups.
    const late = queue.shared(() => {
      events.push('late');
      return Promise.resolve();
    });
    await Promise.resolve();
    expect(events).toEqual(['a start', 'b start']);
    a.open();
    b.open();
    await Promise.all([first, second, writer, late]);
    expect(events).toEqual(['a start', 'b start', 'a end', 'b end', 'w', 'late']);
  });

  it('a cancelled waiter leaves the queue and rejects with the reason', async () => {
    const queue = new RepositoryQueue();
    const hold = gate();
    const running = queue.exclusive(() => hold.promise);
    const controller = new AbortController();
    const waiting = queue.shared(() => Promise.resolve('ran'), controller.signal);
    controller.abort(new Error('cancelled'));
    await expect(waiting).rejects.toThrow('cancelled');
    hold.open();
    await running;
    await expect(queue.shared(() => Promise.resolve('next'))).resolves.toBe('next');
  });

  it('a failing task releases the queue', async () => {
    const queue = new RepositoryQueue();
    await expect(queue.exclusive(() => Promise.reject(new Error('x')))).rejects.toThrow('x');
    await expect(queue.exclusive(() => Promise.resolve(1))).resolves.toBe(1);
  });

  it('is one per engine and repository in the process', () => {
    expect(repositoryQueue('restic', '/r')).toBe(repositoryQueue('restic', '/r'));
    expect(repositoryQueue('restic', '/r')).not.toBe(repositoryQueue('borg', '/r'));
  });
});
