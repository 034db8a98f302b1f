/**
 * Moves typed arrays into shared memory so that tasks on worker threads read the very same bytes.
 * Each source ArrayBuffer is copied into a SharedArrayBuffer once and the copy is cached, so a
 * DataFrame's input crosses to the workers once per session and later jobs copy nothing.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { WireBatch } from './wire-batch.ts';
import type { WireColumn } from './column-chunk.ts';

const shared = new WeakMap<ArrayBufferLike, SharedArrayBuffer>();
/** Copies under way (two tasks over one input wait for one copy). */
const copying = new WeakMap<ArrayBufferLike, Promise<SharedArrayBuffer>>();

/** Bytes copied between two turns of the event loop: small enough where fresh shared pages fault slowly (docs/performance.md). */
export const COPY_SLICE_BYTES = 4 * 2 ** 20;

type View = { buffer: ArrayBufferLike; byteOffset: number; length: number; constructor: unknown };

/** The shared copy of a buffer, made once, slice by slice between turns of the event loop. */
async function sharedCopy(buffer: ArrayBufferLike, signal: AbortSignal | undefined): Promise<SharedArrayBuffer> {
  const done = shared.get(buffer);
  if (done) return done;
  let pending = copying.get(buffer);
  if (!pending) {
    pending = (async () => {
      const sab = new SharedArrayBuffer(buffer.byteLength);
      const to = new Uint8Array(sab), from = new Uint8Array(buffer);
      for (let at = 0; at < buffer.byteLength; at += COPY_SLICE_BYTES) {
        if (at > 0) await nextTurn();
        to.set(from.subarray(at, Math.min(buffer.byteLength, at + COPY_SLICE_BYTES)), at);
      }
      shared.set(buffer, sab);
      return sab;
    })();
    copying.set(buffer, pending);
    pending.finally(() => copying.delete(buffer)).catch(() => {});
  }
  const sab = await pending;
  signal?.throwIfAborted();
  return sab;
}

async function share<T extends View | null>(a: T, signal: AbortSignal | undefined): Promise<T> {
  if (a === null || a.buffer instanceof SharedArrayBuffer) return a;
  const sab = await sharedCopy(a.buffer, signal);
  const Ctor = a.constructor as new (b: SharedArrayBuffer, offset: number, length: number) => T;
  return new Ctor(sab, a.byteOffset, a.length);
}

async function shareColumn(c: WireColumn, signal: AbortSignal | undefined): Promise<WireColumn> {
  return {
    ...c,
    validity: await share(c.validity, signal),
    values: await share(c.values, signal),
    utf8: c.utf8 && { offsets: await share(c.utf8.offsets, signal), bytes: await share(c.utf8.bytes, signal) },
  };
}

/**
 * The batches with their columns in shared memory. Each source buffer is copied once and the
 * copy kept while the buffer lives, so an input crosses to the threads once per session; the copy
 * goes slice by slice between turns of the event loop, and `signal` stops the wait for it.
 */
export async function shareBatches(batches: readonly WireBatch[], signal?: AbortSignal): Promise<WireBatch[]> {
  const out: WireBatch[] = [];
  for (const b of batches) {
    const columns: Record<string, WireColumn> = {};
    for (const [n, c] of Object.entries(b.columns)) columns[n] = await shareColumn(c, signal);
    out.push({ rows: b.rows, columns });
  }
  return out;
}

/**
 * Calls `visit` for every typed array under a value (a task's input or output: objects, arrays of
 * them). An array whose first element is a primitive is a leaf: a million strings are not walked.
 */
export function forEachView(value: unknown, visit: (view: ArrayBufferView) => void): void {
  if (ArrayBuffer.isView(value)) visit(value);
  else if (Array.isArray(value)) {
    if (value.length && typeof value[0] === 'object') for (const v of value) forEachView(v, visit);
  } else if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) forEachView(v, visit);
  }
}

/**
 * A copy of a value whose typed arrays live in shared memory: a map task's shuffle blocks, copied
 * once on the executor thread, then reach the driver and every reduce task without another copy.
 * They all go into one SharedArrayBuffer, 8-byte aligned: a task has a block per reduce partition,
 * and a buffer each made jobs with many reduce partitions crawl (see docs/performance.md).
 */
export function toShared<T>(value: T): T {
  const views: View[] = [];
  forEachView(value, (v) => {
    if (!(v.buffer instanceof SharedArrayBuffer)) views.push(v as unknown as View);
  });
  const at = new Map<View, number>();
  let bytes = 0;
  for (const v of views) {
    if (at.has(v)) continue;
    at.set(v, bytes);
    bytes += Math.ceil((v as unknown as ArrayBufferView).byteLength / 8) * 8;
  }
  const sab = new SharedArrayBuffer(bytes);
  const copy = (x: unknown): unknown => {
    if (ArrayBuffer.isView(x)) {
      const o = at.get(x as unknown as View);
      if (o === undefined) return x;
      new Uint8Array(sab, o, x.byteLength).set(new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
      const Ctor = x.constructor as new (b: SharedArrayBuffer, offset: number, length: number) => unknown;
      return new Ctor(sab, o, (x as unknown as View).length);
    }
    if (Array.isArray(x)) return x.length && typeof x[0] === 'object' ? x.map(copy) : x;
    if (x !== null && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, copy(v)]));
    return x;
  };
  return copy(value) as T;
}

/** The distinct non-shared ArrayBuffers under a value, to transfer it instead of copying. */
export function transferables(value: unknown): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  forEachView(value, (v) => {
    if (v.buffer instanceof ArrayBuffer) out.add(v.buffer);
  });
  return [...out];
}
