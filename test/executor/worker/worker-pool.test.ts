import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { count, sum, TaskFailedError, type JobMetrics } from '../../../src/index.ts';
import type { ProgressEvent } from '../../../src/index.ts';
import { collectRows, marbles, withSession } from '../../support/tables.ts';
import { INDEX, runScript } from '../../support/child-script.ts';

const bags = (df: ReturnType<import('../../../src/index.ts').Session['fromArrow']>) =>
  df.groupBy('bag').agg(sum('marbles').as('s'), count().as('n')).orderBy('bag');
const expected = [
  { bag: 'Bag_A', s: 30, n: 2 },
  { bag: 'Bag_B', s: 10, n: 2 },
  { bag: 'Bag_C', s: 50, n: 2 },
];

describe('executors on worker threads', () => {
  it('runs tasks on several executor threads and reports which ran each task', async () => {
    await withSession(async (s) => {
      expect(await collectRows(bags(s.fromArrow(marbles(), { partitions: 6 })))).toEqual(expected);
      const ids = new Set(s.lastJob!.stages.flatMap((st) => st.tasks.map((t) => t.executorId)));
      expect([...ids].every((id) => /^executor-[12]\.[12]$/.test(String(id)))).toBe(true);
    }, { executors: 2, cores: 2 });
  });

  it('retries a task whose executor dies mid-task on another executor: exact answer, nothing counted twice', async () => {
    await withSession(async (s) => {
      const rows = await collectRows(bags(s.fromArrow(marbles(), { partitions: 3 })));
      expect(rows).toEqual(expected);
      const map = s.lastJob!.stages[0];
      expect(map.failedAttempts).toBe(1);
      const retried = map.tasks.find((t) => t.partition === 1)!;
      expect(retried.attempt).toBe(2);
      expect(map.inputRows).toBe(6);
      // The executor died; the pool replaced it and the session keeps working.
      expect(await collectRows(bags(s.fromArrow(marbles(), { partitions: 3 })))).toEqual(expected);
    }, { cores: 2, faultInjector: (stage, partition, attempt) => (stage === 1 && partition === 1 && attempt === 1 ? 'crash' : undefined) });
  });

  it('retries tasks that throw on their executor on chosen attempts, in both stages', async () => {
    await withSession(async (s) => {
      expect(await collectRows(bags(s.fromArrow(marbles(), { partitions: 2 })))).toEqual(expected);
      expect(s.lastJob!.stages.map((st) => st.failedAttempts)).toEqual([2, 3]);
    }, {
      cores: 2,
      faultInjector: (stage, partition, attempt) =>
        (stage === 1 && partition === 0 && attempt <= 2) || (stage === 2 && attempt <= 3 && partition === 0) ? 'throw' : undefined,
    });
  });

  it('fails with TaskFailedError naming stage, partition, attempts and cause when an executor keeps dying', async () => {
    let crash = true;
    await withSession(async (s) => {
      const err = await bags(s.fromArrow(marbles(), { partitions: 2 })).collect().then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(TaskFailedError);
      expect((err as Error).message).toMatch(/^task for partition 0 of stage 1 failed after 3 attempt\(s\): ExecutorLostError: executor executor-1\.\d was lost while running a task: its thread exited with code 70$/);
      crash = false;
      expect(await collectRows(bags(s.fromArrow(marbles(), { partitions: 2 })))).toEqual(expected);
    }, { cores: 2, maxTaskAttempts: 3, faultInjector: (stage, partition) => (crash && stage === 1 && partition === 0 ? 'crash' : undefined) });
  });

  it('leaves no abort listener behind on a signal that outlives its jobs', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const ctl = new AbortController();
      await withSession(async (s) => {
        const df = bags(s.fromArrow(marbles(), { partitions: 3 }));
        // Every job listens on the session's own signal (close() aborts it) and on the caller's.
        for (let i = 0; i < 30; i++) await df.collect(i % 2 ? { signal: ctl.signal } : {});
        expect(getEventListeners(ctl.signal, 'abort')).toHaveLength(0);
      }, { cores: 2 });
      await new Promise((r) => setImmediate(r)); // warnings are emitted on a later tick
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).toEqual([]);
  });

  it('reports progress: job and stage start and end, and every task with its metrics', async () => {
    const events: ProgressEvent[] = [];
    await withSession(async (s) => {
      await bags(s.fromArrow(marbles(), { partitions: 3 })).collect();
    }, { cores: 2, shufflePartitions: 2, onProgress: (e) => events.push(e) });
    // At job start a result stage has as many tasks as shuffle partitions at most; once the map
    // stage has run, its tiny partitions are coalesced into one reduce task.
    expect(events[0]).toMatchObject({ type: 'jobStart', action: 'collect', stages: [{ stageId: 1, numTasks: 3 }, { stageId: 2, numTasks: 2 }] });
    expect(events.map((e) => e.type).filter((t) => t !== 'taskEnd')).toEqual(['jobStart', 'stageStart', 'stageEnd', 'stageStart', 'stageEnd', 'jobEnd']);
    expect(events.filter((e) => e.type === 'stageStart').map((e) => (e as { numTasks: number }).numTasks)).toEqual([3, 1]);
    const tasks = events.filter((e) => e.type === 'taskEnd');
    expect(tasks.length).toBe(4);
    const end = events[events.length - 1] as { job: JobMetrics };
    expect(end.job.stages[0].shuffleWriteRecords).toBe(end.job.stages[1].shuffleReadRecords);
  });

  it('lets the process exit on its own once sessions are closed (idle executor threads hold nothing)', () => {
    const r = runScript('exit', [
      `import { Session, sum } from ${JSON.stringify(INDEX)};`,
      `import * as arrow from 'apache-arrow';`,
      'const idle = await Session.create({ cores: 1 }); // its threads never run a task',
      'await idle.close();',
      'const s = await Session.create({ cores: 2 });',
      "const t = arrow.tableFromArrays({ k: Int32Array.from([1, 1, 2]), v: Int32Array.from([1, 2, 3]) });",
      "console.log((await s.fromArrow(t).groupBy('k').agg(sum('v')).collect()).numRows);",
      'await s.close();',
    ], process.env, 30_000);
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('2');
  });
});
