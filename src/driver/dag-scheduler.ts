/**
 * The driver's job runner: one job per action. An aggregation runs as two stages split at the
 * exchange; the shuffle keeps every map task's blocks keyed (map task, reduce partition) until
 * the result stage reads them. A scan-only job is a single result stage.
 *
 *   ShuffleMapStage: task m = runMap(partition m) → blocks[m][0..P)
 *   ResultStage:     task p = runReduce(blocks[0..M)[p]) → record batch p
 *   driver:          gather batches → having filter → sort → Table
 */
import * as arrow from 'apache-arrow';
import type { Executor } from '../executor/task.ts';
import { blockBytes, type ShuffleBlock } from '../shuffle/shuffle-block.ts';
import type { PhysicalPlan } from '../plan/physical-plan.ts';
import { newStage, type JobMetrics } from './metrics.ts';
import { runStage, type FaultInjector } from './run-stage.ts';
import { sortTable } from './sort.ts';
import { CpuExecutor } from '../executor/cpu/cpu-executor.ts';

export interface JobOptions {
  readonly jobId: number;
  readonly action: string;
  readonly cores: number;
  readonly maxTaskAttempts: number;
  readonly faults?: FaultInjector;
}

const driverSide = new CpuExecutor();

export async function runJob(plan: PhysicalPlan, executor: Executor, opts: JobOptions): Promise<{ table: arrow.Table; metrics: JobMetrics }> {
  const t0 = performance.now();
  const metrics: JobMetrics = { jobId: opts.jobId, action: opts.action, executor: executor.kind, durationMs: 0, stages: [] };
  const partitions = plan.source.partitions;
  let batches: arrow.RecordBatch[];
  const spec = plan.aggregation;
  if (!spec) {
    const stage = newStage(1, 'ResultStage', partitions.length);
    metrics.stages.push(stage);
    const out = await runStage(stage, partitions.map((batchesOf, p) => ({
      partition: p,
      run: async () => {
        const r = await executor.runScan(plan.source.schema, plan.filter, batchesOf);
        const rows = r.batches.reduce((a, b) => a + b.numRows, 0);
        return { value: r.batches, metrics: zero(r.inputRows, rows) };
      },
    })), opts.cores, opts.maxTaskAttempts, opts.faults);
    batches = out.flat();
  } else {
    const mapStage = newStage(1, 'ShuffleMapStage', partitions.length);
    metrics.stages.push(mapStage);
    const mapOut = await runStage(mapStage, partitions.map((batchesOf, p) => ({
      partition: p,
      run: async () => {
        const r = await executor.runMap(spec, batchesOf);
        const m = zero(r.inputRows, r.outputRows);
        m.shuffleWriteRecords = r.blocks.reduce((a, b) => a + b.rows, 0);
        m.shuffleWriteBytes = r.blocks.reduce((a, b) => a + blockBytes(b), 0);
        return { value: r.blocks, metrics: m };
      },
    })), opts.cores, opts.maxTaskAttempts, opts.faults);
    const resultStage = newStage(2, 'ResultStage', spec.partitions);
    metrics.stages.push(resultStage);
    batches = await runStage(resultStage, Array.from({ length: spec.partitions }, (_, p) => ({
      partition: p,
      run: async () => {
        const blocks: ShuffleBlock[] = mapOut.map((blocksOf) => blocksOf[p]);
        const { batch } = await executor.runReduce(spec, blocks);
        const m = zero(0, batch.numRows);
        m.shuffleReadRecords = blocks.reduce((a, b) => a + b.rows, 0);
        m.shuffleReadBytes = blocks.reduce((a, b) => a + blockBytes(b), 0);
        m.inputRows = m.shuffleReadRecords;
        return { value: batch, metrics: m };
      },
    })), opts.cores, opts.maxTaskAttempts, opts.faults);
  }
  batches = batches.filter((b) => b.numRows > 0);
  let table = batches.length ? new arrow.Table(batches) : new arrow.Table(plan.outputSchema);
  if (plan.having) {
    const r = await driverSide.runScan(plan.output, plan.having, table.batches);
    table = r.batches.some((b) => b.numRows > 0) ? new arrow.Table(r.batches.filter((b) => b.numRows > 0)) : new arrow.Table(plan.outputSchema);
  }
  table = sortTable(table, plan.sort);
  metrics.durationMs = performance.now() - t0;
  return { table, metrics };
}

function zero(inputRows: number, outputRows: number) {
  return { inputRows, outputRows, shuffleWriteRecords: 0, shuffleWriteBytes: 0, shuffleReadRecords: 0, shuffleReadBytes: 0 };
}
