/** An executor thread: runs the tasks the driver sends, one at a time, and replies with their output. */
import { parentPort } from 'node:worker_threads';
import { toShared, transferables } from '../../arrow/share.ts';
import { bindBatches, describeBatches } from '../../arrow/wire-batch.ts';
import { keyRangeColumns, sourceColumnsOfSpec, type AggregationSpec } from '../../plan/aggregation-spec.ts';
import type { ScanTask } from '../../io/file-source.ts';
import { readScanTask } from '../../io/read-scan-task.ts';
import { scanTaskError } from '../../io/scan-task-error.ts';
import { ipcBatches } from '../scan-input.ts';
import { runMapTask } from '../cpu/map-task.ts';
import { runReduceTask } from '../cpu/reduce-task.ts';
import { runScanTask } from '../cpu/scan-task.ts';
import { encodeBlock } from '../../shuffle/shuffle-block.ts';
import type { ReplyMessage, TaskMessage, TaskOutput } from './protocol.ts';
import { THREAD_OP_ERRORS, THREAD_OPS } from './thread-ops.ts';
import { taskDone } from './release-shared.ts';

function run(msg: TaskMessage): TaskOutput | Promise<TaskOutput> {
  switch (msg.kind) {
    case 'map': {
      const r = runMapTask(msg.spec, bindBatches(msg.batches), true);
      return toShared({ ...r, shuffle: { ...r.shuffle, block: encodeBlock(r.shuffle.block) } });
    }
    case 'map-scan': return mapScan(msg.spec, msg.task, msg.columns);
    case 'reduce': return runReduceTask(msg.spec, msg.blocks);
    case 'scan': return runScanTask(msg.filter, bindBatches(msg.batches));
    case 'op': {
      const op = THREAD_OPS[msg.op];
      if (!op) throw new Error(`no thread op '${msg.op}'`);
      return op(msg.input);
    }
  }
}

/** The task under way, for an error that escapes it (a panic inside an async WebAssembly call). */
let running: TaskMessage | null = null;

/** `escaped`: an error that escaped the task (a panic inside an async WebAssembly call: a decoder's). */
const failure = (msg: TaskMessage, e: unknown, escaped = false) => {
  const err = msg.kind === 'op' ? (THREAD_OP_ERRORS[msg.op]?.(msg.input, e) ?? e) : msg.kind === 'map-scan' && escaped ? scanTaskError(msg.task, e) : e;
  const x = err instanceof Error ? err : new Error(String(err));
  return { name: x.name, message: x.message, stack: x.stack };
};

process.on('uncaughtException', (e) => {
  // The thread's state (a WebAssembly instance) may be broken: fail the task with what it was, then end.
  if (running) parentPort!.postMessage({ id: running.id, ok: false, error: failure(running, e, true), threadLost: true } satisfies ReplyMessage);
  process.exit(1);
});

/** Reads, decodes and aggregates a file scan task's units here: its rows never leave this thread. */
async function mapScan(spec: AggregationSpec, task: ScanTask, columns: readonly string[]): Promise<TaskOutput> {
  // Reading names the file; an error of the aggregation after it (an overflow) stays what it is.
  let out: Awaited<ReturnType<typeof readScanTask>>, batches: ReturnType<typeof ipcBatches>;
  try {
    out = await readScanTask(task, columns);
    batches = ipcBatches(out.ipc);
  } catch (e) {
    throw scanTaskError(task, e);
  }
  const r = runMapTask(spec, bindBatches(describeBatches(spec.input, sourceColumnsOfSpec(spec), batches, keyRangeColumns(spec).map((k) => k.column))), true);
  return toShared({ ...r, shuffle: { ...r.shuffle, block: encodeBlock(r.shuffle.block) }, scan: { inputBytes: out.bytesRead, decodeMs: out.decodeMs } });
}

parentPort!.on('message', async (msg: TaskMessage) => {
  // Fault injection: the executor dies in the middle of the task.
  if (msg.fault === 'crash') process.exit(70);
  // The thread stays busy without replying: the pool replaces it when the job is cancelled.
  if (msg.fault === 'hang') return;
  let reply: ReplyMessage;
  try {
    if (msg.fault === 'throw') throw new Error('injected task failure');
    const start = performance.now();
    running = msg;
    const result = await run(msg);
    running = null;
    reply = { id: msg.id, ok: true, result, runMs: performance.now() - start };
    parentPort!.postMessage(reply, transferables(result));
    // After the reply: the driver does not wait for it. Its output counts too: a scan's decoded rows
    // are shared memory this thread made, held here until it collects.
    setImmediate(() => taskDone([msg, result]));
  } catch (e) {
    running = null;
    reply = { id: msg.id, ok: false, error: failure(msg, e) };
    parentPort!.postMessage(reply);
  }
});
