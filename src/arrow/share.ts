/**
 * Moves typed arrays into shared memory so that tasks on worker threads read the very same bytes.
 * Each source ArrayBuffer is copied into a SharedArrayBuffer once and the copy is cached, so a
 * DataFrame's input crosses to the workers once per session and later jobs copy nothing.
 */
import type { WireBatch } from './wire-batch.ts';
import type { WireColumn } from './column-chunk.ts';

const shared = new WeakMap<ArrayBufferLike, SharedArrayBuffer>();

type View = { buffer: ArrayBufferLike; byteOffset: number; length: number; constructor: unknown };

function share<T extends View | null>(a: T): T {
  if (a === null || a.buffer instanceof SharedArrayBuffer) return a;
  let sab = shared.get(a.buffer);
  if (!sab) {
    sab = new SharedArrayBuffer(a.buffer.byteLength);
    new Uint8Array(sab).set(new Uint8Array(a.buffer));
    shared.set(a.buffer, sab);
  }
  const Ctor = a.constructor as new (b: SharedArrayBuffer, offset: number, length: number) => T;
  return new Ctor(sab, a.byteOffset, a.length);
}

function shareColumn(c: WireColumn): WireColumn {
  return {
    ...c,
    validity: share(c.validity),
    values: share(c.values),
    utf8: c.utf8 && { offsets: share(c.utf8.offsets), bytes: share(c.utf8.bytes) },
  };
}

export function shareBatches(batches: readonly WireBatch[]): WireBatch[] {
  return batches.map((b) => ({
    rows: b.rows,
    columns: Object.fromEntries(Object.entries(b.columns).map(([n, c]) => [n, shareColumn(c)])),
  }));
}

/**
 * A copy of a value whose typed arrays live in shared memory: a map task's shuffle blocks, copied
 * once on the executor thread, then reach the driver and every reduce task without another copy.
 */
export function toShared<T>(value: T): T {
  if (ArrayBuffer.isView(value)) {
    const a = value as unknown as View & { byteLength: number };
    if (a.buffer instanceof SharedArrayBuffer) return value;
    const sab = new SharedArrayBuffer(a.byteLength);
    new Uint8Array(sab).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    const Ctor = a.constructor as new (b: SharedArrayBuffer, offset: number, length: number) => T;
    return new Ctor(sab, 0, a.length);
  }
  if (Array.isArray(value)) return (value.length && typeof value[0] === 'object' ? value.map(toShared) : value) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toShared(v)])) as T;
  }
  return value;
}

/** The distinct non-shared ArrayBuffers under a value, to transfer it instead of copying. */
export function transferables(value: unknown, out = new Set<ArrayBuffer>()): ArrayBuffer[] {
  if (ArrayBuffer.isView(value)) {
    if (value.buffer instanceof ArrayBuffer) out.add(value.buffer);
  } else if (Array.isArray(value)) {
    for (const v of value) if (v !== null && typeof v === 'object') transferables(v, out);
  } else if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) if (v !== null && typeof v === 'object') transferables(v, out);
  }
  return [...out];
}
