import { describe, expect, it } from 'vitest';
import {
  replicaName,
  replicasToCreate,
  replicasToRemove,
} from '../../../src/platforms/docker/scale-names.ts';

const compose = { project: 'pes', service: 'moodle' };
const none = (): boolean => false;

describe('replica names and numbers', () => {
  it('follows the Compose v2 pattern when the first replica does', () => {
    expect(replicaName({ name: 'pes-moodle-1', number: 1 }, compose, 4)).toBe('pes-moodle-4');
  });

  it('appends the number to any other first name', () => {
    expect(replicaName({ name: 'moodle', number: 1 }, compose, 2)).toBe('moodle-2');
    expect(replicaName({ name: 'pes_moodle_1', number: 1 }, compose, 2)).toBe('pes_moodle_1-2');
  });

  it('numbers new replicas after the highest in use, as Compose does', () => {
    const existing = [
      { name: 'pes-moodle-1', number: 1 },
      { name: 'pes-moodle-3', number: 3 },
    ];
    expect(replicasToCreate(existing, compose, 2, none)).toEqual([
      { name: 'pes-moodle-4', number: 4 },
      { name: 'pes-moodle-5', number: 5 },
    ]);
  });

  it('skips a name another container already holds', () => {
    const taken = (name: string): boolean => name === 'pes-moodle-2';
    expect(replicasToCreate([{ name: 'pes-moodle-1', number: 1 }], compose, 1, taken)).toEqual([
      { name: 'pes-moodle-3', number: 3 },
    ]);
  });

  it('creates nothing for a count of 0 or less', () => {
    expect(replicasToCreate([{ name: 'pes-moodle-1', number: 1 }], compose, 0, none)).toEqual([]);
    expect(replicasToCreate([], compose, 2, none)).toEqual([]);
  });

  it('removes the highest numbers first', () => {
    const existing = [
      { name: 'pes-moodle-1', number: 1 },
      { name: 'pes-moodle-2', number: 2 },
      { name: 'pes-moodle-10', number: 10 },
    ];
    expect(replicasToRemove(existing, 2).map((r) => r.name)).toEqual([
      'pes-moodle-10',
      'pes-moodle-2',
    ]);
    expect(replicasToRemove(existing, 0)).toEqual([]);
  });
});
