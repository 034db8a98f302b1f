/**
 * An Arrow IPC scan task on its thread: its record batches, and the schema and dictionaries they
 * need, by positional reads. A stream's messages are handed on as read (one IPC stream); a file's
 * batches are read through apache-arrow's file reader. Compressed bodies (LZ4 / ZSTD) are decoded
 * here and handed on uncompressed and projected.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { RecordBatchReader, Table, tableFromIPC, tableToIPC, type RecordBatch } from 'apache-arrow';
import type { ScanOutput, ScanTask } from './file-source.ts';
import { registerIpcCodecs } from './ipc-codecs.ts';
import { ipcLayout, readMessages } from './ipc-messages.ts';
import { scanTaskError } from './scan-task-error.ts';

registerIpcCodecs();

const END_OF_STREAM = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

/** The schema, the dictionaries before the task's last batch and its batches, as one IPC stream. */
async function streamBytes(task: ScanTask, f: FileHandle, size: number): Promise<{ ipc: Uint8Array; compressed: boolean }> {
  const messages = await readMessages(task.path, f, size);
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
  return { ipc, compressed: chosen.some((m) => m.message.compression !== null) };
}

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

export async function readArrowTask(task: ScanTask, columns: readonly string[]): Promise<ScanOutput> {
  const start = performance.now();
  try {
    const f = await open(task.path, 'r');
    let ipc: Uint8Array;
    let bytesRead: number;
    try {
      const size = (await f.stat()).size;
      const layout = await ipcLayout(task.path, f, size);
      bytesRead = task.units.reduce((a, i) => a + (layout.batches[i]?.size ?? 0), 0);
      const project = (t: Table) => tableToIPC(t.select(columns.length ? [...columns] : t.schema.fields.slice(0, 1).map((x) => x.name)), 'stream');
      if (layout.format === 'file') {
        ipc = project(new Table(await fileBatches(task, f)));
      } else {
        const s = await streamBytes(task, f, size);
        ipc = s.compressed ? project(tableFromIPC(s.ipc)) : s.ipc;
      }
    } finally {
      await f.close();
    }
    return { ipc, bytesRead, decodeMs: performance.now() - start };
  } catch (e) {
    throw scanTaskError(task, e);
  }
}
