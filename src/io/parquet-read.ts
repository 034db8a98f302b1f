/**
 * A Parquet scan task on its thread: parquet-wasm reads the task's row groups, only the column
 * chunks of `columns` (byte ranges of the file through a file-backed Blob), and hands the rows over
 * as one Arrow IPC stream.
 */
import { openAsBlob, statSync } from 'node:fs';
import type { ScanOutput, ScanTask } from './file-source.ts';
import { parquetWasm } from './parquet-wasm.ts';
import { scanTaskError } from './scan-task-error.ts';

type ParquetFile = Awaited<ReturnType<ReturnType<typeof parquetWasm>['ParquetFile']['fromFile']>>;

/** Open files of this thread (footer parsed once), by path and modification time; a few at most. */
const open = new Map<string, ParquetFile>();
const OPEN_FILES = 8;

async function fileOf(path: string): Promise<ParquetFile> {
  const key = `${path}\0${statSync(path).mtimeMs}`;
  const hit = open.get(key);
  if (hit) {
    open.delete(key);
    open.set(key, hit);
    return hit;
  }
  const file = await parquetWasm().ParquetFile.fromFile(await openAsBlob(path));
  open.set(key, file);
  if (open.size > OPEN_FILES) {
    const [oldest, f] = open.entries().next().value!;
    open.delete(oldest);
    f.free();
  }
  return file;
}

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
