/** Hand-made job metrics and benchmark results for the report's tests. */
import type { BenchReport } from '../../bench/bench-html.ts';
import { gpuTaskDetails, type GpuTaskDetails } from '../../src/executor/gpu/gpu-task-details.ts';
import type { JobMetrics, StageMetrics, TaskMetrics } from '../../src/index.ts';

type Counts = Pick<TaskMetrics, 'inputRows' | 'outputRows' | 'shuffleWriteRecords' | 'shuffleWriteBytes' | 'shuffleReadRecords' | 'shuffleReadBytes'>;
const COUNTS: (keyof Counts)[] = ['inputRows', 'outputRows', 'shuffleWriteRecords', 'shuffleWriteBytes', 'shuffleReadRecords', 'shuffleReadBytes'];

export function stageOf(stageId: number, kind: StageMetrics['kind'], tasks: TaskMetrics[], startMs: number, durationMs: number, failedAttempts = 0): StageMetrics {
  const sums = Object.fromEntries(COUNTS.map((k) => [k, tasks.reduce((a, t) => a + t[k], 0)])) as unknown as Counts;
  return { stageId, kind, numTasks: new Set(tasks.map((t) => t.partition)).size, startMs, durationMs, failedAttempts, tasks, ...sums };
}

/**
 * Stage 1: 3 GPU map tasks (partition 1 on its 2nd attempt; partition 2 decoded in place, the
 * others on an executor thread). Stage 2: 4 reduce tasks on two threads, one with no executor id.
 */
const gpuSplit = (mergedOn: string | undefined): GpuTaskDetails =>
  gpuTaskDetails({ adapter: 'Test <adapter>', uploadMs: 5, kernelMs: 10, readbackMs: 3, mergeMs: 4, inputBytes: 8000, uploadBytes: 8000, mergedOn, mode: 'dense' }, 'gpu Test <adapter>');

export function syntheticJob(): JobMetrics {
  const map = (partition: number, attempt: number, mergedOn: string | undefined): TaskMetrics => ({
    stageId: 1, partition, attempt, startMs: partition * 2, durationMs: 40,
    inputRows: 1000, outputRows: 10, shuffleWriteRecords: 10, shuffleWriteBytes: 400, shuffleReadRecords: 0, shuffleReadBytes: 0,
    executorId: 'gpu Test <adapter>', executorRunMs: 30,
    details: gpuSplit(mergedOn),
  });
  const reduce = (partition: number, executorId: string | undefined): TaskMetrics => ({
    stageId: 2, partition, attempt: 1, startMs: partition, durationMs: 3,
    inputRows: 7, outputRows: 2, shuffleWriteRecords: 0, shuffleWriteBytes: 0, shuffleReadRecords: 7, shuffleReadBytes: 280, executorId,
  });
  return {
    jobId: 3, action: 'collect', executor: 'gpu', durationMs: 60,
    stages: [
      stageOf(1, 'ShuffleMapStage', [map(0, 1, 'executor-1.1'), map(1, 2, 'executor-1.2'), map(2, 1, undefined)], 0.5, 45, 1),
      stageOf(2, 'ResultStage', [reduce(0, 'executor-1.1'), reduce(1, 'executor-1.2'), reduce(2, 'executor-1.1'), reduce(3, undefined)], 46, 10),
    ],
  };
}

/** A benchmark report of two queries: results OK, failed, skipped (gpu-cached on q1) and wrong. */
export const syntheticBench = (jobs: BenchReport['jobs']): BenchReport => ({
  title: 'gpuframe benchmark, 1e7 rows',
  machine: 'test machine <16 cores>',
  engines: ['cpu', 'gpu', 'gpu-cached', 'duckdb'],
  queries: [
    { id: 'q1', title: 'sum by <id1>', results: [
      { engine: 'cpu', medianMs: 120, ratioToDuckdb: 0.78, check: 'OK' },
      { engine: 'gpu', check: 'ERROR', error: 'GpuDeviceError: no adapter <&>' },
      { engine: 'duckdb', medianMs: 154, check: 'reference' },
    ] },
    { id: 'q2', title: 'high cardinality', results: [
      { engine: 'cpu', medianMs: 320, ratioToDuckdb: 1.93, check: 'MISMATCH' },
      { engine: 'gpu', medianMs: 40, ratioToDuckdb: 0.26, check: 'OK' },
      { engine: 'gpu-cached', medianMs: 12, ratioToDuckdb: 0.08, check: 'OK' },
      { engine: 'duckdb', medianMs: 154, check: 'reference' },
    ] },
  ],
  jobs,
});
