/** An executor thread: runs the tasks the driver sends, one at a time, and replies with their output. */
import { parentPort } from 'node:worker_threads';
import { toShared, transferables } from '../../arrow/share.ts';
import { bindBatches } from '../../arrow/wire-batch.ts';
import { runMapTask } from '../cpu/map-task.ts';
import { runReduceTask } from '../cpu/reduce-task.ts';
import { runScanTask } from '../cpu/scan-task.ts';
import { encodeBlock } from '../../shuffle/shuffle-block.ts';
import type { ReplyMessage, TaskMessage, TaskOutput } from './protocol.ts';
import { THREAD_OPS } from './thread-ops.ts';
import { taskDone } from './release-shared.ts';

function run(msg: TaskMessage): TaskOutput {
  switch (msg.kind) {
    case 'map': {
      const r = runMapTask(msg.spec, bindBatches(msg.batches));
      return toShared({ ...r, shuffle: { ...r.shuffle, block: encodeBlock(r.shuffle.block) } });
    }
    case 'reduce': return runReduceTask(msg.spec, msg.blocks);
    case 'scan': return runScanTask(msg.filter, bindBatches(msg.batches));
    case 'op': {
      const op = THREAD_OPS[msg.op];
      if (!op) throw new Error(`no thread op '${msg.op}'`);
      return op(msg.input);
    }
  }
}

parentPort!.on('message', (msg: TaskMessage) => {
  // Fault injection: the executor dies in the middle of the task.
  if (msg.fault === 'crash') process.exit(70);
  // The thread stays busy without replying: the pool replaces it when the job is cancelled.
  if (msg.fault === 'hang') return;
  let reply: ReplyMessage;
  try {
    if (msg.fault === 'throw') throw new Error('injected task failure');
    const start = performance.now();
    const result = run(msg);
    reply = { id: msg.id, ok: true, result, runMs: performance.now() - start };
    parentPort!.postMessage(reply, transferables(result));
    // After the reply: the driver does not wait for it.
    setImmediate(() => taskDone(msg));
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    reply = { id: msg.id, ok: false, error: { name: err.name, message: err.message, stack: err.stack } };
    parentPort!.postMessage(reply);
  }
});
