import { describe, expect, it } from 'vitest';
import { sum, TaskFailedError } from '../../src/index.ts';
import { collectRows, marbles, withSession } from '../support/tables.ts';

const expected = [
  { bag: 'Bag_A', s: 30 },
  { bag: 'Bag_B', s: 10 },
  { bag: 'Bag_C', s: 50 },
];

describe('task retries', () => {
  it('retries failed attempts and returns the exact answer: nothing lost or counted twice', async () => {
    const seen: string[] = [];
    await withSession(async (s) => {
      const rows = await collectRows(s.fromArrow(marbles(), { partitions: 3 }).groupBy('bag').agg(sum('marbles').as('s')).orderBy('bag'));
      expect(rows).toEqual(expected);
      const [map, result] = s.lastJob!.stages;
      expect(map.failedAttempts).toBe(2);
      expect(result.failedAttempts).toBe(1);
      expect(map.tasks.map((t) => [t.partition, t.attempt]).sort()).toEqual([[0, 1], [1, 3], [2, 1]]);
      expect(map.inputRows).toBe(6);
    }, {
      faultInjector: (stage, partition, attempt) => {
        seen.push(`${stage}/${partition}/${attempt}`);
        if ((stage === 1 && partition === 1 && attempt < 3) || (stage === 2 && partition === 0 && attempt === 1)) throw new Error('injected');
      },
    });
    expect(seen).toContain('1/1/3');
  });

  it('fails the job with a typed error after the last attempt, and the session stays usable', async () => {
    let failing = true;
    await withSession(async (s) => {
      const df = s.fromArrow(marbles(), { partitions: 2 }).groupBy('bag').agg(sum('marbles').as('s')).orderBy('bag');
      const err = await df.collect().then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(TaskFailedError);
      expect((err as TaskFailedError).message).toBe('task for partition 1 of stage 1 failed after 2 attempt(s): Error: disk on fire');
      expect((err as TaskFailedError).attempts).toBe(2);
      failing = false;
      expect(await collectRows(df)).toEqual(expected);
    }, {
      maxTaskAttempts: 2,
      faultInjector: (stage, partition) => { if (failing && stage === 1 && partition === 1) throw new Error('disk on fire'); },
    });
  });
});
