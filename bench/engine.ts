/**
 * An engine of the benchmark: something that runs a query to a fully materialized answer (the
 * timed part) and then hands that answer over as canonical rows (untimed). DuckDB
 * (duckdb-engine.ts) and gpuframe's executors (gpuframe-engine.ts) are the two kinds.
 */
import type { Table } from 'apache-arrow';
import type { ProgressBar } from '../src/cli/progress-bar.ts';
import type { BenchOptions } from './bench-command.ts';
import type { Rows } from './compare-rows.ts';
import type { BenchData, GeneratedTable } from './datagen.ts';
import type { QueryDef, TableName } from './queries.ts';
import type { JobMetricsLike } from './report.ts';

export interface EngineRun {
  /** The engine's answer (untimed) as canonical rows, in its own column order. */
  result(): Promise<Rows>;
  readonly metrics?: JobMetricsLike;
}

export interface Engine {
  readonly name: string;
  /** One line: version, threads, settings. */
  readonly description: string;
  /**
   * Task slots (executors × cores) of a CPU-executor session, for the overhead figure
   * (see jobOverhead in report.ts); undefined for engines it does not apply to.
   */
  readonly slots?: number;
  /** Runs the query to a fully materialized answer; this is what is timed. */
  run(q: QueryDef): Promise<EngineRun>;
  close(): Promise<void>;
}

/** The engine cannot run here (a peer not installed, no GPU): it is reported as skipped, with this message. */
export class EngineUnavailable extends Error {}

/**
 * What every engine is built over: the generated data, as Arrow tables (--source memory), or the
 * Parquet files of it (--source parquet), and the options.
 */
export interface EngineInputs {
  readonly data?: BenchData;
  /** The generated tables the selected queries read (--source memory). */
  readonly tables?: Partial<Record<TableName, GeneratedTable>>;
  readonly arrow?: Partial<Record<TableName, Table>>;
  readonly files?: Partial<Record<TableName, string>>;
  readonly opts: BenchOptions;
  /** Fed every gpuframe job's progress events (undefined: no bar). */
  readonly progress?: ProgressBar;
}
