import { describe, expect, it } from 'vitest';
import { Int32, Int64 } from 'apache-arrow';
import { ArithmeticOverflowError, sum, TaskFailedError, type ProgressEvent } from '../../src/index.ts';
import { collectRows, marbles, tableOf, withSession } from '../support/tables.ts';

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

describe('failed attempts, as a user sees them', () => {
  it('reports each failed attempt as a taskEnd event with its error, then the retry that succeeded', async () => {
    const events: ProgressEvent[] = [];
    await withSession(async (s) => {
      // One map task, so the other executor thread is idle when it is retried.
      await collectRows(s.fromArrow(marbles(), { partitions: 1 }).groupBy('bag').agg(sum('marbles').as('s')));
    }, {
      onProgress: (e) => events.push(e),
      faultInjector: (stage, partition, attempt) => (stage === 1 && partition === 0 && attempt === 1 ? 'throw' : undefined),
    });
    const ends = events.filter((e): e is Extract<ProgressEvent, { type: 'taskEnd' }> => e.type === 'taskEnd' && e.stageId === 1 && e.task.partition === 0);
    expect(ends.map((e) => [e.task.attempt, e.error])).toEqual([[1, 'Error: injected task failure'], [2, undefined]]);
    // Retried on another executor than the one it failed on.
    expect(ends[0]!.task.executorId).toMatch(/^executor-1\.\d$/);
    expect(ends[1]!.task.executorId).not.toBe(ends[0]!.task.executorId);
    const jobEnd = events.at(-1)!;
    expect(jobEnd.type === 'jobEnd' && jobEnd.job.stages[0]!.failedAttempts).toBe(1);
  });

  it('does not retry an error of the query itself: one attempt, the typed error, no record of the job', async () => {
    const attempts: string[] = [];
    await withSession(async (s) => {
      const t = tableOf({ k: [new Int32(), [1, 1]], v: [new Int64(), [2n ** 62n, 2n ** 62n]] });
      const before = s.jobs.length;
      const err = await s.fromArrow(t, { partitions: 1 }).groupBy('k').agg(sum('v')).collect().then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(ArithmeticOverflowError);
      // The overflow shows in the final aggregation: every task ran once, none was retried.
      expect(attempts.filter((a) => a.startsWith('2/')).length).toBeGreaterThan(0);
      expect(attempts.every((a) => a.endsWith('/1'))).toBe(true);
      // session.jobs lists finished jobs; the failed one is not among them, and the next job's id follows it.
      expect(s.jobs.length).toBe(before);
      await collectRows(s.fromArrow(marbles()).groupBy('bag').agg(sum('marbles')));
      expect(s.lastJob!.jobId).toBe(2);
    }, { faultInjector: (stage, partition, attempt) => { attempts.push(`${stage}/${partition}/${attempt}`); } });
  });
});
