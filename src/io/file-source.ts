/**
 * A DataFrame over files, as the planner sees it: every file's schema checked equal, and its units
 * (Parquet row groups, Arrow IPC record batches) with their rows, bytes per column and min/max
 * statistics, all read from footers. No value is read until a task scans its units.
 *
 *   paths ─► footers ─► FileSource { units[] } ─► planner: prune by statistics, group into ScanTasks
 */
export type FileFormat = 'parquet' | 'arrow';

/** A column's statistics in one unit, where its writer recorded them. */
export interface ColumnStats {
  /** Numbers for numeric and date columns (days), strings for Utf8; bigint for 64-bit integers. */
  readonly min?: number | bigint | string;
  readonly max?: number | bigint | string;
  readonly nullCount?: number;
}

/** One Parquet row group or Arrow IPC record batch. */
export interface FileUnit {
  readonly path: string;
  /** The row group's (or record batch's) index in its file. */
  readonly index: number;
  readonly rows: number;
  /** Bytes of each column's data as stored (compressed) in the file. */
  readonly bytes: Readonly<Record<string, number>>;
  /** Bytes a read of the unit takes whatever its columns, where it is read whole (an IPC record batch). */
  readonly wholeBytes?: number;
  readonly stats: Readonly<Record<string, ColumnStats>>;
}

export interface FileSource {
  readonly format: FileFormat;
  /** The files, in the order their units are read. */
  readonly paths: readonly string[];
  readonly units: readonly FileUnit[];
  /** Units each core may hold decoded at a time (the session's readahead). */
  readonly readahead: number;
}

/** One scan task's input: plain data that crosses to an executor thread. */
export interface ScanTask {
  readonly format: FileFormat;
  readonly path: string;
  /** Row groups (Parquet) or record batches (Arrow IPC) of `path`, ascending. */
  readonly units: readonly number[];
  readonly rows: number;
  /** Stored bytes of the columns the task reads. */
  readonly bytes: number;
}

/** What an executor thread hands back from a scan task: the units' columns as an Arrow IPC stream. */
export interface ScanOutput {
  /** An Arrow IPC stream (in shared memory when read on a thread) of the task's rows, projected. */
  readonly ipc: Uint8Array;
  readonly bytesRead: number;
  readonly decodeMs: number;
}

/** Small units are read together, up to this many rows a task: below it, a task costs more to schedule than to run. */
export const SCAN_TASK_ROWS = 1 << 16;
