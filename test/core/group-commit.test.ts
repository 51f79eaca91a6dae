import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../src/core/group-commit.ts';

describe('GroupCommit', () => {
  it('commits writes made in the same loop turn together, each caller getting its outcome', async () => {
    const commits: number[][] = [];
    const group = new GroupCommit<number, string>((items) => {
      commits.push([...items]);
      return items.map((n) => `stored ${n}`);
    });
    const first = await Promise.all([group.add(1), group.add(2), group.add(3)]);
    const second = await group.add(4);
    expect(first).toEqual(['stored 1', 'stored 2', 'stored 3']);
    expect(second).toBe('stored 4');
    expect(commits).toEqual([[1, 2, 3], [4]]);
  });

  it('rejects every caller of a failed commit, and the next commit starts afresh', async () => {
    let fail = true;
    const group = new GroupCommit<number, number>((items) => {
      if (fail) throw new Error('disk I/O error');
      return items.map((n) => n * 2);
    });
    const outcomes = await Promise.allSettled([group.add(1), group.add(2)]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    await expect(group.add(5)).resolves.toBe(10);
  });

  it('rejects callers left without an outcome instead of answering them wrongly', async () => {
    const group = new GroupCommit<number, number>((items) => items.slice(1));
    const outcomes = await Promise.allSettled([group.add(1), group.add(2)]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected']);
  });
});
