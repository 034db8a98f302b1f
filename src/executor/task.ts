/**
 * What the driver hands an executor: tasks as plain data (a plan fragment plus the partition's
 * record batches or shuffle blocks), and what comes back. An executor is anything that runs them.
 */
import type * as arrow from 'apache-arrow';
import { JobCancelledError } from '../errors.ts';
import type { TExpr, Schema } from '../expr/resolve.ts';
import type { SortKey } from '../expr/expr.ts';
import type { MapOutput, ReduceBlock, StoredMapOutput } from '../shuffle/shuffle-block.ts';
import type { AggregationSpec } from '../plan/aggregation-spec.ts';
import type { FileInput } from './scan-input.ts';

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
  /** What the executor tells of how it ran the task (a GPU executor: its time split; see gpuDetails). */
  details?: TaskDetails;
  /** The executor ran this task elsewhere than its stage was placed (a GPU stage's task on the CPU): why. */
  fallbackReason?: string;
  /** A scan task of a file: stored bytes of the column chunks it read, and the time it took to read and decode them. */
  inputBytes?: number;
  decodeMs?: number;
}

/**
 * An executor's own account of a task, opaque to the driver: `kind` names its full shape, which the
 * executor that made it exports with a reader (gpu/gpu-task-details.ts for kind 'gpu'); `phases`
 * and `notes` are what any report can draw and print without knowing it.
 */
export interface TaskDetails {
  readonly kind: string;
  /** Where the attempt's time went, in order, ending at its end (a GPU task: upload, kernels, readback, decode). */
  readonly phases: readonly TaskPhase[];
  /** Facts for a report, one line each. */
  readonly notes: readonly string[];
}

export interface TaskPhase {
  /** A short lowercase word: a report's colour key. */
  readonly name: string;
  readonly ms: number;
  /** The thread it ran on, when not the task's own executor. */
  readonly on?: string;
}

export interface MapResult {
  /** Time spent inside the executor, when it measures it. */
  readonly runMs?: number;
  /** The executor's own account of the task (see TaskMetrics.details). */
  readonly details?: TaskDetails;
  /** Set when the executor ran this map task elsewhere than its stage was placed, and why. */
  readonly fallbackReason?: string;
  /** The partial groups, ordered by reduce partition. */
  readonly shuffle: MapOutput;
  readonly inputRows: number;
  readonly outputRows: number;
  /** Which executor (thread or device) ran the task. */
  readonly executorId?: string;
  /** A file scan's read of its units (runMapScan). */
  readonly scan?: ScanStats;
}

/** A map task's result whose output stays where its executor stored it (a cluster's object store). */
export type StoredMapResult = Omit<MapResult, 'shuffle'> & { readonly shuffle: StoredMapOutput };

/** What a file scan task read: stored bytes of its column chunks, and the time reading and decoding them took. */
export interface ScanStats {
  readonly inputBytes: number;
  readonly decodeMs: number;
}

export interface ReduceResult {
  /** Time spent inside the executor, when it measures it. */
  readonly runMs?: number;
  readonly batch: arrow.RecordBatch;
  readonly executorId?: string;
  /** The executor's own account of the task (see TaskMetrics.details). */
  readonly details?: TaskDetails;
}

export interface ScanResult {
  /** Time spent inside the executor, when it measures it. */
  readonly runMs?: number;
  readonly batches: arrow.RecordBatch[];
  readonly inputRows: number;
  readonly executorId?: string;
  /** A file scan's read of its units (runScanFile). */
  readonly scan?: ScanStats;
}

/**
 * 'slow': the task starts a second late (a cluster executor's: a task still running when a test
 * kills its process or starts another). 'vanish': a cluster executor takes the task off the work
 * queue and records no outcome.
 */
export type TaskFault = 'throw' | 'crash' | 'hang' | 'slow' | 'vanish';

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
  /** Where the executor placed the task's stage (Executor.placeStage), when it places stages. */
  readonly placement?: StagePlacement;
  /** A map task's stage merges its partial states where they are made (Executor.openStageMerge). */
  readonly merge?: StageMerge;
  /** Which task and attempt this is (an executor that names its outputs by them: a cluster's). */
  readonly task?: TaskId;
  /**
   * A scan task under orderBy(...).limit(n) over input columns: the executor may return only its
   * first n rows in that order (the driver cuts every task's rows to them anyway). A cluster's
   * processes do, so that only those rows cross the network.
   */
  readonly top?: TopRows;
}

export interface TopRows {
  readonly keys: readonly SortKey[];
  readonly n: number;
}

export interface TaskId {
  readonly jobId: number;
  readonly stageId: number;
  readonly partition: number;
  readonly attempt: number;
}

/** A stage merge's final groups, and its own account of where its time went (as TaskDetails'). */
export interface StageMergeResult {
  readonly outputs: readonly MapResult[];
  /** Summed over the stage's tasks where they merged, then the final steps, in order. */
  readonly phases: readonly TaskPhase[];
  readonly notes: readonly string[];
}

/**
 * A map stage whose tasks merge their partial states where they run (a GPU executor: into one
 * table on its device) instead of returning them: the merged groups come out once, at the end.
 */
export interface StageMerge {
  /** Where, as explain() and the job's metrics say it. */
  readonly description: string;
  /**
   * After every task of the stage: the merged groups as map outputs (each key in one of them, once),
   * or why they cannot be used (the stage then reruns on the CPU).
   */
  finish(ctx?: TaskContext): Promise<StageMergeResult | { readonly fallback: string }>;
  /** Frees what it holds (after finish, or when the job fails). */
  discard(): void;
}

/** A stage's work, as an executor that places stages sees it. */
export type StageWork =
  | {
    readonly kind: 'map';
    readonly spec: AggregationSpec;
    /** The in-memory input's partitions (none for files). */
    readonly partitions: readonly (readonly arrow.RecordBatch[])[];
    /** A file input: its rows and scan tasks, as the footers count them. */
    readonly files?: { readonly rows: number; readonly tasks: number };
  }
  | {
    readonly kind: 'reduce';
    readonly spec: AggregationSpec;
    /** The map stage whose partial states it merges. */
    readonly map?: Extract<StageWork, { kind: 'map' }>;
  }
  | { readonly kind: 'scan' };

/** Where an executor runs a stage's tasks, and why. */
export interface StagePlacement {
  /** The executor's name for where: 'gpu', 'cpu'. */
  readonly on: string;
  /** Why, as explain() prints it (with the cost estimate where one decided). */
  readonly reason: string;
  /** How the stage reads its input where it is not plain (explain()'s scan: `cached 40% of 3.1 GB`). */
  readonly input?: string;
}

/** A plain-data function run on an executor thread (Executor.runOnThread). */
export interface ThreadRun {
  readonly output: unknown;
  readonly executorId: string;
  readonly runMs: number;
}

/** An executor whose map outputs come back in memory (every executor but a cluster's). */
export interface LocalExecutor extends Executor {
  runMap(spec: AggregationSpec, batches: readonly arrow.RecordBatch[], ctx?: TaskContext): Promise<MapResult>;
  runMapScan(spec: AggregationSpec, input: FileInput, ctx?: TaskContext): Promise<MapResult>;
}

export interface Executor {
  readonly kind: string;
  /** Tasks it can run at the same time. */
  readonly slots?: number;
  /**
   * Tasks handed to it per slot at a time (default 1): a cluster's processes find their next task
   * queued when one ends, and store one task's output while they run the next.
   */
  readonly queueDepth?: number;
  /** Map side of an aggregation: filter, partial aggregate, hash-partition the groups. */
  runMap(spec: AggregationSpec, batches: readonly arrow.RecordBatch[], ctx?: TaskContext): Promise<MapResult | StoredMapResult>;
  /**
   * Map side over a file scan task's units: read, decode and aggregate them (an executor with
   * threads does it all on one, so the decoded rows never cross threads).
   */
  runMapScan(spec: AggregationSpec, input: FileInput, ctx?: TaskContext): Promise<MapResult | StoredMapResult>;
  /**
   * Reduce side: merge the blocks of one partition and finalize. Stored blocks come only from the
   * executor that stored them (its own map results).
   */
  runReduce(spec: AggregationSpec, blocks: readonly ReduceBlock[], ctx?: TaskContext): Promise<ReduceResult>;
  /** Filter only: the partition's rows that pass. */
  runScan(input: Schema, filter: TExpr | null, batches: readonly arrow.RecordBatch[], ctx?: TaskContext): Promise<ScanResult>;
  /** Filter only, over a file scan task's units, read where the task runs (absent: the driver reads them, then runScan). */
  runScanFile?(input: Schema, filter: TExpr | null, file: FileInput, ctx?: TaskContext): Promise<ScanResult>;
  /** Where its tasks run, as explain() prints it: `cpu (1 × 2 CPU threads)`. */
  describe(): string;
  /** After each job, done or failed: frees what the executor keeps for it (a cluster's stored shuffle blocks). */
  endJob?(jobId: number): Promise<void>;
  /** Frees what it keeps for these cached input batches (a GPU executor keeps them on its device). */
  releaseCached?(batches: readonly arrow.RecordBatch[]): void;
  /** Where it will run a stage's tasks and why, for executors that choose (absent: all on itself). */
  placeStage?(work: StageWork): StagePlacement;
  /**
   * Starts merging a map stage's partial states where its tasks run, for a stage whose reduce it
   * placed there (placeStage of the reduce work: not 'cpu'); null where it does not.
   */
  openStageMerge?(work: Extract<StageWork, { kind: 'map' }>): StageMerge | null;
  /**
   * Runs a named plain-data function of worker/thread-ops.ts on one of its threads (`transfer`:
   * buffers that move there), for executors built over this one.
   */
  runOnThread?(op: string, input: unknown, transfer: ArrayBuffer[], ctx?: TaskContext): Promise<ThreadRun>;
  close(): Promise<void>;
}
