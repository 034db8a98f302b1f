import { describe, expect, it } from 'vitest';
import { formatJob, sum, type JobMetrics } from '../../src/index.ts';
import { marbles, withSession } from '../support/tables.ts';

describe('formatJob', () => {
  it('prints a line per stage: tasks, durations, rows, shuffle, retries and executors', () => {
    const task = (partition: number, durationMs: number, executorId: string) => ({
      stageId: 1, partition, attempt: 1, durationMs, executorId, executorRunMs: durationMs / 2,
      inputRows: 0, outputRows: 0, shuffleWriteRecords: 0, shuffleWriteBytes: 0, shuffleReadRecords: 0, shuffleReadBytes: 0,
    });
    const job: JobMetrics = {
      jobId: 7, action: 'collect', executor: 'cpu (1 × 2 CPU threads)', durationMs: 12.34,
      stages: [{
        stageId: 1, kind: 'ShuffleMapStage', numTasks: 3, startMs: 0, durationMs: 10, failedAttempts: 1,
        inputRows: 600, outputRows: 30, shuffleWriteRecords: 30, shuffleWriteBytes: 480, shuffleReadRecords: 0, shuffleReadBytes: 0,
        tasks: [task(0, 3, 'executor-1.1'), task(1, 1, 'executor-1.2'), task(2, 2, 'executor-1.1')],
      }],
    };
    expect(formatJob(job)).toBe([
      'Job 7 (collect) on cpu (1 × 2 CPU threads): 12.3 ms',
      '  Stage 1 ShuffleMapStage: 3 tasks, 10.0 ms (task min/median/max 1.0/2.0/3.0 ms), rows in 600 out 30, ' +
        'shuffle write 30 rec / 480 B, read 0 rec / 0 B, 1 failed attempts retried, executors executor-1.1 executor-1.2 (running 3.0 of 6.0 task ms)',
    ].join('\n'));
  });

  it('describes a real job', async () => {
    await withSession(async (s) => {
      await s.fromArrow(marbles(), { partitions: 2 }).groupBy('bag').agg(sum('marbles')).collect();
      const text = formatJob(s.lastJob!);
      // Each map task pre-aggregates its 3 rows into 2 groups: 4 partial groups are shuffled.
      expect(text).toMatch(/^Job 1 \(collect\) on cpu: \d+\.\d ms\n {2}Stage 1 ShuffleMapStage: 2 tasks, .*rows in 6 out 4, shuffle write 4 rec \/ \d+ B/);
      expect(text).toMatch(/\n {2}Stage 2 ResultStage: 1 tasks, .*rows in 4 out 3, .*read 4 rec \/ \d+ B, executors executor-1\.\d/);
    });
  });
});
