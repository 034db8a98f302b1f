/**
 * Plain-data work that other executors hand to the CPU executor's threads by name
 * (Executor.runOnThread), so that the worker protocol carries no executor's own types.
 */
import { toShared } from '../../arrow/share.ts';
import { encodeBlock } from '../../shuffle/shuffle-block.ts';
import { decodeGpuWords, type GpuDecoded, type GpuWords } from '../gpu/gpu-decode.ts';
import type { ScanTask } from '../../io/file-source.ts';
import { readScanTask } from '../../io/read-scan-task.ts';
import { scanTaskError } from '../../io/scan-task-error.ts';

/** String keys leave the thread as UTF-8 (as a CPU map task's do): the driver handles no JS strings of them. */
const encoded = (d: GpuDecoded): GpuDecoded =>
  ('fallback' in d ? d : { result: { ...d.result, shuffle: { ...d.result.shuffle, block: encodeBlock(d.result.shuffle.block) } } });

export const THREAD_OPS: Readonly<Record<string, (input: unknown) => unknown>> = {
  /** The host half of a GPU map task: words read back from the device → shuffle blocks. */
  'gpu-decode': (input) => toShared(encoded(decodeGpuWords(input as GpuWords))),
  /**
   * A file scan task's units, read and decoded here for a caller that needs the rows (a GPU map
   * task uploads them; a filter-only job returns them): the IPC bytes move to it, not copied.
   */
  'read-scan': (input) => {
    const { task, columns } = input as { task: ScanTask; columns: readonly string[] };
    return readScanTask(task, columns);
  },
};

/** What an op's failure means, where the op knows better than the bare error (an uncaught decoder panic). */
export const THREAD_OP_ERRORS: Readonly<Record<string, (input: unknown, e: unknown) => Error>> = {
  'read-scan': (input, e) => scanTaskError((input as { task: ScanTask }).task, e),
};
