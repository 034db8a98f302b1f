/**
 * An Arrow IPC scan task on its thread: its record batches, and the schema and dictionaries they
 * need, by positional reads (a stream's: its messages, as read; a file's: through apache-arrow's
 * file reader), decoded here (LZ4 / ZSTD bodies decompressed) and handed on as one uncompressed IPC
 * stream of only `columns`.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { RecordBatchReader, Table, tableFromIPC, tableToIPC, type RecordBatch } from 'apache-arrow';
import { InputFileError } from '../errors.ts';
import type { ScanOutput, ScanTask } from './file-source.ts';
import { registerIpcCodecs } from './ipc-codecs.ts';
import { ipcLayout, type IpcLayout, type IpcMessage } from './ipc-messages.ts';
import { scanTaskError, unitsLabel } from './scan-task-error.ts';
import { FileVersionCache } from './file-version-cache.ts';

registerIpcCodecs();

const END_OF_STREAM = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

/** The schema, the dictionaries before the task's last batch and its batches, as one IPC stream. */
async function streamBytes(task: ScanTask, f: FileHandle, messages: readonly IpcMessage[]): Promise<Uint8Array> {
  const batches = messages.filter((m) => m.kind === 'batch');
  const wanted = task.units.map((i) => batches[i] ?? missing(i, batches.length));
  const last = wanted[wanted.length - 1]!.offset;
  const chosen = [messages[0]!, ...messages.filter((m) => m.kind === 'dictionary' && m.offset < last), ...wanted].sort((a, b) => a.offset - b.offset);
  // A buffer of its own (not Node's pooled one): it may be transferred to another thread.
  const ipc = new Uint8Array(chosen.reduce((a, m) => a + m.size, 0) + END_OF_STREAM.length);
  let at = 0;
  for (const m of chosen) {
    const { bytesRead } = await f.read(ipc, at, m.size, m.offset);
    if (bytesRead < m.size) throw new Error(`the message at byte ${m.offset} is cut short`);
    at += m.size;
  }
  ipc.set(END_OF_STREAM, at);
  return ipc;
}

/**
 * A file's layout, read once per file version on this thread: each task would read it all again
 * (a stream's every message header, a file's footer and every batch's header).
 */
const layouts = new FileVersionCache<IpcLayout>(8);

const layoutOf = async (path: string, f: FileHandle, size: number): Promise<IpcLayout> =>
  layouts.get(path, { mtimeMs: (await f.stat()).mtimeMs, size }, () => ipcLayout(path, f, size));

function missing(i: number, n: number): never {
  throw new Error(`record batch ${i} is gone: the file has ${n} now`);
}

/** The task's batches of an IPC file, decoded by apache-arrow's file reader (dictionaries from the footer's blocks). */
async function fileBatches(task: ScanTask, f: FileHandle): Promise<RecordBatch[]> {
  const reader = await RecordBatchReader.from(f);
  await reader.open();
  const out: RecordBatch[] = [];
  for (const i of task.units) out.push((await reader.readRecordBatch(i)) ?? missing(i, reader.numRecordBatches));
  return out;
}

/** The file no longer matches its footer as planning read it: the error names the task's batches. */
function changedFile(task: ScanTask, reason: string): InputFileError {
  return new InputFileError(task.path, `${unitsLabel(task)}: ${reason} (the file changed after it was planned)`);
}

export async function readArrowTask(task: ScanTask, columns: readonly string[]): Promise<ScanOutput> {
  const start = performance.now();
  try {
    const f = await open(task.path, 'r');
    let ipc: Uint8Array;
    let bytesRead: number;
    try {
      const size = (await f.stat()).size;
      const layout = await layoutOf(task.path, f, size).catch((e: unknown) => {
        throw changedFile(task, e instanceof InputFileError ? e.message.replace(`input file '${task.path}' `, '') : String((e as Error)?.message ?? e));
      });
      const n = layout.batches.length;
      const rows = task.units.reduce((a, i) => a + (layout.batches[i]?.rows ?? 0), 0);
      if (task.units.every((i) => i < n) && rows !== task.rows) throw changedFile(task, `has ${rows} rows where planning found ${task.rows}`);
      bytesRead = task.units.reduce((a, i) => a + (layout.batches[i]?.size ?? 0), 0);
      const project = (t: Table) => tableToIPC(t.select(columns.length ? [...columns] : t.schema.fields.slice(0, 1).map((x) => x.name)), 'stream');
      if (layout.format === 'file') {
        ipc = project(new Table(await fileBatches(task, f)));
      } else {
        ipc = project(tableFromIPC(await streamBytes(task, f, layout.messages!)));
      }
    } finally {
      await f.close();
    }
    return { ipc, bytesRead, decodeMs: performance.now() - start };
  } catch (e) {
    throw scanTaskError(task, e);
  }
}
