/**
 * Plain-data work that other executors hand to the CPU executor's threads by name
 * (Executor.runOnThread), so that the worker protocol carries no executor's own types.
 */
import { toShared } from '../../arrow/share.ts';
import { encodeBlock } from '../../shuffle/shuffle-block.ts';
import { decodeGpuWords, type GpuDecoded, type GpuWords } from '../gpu/gpu-decode.ts';

/** String keys leave the thread as UTF-8 (as a CPU map task's do): the driver handles no JS strings of them. */
const encoded = (d: GpuDecoded): GpuDecoded =>
  ('fallback' in d ? d : { result: { ...d.result, shuffle: { ...d.result.shuffle, block: encodeBlock(d.result.shuffle.block) } } });

export const THREAD_OPS: Readonly<Record<string, (input: unknown) => unknown>> = {
  /** The host half of a GPU map task: words read back from the device → shuffle blocks. */
  'gpu-decode': (input) => toShared(encoded(decodeGpuWords(input as GpuWords))),
};
