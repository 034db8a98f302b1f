/**
 * What the driver hands an executor: tasks as plain data (a plan fragment plus the partition's
 * record batches or shuffle blocks), and what comes back. An executor is anything that runs them.
 */
import type * as arrow from 'apache-arrow';
import { JobCancelledError } from '../errors.ts';
import type { TExpr, Schema } from '../expr/resolve.ts';
import type { ShuffleBlock } from '../shuffle/shuffle-block.ts';
import type { AggregationSpec } from '../plan/aggregation-spec.ts';

/** Rows and shuffle traffic, counted per task and summed per stage. */
export interface Counters {
  inputRows: number;
  outputRows: number;
  shuffleWriteRecords: number;
  shuffleWriteBytes: number;
  shuffleReadRecords: number;
  shuffleReadBytes: number;
}

export interface TaskMetrics extends Counters {
  readonly stageId: number;
  readonly partition: number;
  readonly attempt: number;
  durationMs: number;
  /** When the attempt started, in ms after its stage started. */
  startMs?: number;
  /** The executor (thread or device) the attempt ran on. */
  executorId?: string;
  /** Time the executor spent running the task; durationMs less this is scheduling and transfer. */
  executorRunMs?: number;
  /** GPU map tasks: upload / kernels / readback / merge split and the adapter. */
  gpu?: GpuTaskTimings;
  /** A GPU executor ran this task on the CPU: why. */
  fallbackReason?: string;
}

/** Where a GPU map task spent its time. */
export interface GpuTaskTimings {
  readonly adapter: string;
  readonly uploadMs: number;
  readonly kernelMs: number;
  readonly readbackMs: number;
  readonly mergeMs: number;
  /** The GPU's own time in the task's compute passes (timestamp queries), when the device has them. */
  readonly deviceKernelMs?: number;
  /** Bytes of packed input the kernels read. */
  readonly inputBytes: number;
  /** Bytes the task wrote to the device for them (next to nothing when a cached input is resident). */
  readonly uploadBytes: number;
  /** The thread that decoded the words read back into shuffle blocks (mergeMs). */
  readonly mergedOn?: string;
  /** The grouping strategy the kernels used. */
  readonly mode: string;
}

export interface MapResult {
  /** Time spent inside the executor, when it measures it. */
  readonly runMs?: number;
  /** GPU map tasks: the time split. */
  readonly gpu?: GpuTaskTimings;
  /** Set when a GPU executor ran this map task on the CPU instead, and why. */
  readonly fallbackReason?: string;
  /** One block per reduce partition. */
  readonly blocks: ShuffleBlock[];
  readonly inputRows: number;
  readonly outputRows: number;
  /** Which executor (thread or device) ran the task. */
  readonly executorId?: string;
}

export interface ReduceResult {
  /** Time spent inside the executor, when it measures it. */
  readonly runMs?: number;
  readonly batch: arrow.RecordBatch;
  readonly executorId?: string;
}

export interface ScanResult {
  /** Time spent inside the executor, when it measures it. */
  readonly runMs?: number;
  readonly batches: arrow.RecordBatch[];
  readonly inputRows: number;
  readonly executorId?: string;
}

export type TaskFault = 'throw' | 'crash' | 'hang';

/** A task attempt that blocks until its job is cancelled, then fails as cancelled ('hang' faults). */
export function hangUntilAborted(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_, reject) => {
    if (!signal) return; // nothing can end it: the test that asked for it must pass a signal
    if (signal.aborted) return reject(new JobCancelledError('the job was cancelled'));
    signal.addEventListener('abort', () => reject(new JobCancelledError('the job was cancelled')), { once: true });
  });
}

/** How the driver runs one task attempt. */
export interface TaskContext {
  /** Cancels the attempt. */
  readonly signal?: AbortSignal;
  /** Prefer another executor than this one (the one a retried task failed on). */
  readonly avoidExecutor?: string;
  /**
   * Fault injection: the task throws, or its executor dies, in the middle of this attempt, or the
   * task blocks until its job is cancelled ('hang': cancellation tests need no timing).
   */
  readonly fault?: TaskFault;
}

export interface Executor {
  readonly kind: string;
  /** Tasks it can run at the same time. */
  readonly slots?: number;
  /** Map side of an aggregation: filter, partial aggregate, hash-partition the groups. */
  runMap(spec: AggregationSpec, batches: readonly arrow.RecordBatch[], ctx?: TaskContext): Promise<MapResult>;
  /** Reduce side: merge the blocks of one partition and finalize. */
  runReduce(spec: AggregationSpec, blocks: readonly ShuffleBlock[], ctx?: TaskContext): Promise<ReduceResult>;
  /** Filter only: the partition's rows that pass. */
  runScan(input: Schema, filter: TExpr | null, batches: readonly arrow.RecordBatch[], ctx?: TaskContext): Promise<ScanResult>;
  /** Where its tasks run, as explain() prints it: `cpu (1 × 2 CPU threads)`. */
  describe(): string;
  /** Frees what it keeps for these cached input batches (a GPU executor keeps them on its device). */
  releaseCached?(batches: readonly arrow.RecordBatch[]): void;
  close(): Promise<void>;
}
