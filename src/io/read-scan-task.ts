/** Reads one scan task's units on the thread that runs it (an executor thread, or the driver's without threads). */
import type { ScanOutput, ScanTask } from './file-source.ts';

/** The task's rows, only `columns`, as an Arrow IPC stream. The format's reader is loaded on first use. */
export async function readScanTask(task: ScanTask, columns: readonly string[]): Promise<ScanOutput> {
  if (task.format === 'parquet') return (await import('./parquet-read.ts')).readParquetTask(task, columns);
  return (await import('./arrow-read.ts')).readArrowTask(task, columns);
}

