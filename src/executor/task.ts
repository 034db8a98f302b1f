/**
 * What the driver hands an executor: tasks as plain data (a plan fragment plus the partition's
 * record batches or shuffle blocks), and what comes back. An executor is anything that runs them.
 */
import type * as arrow from 'apache-arrow';
import type { AggSpec } from '../aggregate/registry.ts';
import type { TExpr, Schema } from '../expr/resolve.ts';
import type { ShuffleBlock } from '../shuffle/shuffle-block.ts';
import type { KeyInfo } from './cpu/map-kernel.ts';

/** The aggregation a job runs: Filter → HashAggregate(partial) → Exchange → HashAggregate(final). */
export interface AggregationSpec {
  readonly input: Schema;
  readonly filter: TExpr | null;
  readonly keys: readonly KeyInfo[];
  readonly aggs: readonly AggSpec[];
  /** Reduce partitions of the exchange (1 for a global aggregate). */
  readonly partitions: number;
}

export interface TaskMetrics {
  readonly stageId: number;
  readonly partition: number;
  readonly attempt: number;
  durationMs: number;
  inputRows: number;
  outputRows: number;
  shuffleWriteRecords: number;
  shuffleWriteBytes: number;
  shuffleReadRecords: number;
  shuffleReadBytes: number;
}

export interface MapResult {
  /** One block per reduce partition. */
  readonly blocks: ShuffleBlock[];
  readonly inputRows: number;
  readonly outputRows: number;
}

export interface ReduceResult {
  readonly batch: arrow.RecordBatch;
}

export interface ScanResult {
  readonly batches: arrow.RecordBatch[];
  readonly inputRows: number;
}

export interface Executor {
  readonly kind: string;
  /** Map side of an aggregation: filter, partial aggregate, hash-partition the groups. */
  runMap(spec: AggregationSpec, batches: readonly arrow.RecordBatch[]): Promise<MapResult>;
  /** Reduce side: merge the blocks of one partition and finalize. */
  runReduce(spec: AggregationSpec, blocks: readonly ShuffleBlock[]): Promise<ReduceResult>;
  /** Filter only: the partition's rows that pass. */
  runScan(input: Schema, filter: TExpr | null, batches: readonly arrow.RecordBatch[]): Promise<ScanResult>;
  close(): Promise<void>;
}
