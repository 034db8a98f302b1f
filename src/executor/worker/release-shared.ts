/**
 * An executor thread lets go of the shared memory its tasks read once they are done with it.
 * A SharedArrayBuffer is freed when no thread holds it; the driver drops its copies when their
 * input or job is gone, but an executor thread allocates little, so its garbage collector (and
 * with it its last reference to every input it ever read) could wait for hundreds of jobs: RSS
 * grew by GBs (docs/performance.md, "Memory"). So a thread runs a collection itself once the tasks
 * since its last one have read a lot of shared memory: a minor one, which frees the buffer
 * objects a task received (young, dead once it replied) in about a millisecond. A full collection
 * there also threw away the kernels' optimized code and made the CPU executor 1.5–3× slower.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { forEachView } from '../../arrow/share.ts';

/** Shared bytes read between two collections. */
export const RELEASE_BYTES = 64 * 2 ** 20;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as (options?: { type: 'minor' | 'major' }) => void;

/** The bytes of the distinct SharedArrayBuffers under a value. */
export function sharedBytes(value: unknown): number {
  const seen = new Set<SharedArrayBuffer>();
  forEachView(value, (v) => {
    if (v.buffer instanceof SharedArrayBuffer) seen.add(v.buffer);
  });
  let bytes = 0;
  for (const b of seen) bytes += b.byteLength;
  return bytes;
}

let sinceRelease = 0;

/** Counts a finished task's shared input; collects once enough has passed through. */
export function taskDone(input: unknown): void {
  sinceRelease += sharedBytes(input);
  if (sinceRelease < RELEASE_BYTES) return;
  sinceRelease = 0;
  gc({ type: 'minor' });
}
