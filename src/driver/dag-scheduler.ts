/**
 * The driver's job runner: one job per action. An aggregation runs as two stages split at the
 * exchange; the shuffle keeps every map task's blocks keyed (map task, reduce partition) until
 * the result stage reads them. A scan-only job is a single result stage.
 *
 *   ShuffleMapStage: task m = runMap(partition m) → block m ordered by reduce partition, offsets m
 *   ResultStage:     task r = runReduce(rows of partitions [a, b) of blocks 0..M) → record batch r
 *   driver:          gather batches → having filter → project → sort, limit → Table
 *
 * Under orderBy(...).limit(n), each result task's rows are filtered, projected and cut to their
 * first n in that order as soon as they are back (top-N): the job's first n are among them, and
 * the driver sorts tasks × n rows instead of all of them.
 */
import * as arrow from 'apache-arrow';
import type { Executor, ScanResult, ScanStats, StageMerge, StagePlacement, StageWork, TopRows } from '../executor/task.ts';
import { blockBytes, partitionRows, type MapOutput, type ReduceBlock, type StoredMapOutput } from '../shuffle/shuffle-block.ts';
import { outputSchema, queryKeys, type AggregationSpec } from '../plan/aggregation-spec.ts';
import { projectTable } from './project-table.ts';
import { topNOf, type PhysicalPlan } from '../plan/physical-plan.ts';
import { stagesOf } from '../plan/explain.ts';
import { newStage, type JobMetrics, type StageMetrics } from './metrics.ts';
import type { ProgressListener } from './progress.ts';
import { runStage, zeroCounts, type FaultInjector, type StageOptions } from './run-stage.ts';
import { sortTable, topRows } from '../arrow/sort-table.ts';
import { coalescePartitions } from './coalesce-partitions.ts';
import { CpuExecutor } from '../executor/cpu/cpu-executor.ts';
import { readInput } from './read-input.ts';

export interface JobOptions {
  readonly jobId: number;
  readonly action: string;
  /** Tasks at a time when the executor does not say. */
  readonly cores: number;
  readonly maxTaskAttempts: number;
  readonly faults?: FaultInjector;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
}

const driverSide = new CpuExecutor();

export async function runJob(plan: PhysicalPlan, executor: Executor, opts: JobOptions): Promise<{ table: arrow.Table; metrics: JobMetrics }> {
  const t0 = performance.now();
  const metrics: JobMetrics = { jobId: opts.jobId, action: opts.action, executor: executor.kind, durationMs: 0, stages: [] };
  const stageOpts: StageOptions = {
    jobId: opts.jobId, slots: (executor.slots ?? opts.cores) * (executor.queueDepth ?? 1), maxAttempts: opts.maxTaskAttempts,
    faults: opts.faults, signal: opts.signal, onProgress: opts.onProgress,
  };
  opts.onProgress?.({
    type: 'jobStart', jobId: opts.jobId, action: opts.action,
    stages: stagesOf(plan).map((s, i) => ({ stageId: i + 1, kind: s.kind, numTasks: s.tasks })),
  });
  try {
    const table = await stages(plan, executor, metrics, stageOpts, t0);
    metrics.durationMs = performance.now() - t0;
    opts.onProgress?.({ type: 'jobEnd', jobId: opts.jobId, job: metrics });
    return { table, metrics };
  } catch (e) {
    metrics.durationMs = performance.now() - t0;
    opts.onProgress?.({ type: 'jobEnd', jobId: opts.jobId, job: metrics, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
    throw e;
  } finally {
    await executor.endJob?.(opts.jobId);
  }
}

/**
 * A scan whose limit(n) is taken before any sort is done once its first partitions, in order,
 * hold n rows: the first n rows of the result are theirs, whatever the later partitions hold.
 */
function limitReached(plan: PhysicalPlan): StageOptions['enough'] {
  const n = plan.limit;
  if (n === null || topNOf(plan) !== null) return undefined;
  return (results) => {
    let rows = 0;
    for (const r of results as readonly (arrow.RecordBatch[] | undefined)[]) {
      if (rows >= n || r === undefined) break;
      for (const b of r) rows += b.numRows;
    }
    return rows >= n;
  };
}

/**
 * A limited scan's options: it stops once it has its rows, and keeps no queue of tasks beyond the
 * executor's slots (tasks queued on an executor would all be under way before the first is done).
 */
function limitedScan(plan: PhysicalPlan, executor: Executor, opts: StageOptions): StageOptions {
  const enough = limitReached(plan);
  return enough ? { ...opts, enough, slots: Math.max(1, Math.floor(opts.slots / (executor.queueDepth ?? 1))) } : opts;
}

/** Each stage's work, as an executor that places stages sees it (one entry per stage of stagesOf). */
export function stageWork(plan: PhysicalPlan): StageWork[] {
  const spec = plan.aggregation;
  const files = plan.scan ? { rows: plan.scan.rows, tasks: plan.scan.tasks.length } : undefined;
  if (!spec) return [{ kind: 'scan' }];
  const map: StageWork & { kind: 'map' } = { kind: 'map', spec, partitions: plan.source.partitions, ...(files ? { files } : {}) };
  return [map, { kind: 'reduce', spec, map }];
}

/**
 * Tasks of the first stage in flight at a time: for files, `readahead` per core, so that a core's
 * next units are read and decoded while it aggregates the ones before; each holds its decoded
 * units until its partial states are out.
 */
function firstStageOptions(plan: PhysicalPlan, opts: StageOptions): StageOptions {
  return plan.source.files ? { ...opts, slots: opts.slots * plan.source.files.readahead } : opts;
}

/** The map stage's tasks, each placed where `placement` says and merging into `merge` where there is one. */
async function runMapStage(
  plan: PhysicalPlan, executor: Executor, stage: StageMetrics, opts: StageOptions & { placement?: StagePlacement; merge: StageMerge | null }, spec: AggregationSpec,
): Promise<(MapOutput | StoredMapOutput)[]> {
  const { placement, merge } = opts;
  return runStage(stage, plan.inputs.map((input, p) => ({
    partition: p,
    run: async (ctx) => {
      const taskCtx = { ...ctx, placement, ...(merge ? { merge } : {}) };
      const r = input.kind === 'file' ? await executor.runMapScan(spec, input, taskCtx) : await executor.runMap(spec, input.batches, taskCtx);
      return {
        value: r.shuffle,
        executorId: r.executorId,
        runMs: r.runMs,
        extra: { details: r.details, fallbackReason: r.fallbackReason, ...r.scan },
        counts: {
          ...zeroCounts(), inputRows: r.inputRows, outputRows: r.outputRows,
          shuffleWriteRecords: r.shuffle.block.rows,
          shuffleWriteBytes: blockBytes(r.shuffle.block),
        },
      };
    },
  })), firstStageOptions(plan, opts));
}

/** having, then the projection: row by row, over a task's rows or the gathered result. */
async function finishRows(plan: PhysicalPlan, table: arrow.Table): Promise<arrow.Table> {
  if (plan.having) {
    const r = await driverSide.runScan(plan.jobOutput, plan.having, table.batches);
    const kept = r.batches.filter((b) => b.numRows > 0);
    table = kept.length ? new arrow.Table(kept) : new arrow.Table(table.schema);
  }
  return plan.projection ? projectTable(table, plan.jobOutput, plan.projection, plan.outputSchema) : table;
}

/**
 * Top-N a scan's executor can apply itself: its sort keys are input columns, which the
 * projection (if any) passes through under their names.
 */
function scanTop(plan: PhysicalPlan, n: number | null): TopRows | undefined {
  if (n === null) return undefined;
  const passed = (c: string) => plan.source.schema.some((f) => f.name === c) &&
    (!plan.projection || plan.projection.some((p) => p.name === c && p.expr.kind === 'col' && p.expr.name === c));
  return plan.sort.every((k) => passed(k.column)) ? { keys: plan.sort, n } : undefined;
}

/** A result task's rows under top-N: finished, and its first n in order. */
async function taskTopRows(plan: PhysicalPlan, schema: arrow.Schema, batches: readonly arrow.RecordBatch[], n: number): Promise<arrow.RecordBatch[]> {
  const rows = batches.filter((b) => b.numRows > 0);
  const table = await finishRows(plan, rows.length ? new arrow.Table(rows) : new arrow.Table(schema));
  return topRows(table, plan.sort, n).batches;
}

/** `t0`: the job's start (performance.now()), which stage start times count from. */
async function stages(plan: PhysicalPlan, executor: Executor, metrics: JobMetrics, opts: StageOptions, t0: number): Promise<arrow.Table> {
  const inputs = plan.inputs;
  let batches: arrow.RecordBatch[];
  const spec = plan.aggregation;
  const jobSchema = spec ? outputSchema(spec) : plan.source.arrowSchema;
  const n = topNOf(plan);
  if (!spec) {
    const placement = executor.placeStage?.(stageWork(plan)[0]);
    const top = scanTop(plan, n);
    const stage = newStage(1, 'ResultStage', inputs.length, performance.now() - t0, placement);
    metrics.stages.push(stage);
    const out = await runStage(stage, inputs.map((input, p) => ({
      partition: p,
      run: async (ctx) => {
        const taskCtx = { ...ctx, placement, ...(top ? { top } : {}) };
        let r: ScanResult, scan: ScanStats | undefined;
        if (input.kind === 'file' && executor.runScanFile) {
          r = await executor.runScanFile(plan.source.schema, plan.filter, input, taskCtx);
          scan = r.scan;
        } else {
          const read = await readInput(executor, input, ctx);
          r = await executor.runScan(plan.source.schema, plan.filter, read.batches, taskCtx);
          scan = read.scan;
        }
        const rows = r.batches.reduce((a, b) => a + b.numRows, 0);
        return { value: n === null ? r.batches : await taskTopRows(plan, jobSchema, r.batches, n), counts: { ...zeroCounts(), inputRows: r.inputRows, outputRows: rows }, executorId: r.executorId, runMs: r.runMs, extra: { ...scan } };
      },
    })), limitedScan(plan, executor, firstStageOptions(plan, opts)));
    batches = out.flatMap((b) => b ?? []);
  } else {
    const [mapWork, reduceWork] = stageWork(plan) as [StageWork & { kind: 'map' }, StageWork];
    const mapPlacement = executor.placeStage?.(mapWork);
    const reducePlacement = executor.placeStage?.(reduceWork);
    // A reduce placed off the CPU merges the map tasks' partial states where they are made.
    const merge = reducePlacement && reducePlacement.on !== 'cpu' ? executor.openStageMerge?.(mapWork) ?? null : null;
    const mapStage = newStage(1, 'ShuffleMapStage', inputs.length, performance.now() - t0, mapPlacement);
    metrics.stages.push(mapStage);
    let mapOut: (MapOutput | StoredMapOutput)[];
    try {
      mapOut = await runMapStage(plan, executor, mapStage, { ...opts, placement: mapPlacement, merge }, spec);
      if (merge) {
        const start = performance.now();
        const merged = await merge.finish({ signal: opts.signal });
        if ('fallback' in merged) {
          // The merged states cannot be used (a float sum beyond its bound): the stage again, on the CPU.
          const placement = { on: 'cpu', reason: `the CPU, after the device merge failed: ${merged.fallback}` };
          const rerun = newStage(1, 'ShuffleMapStage', inputs.length, performance.now() - t0, placement);
          metrics.stages.push(rerun);
          mapOut = await runMapStage(plan, executor, rerun, { ...opts, placement, merge: null }, spec);
        } else {
          for (const r of merged.outputs) {
            mapOut.push(r.shuffle);
            mapStage.shuffleWriteRecords += r.shuffle.block.rows;
            mapStage.shuffleWriteBytes += blockBytes(r.shuffle.block);
          }
          mapStage.merge = {
            where: merge.description, ms: performance.now() - start, groups: merged.outputs.reduce((a, r) => a + r.outputRows, 0), outputs: merged.outputs.length,
            decodedOn: merged.outputs.map((r) => r.executorId ?? 'driver'), phases: merged.phases, notes: merged.notes,
          };
        }
      }
    } finally {
      merge?.discard();
    }
    // Partitions coalesced into runs once their sizes are known; each run is one reduce task.
    const records = new Float64Array(spec.partitions);
    for (const { offsets } of mapOut) for (let p = 0; p < spec.partitions; p++) records[p] += offsets[p + 1] - offsets[p];
    // Runs sized by the slots, not by a queue kept deeper than them (queueDepth).
    const runs = coalescePartitions(records, opts.slots / (executor.queueDepth ?? 1), queryKeys(spec).length === 0);
    const resultStage = newStage(2, 'ResultStage', runs.length, performance.now() - t0, reducePlacement);
    metrics.stages.push(resultStage);
    batches = (await runStage(resultStage, runs.map((run, task) => ({
      partition: task,
      run: async (ctx) => {
        const blocks: ReduceBlock[] = [];
        for (const out of mapOut) {
          const rows = partitionRows(out, run.start, run.end);
          if (rows.rows > 0 || run.records === 0) blocks.push(rows);
        }
        const { batch, executorId, runMs, details } = await executor.runReduce(spec, blocks, { ...ctx, placement: reducePlacement });
        const read = blocks.reduce((a, b) => a + b.rows, 0);
        return {
          value: n === null ? [batch] : await taskTopRows(plan, jobSchema, [batch], n),
          executorId,
          runMs,
          ...(details ? { extra: { details } } : {}),
          counts: {
            ...zeroCounts(), inputRows: read, outputRows: batch.numRows,
            shuffleReadRecords: read, shuffleReadBytes: blocks.reduce((a, b) => a + blockBytes(b), 0),
          },
        };
      },
    })), opts)).flat();
  }
  batches = batches.filter((b) => b.numRows > 0);
  // Under top-N the tasks' rows are finished already.
  const schema = n === null ? jobSchema : plan.outputSchema;
  let table = batches.length ? new arrow.Table(batches) : new arrow.Table(schema);
  if (n === null) table = await finishRows(plan, table);
  const limit = (t: arrow.Table) => (plan.limit !== null && t.numRows > plan.limit ? t.slice(0, plan.limit) : t);
  return plan.limitBeforeSort ? sortTable(limit(table), plan.sort) : limit(sortTable(table, plan.sort));
}
