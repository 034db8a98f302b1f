/**
 * A file scan task's rows as record batches: read and decoded on one of an executor's threads (the
 * IPC bytes move to the caller, not copied), or on the calling thread where there are none.
 */
import * as arrow from 'apache-arrow';
import type { ScanOutput, ScanTask } from '../io/file-source.ts';
import { readScanTask } from '../io/read-scan-task.ts';
import { scanTaskError } from '../io/scan-task-error.ts';
import type { Executor, ScanStats, TaskContext } from './task.ts';

/** A file scan task's units and the columns to read of them. */
export interface FileInput {
  readonly task: ScanTask;
  readonly columns: readonly string[];
}

export async function readFileInput(executor: Executor, input: FileInput, ctx: TaskContext = {}): Promise<{ batches: arrow.RecordBatch[]; scan: ScanStats }> {
  const out = executor.runOnThread
    ? (await executor.runOnThread('read-scan', input, [], ctx)).output as ScanOutput
    : await readScanTask(input.task, input.columns);
  let batches: arrow.RecordBatch[];
  try {
    batches = ipcBatches(out.ipc);
  } catch (e) {
    throw scanTaskError(input.task, e);
  }
  return { batches, scan: { inputBytes: out.bytesRead, decodeMs: out.decodeMs } };
}

/** The non-empty record batches of an Arrow IPC stream. */
export const ipcBatches = (ipc: Uint8Array): arrow.RecordBatch[] => arrow.tableFromIPC(ipc).batches.filter((b) => b.numRows > 0);
