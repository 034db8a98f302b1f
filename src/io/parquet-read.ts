/**
 * A Parquet scan task on its thread: parquet-wasm reads the task's row groups, only the column
 * chunks of `columns` (byte ranges of the file through a file-backed Blob), and hands the rows over
 * as one Arrow IPC stream.
 */
import { openAsBlob, statSync } from 'node:fs';
import type { ScanOutput, ScanTask } from './file-source.ts';
import { parquetWasm } from './parquet-wasm.ts';
import { scanTaskError } from './scan-task-error.ts';
import { FileVersionCache } from './file-version-cache.ts';

type ParquetFile = Awaited<ReturnType<ReturnType<typeof parquetWasm>['ParquetFile']['fromFile']>>;

/** Open files of this thread (footer parsed once), by file version; a few at most, freed when dropped. */
const open = new FileVersionCache<ParquetFile>(8, (f) => f.free());

const fileOf = async (path: string): Promise<ParquetFile> =>
  open.get(path, statSync(path), async () => parquetWasm().ParquetFile.fromFile(await openAsBlob(path)));

/** Rows per decoded batch: a task's row groups come back as few, big batches (small ones cost 2.5–5× in decoding). */
const BATCH_ROWS = 1 << 20;

export async function readParquetTask(task: ScanTask, columns: readonly string[]): Promise<ScanOutput> {
  const start = performance.now();
  let ipc: Uint8Array;
  try {
    const file = await fileOf(task.path);
    const table = await file.read({ rowGroups: [...task.units], columns: [...columns], batchSize: BATCH_ROWS });
    ipc = table.intoIPCStream();
  } catch (e) {
    throw scanTaskError(task, e);
  }
  return { ipc, bytesRead: task.bytes, decodeMs: performance.now() - start };
}
