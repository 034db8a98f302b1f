/**
 * Plain-data work that other executors hand to the CPU executor's threads by name
 * (Executor.runOnThread), so that the worker protocol carries no executor's own types.
 */
import { toShared } from '../../arrow/share.ts';
import { decodeGpuWords, type GpuWords } from '../gpu/gpu-decode.ts';

export const THREAD_OPS: Readonly<Record<string, (input: unknown) => unknown>> = {
  /** The host half of a GPU map task: words read back from the device → shuffle blocks. */
  'gpu-decode': (input) => toShared(decodeGpuWords(input as GpuWords)),
};
