/**
 * Input chunks kept on the device for sources marked with DataFrame.cache(): one buffer per chunk
 * of a task's rows (runs of its batches, back to back), laid out for every column the input has a
 * GPU form for, each column written the first time a kernel reads it. Later jobs over the same
 * batches upload nothing but their string remap tables. Bounded by a byte budget: the least
 * recently used chunks go first (a destroyed buffer stays alive on the device until the work
 * already submitted with it is done).
 */
import type * as arrow from 'apache-arrow';
import type { PackedChunk } from './chunk-upload.ts';

export interface ResidentChunk {
  readonly buffer: GPUBuffer;
  readonly packed: PackedChunk;
  /** Columns written so far. */
  readonly loaded: Set<string>;
}

/** Rows [r0, r1) of a batch: a cached chunk holds one or more of these, back to back. */
export interface BatchRun { readonly batch: arrow.RecordBatch; readonly r0: number; readonly r1: number }

const batchIds = new WeakMap<arrow.RecordBatch, number>();
let nextBatchId = 0;
const idOf = (b: arrow.RecordBatch): number => {
  let id = batchIds.get(b);
  if (id === undefined) batchIds.set(b, (id = nextBatchId++));
  return id;
};

export class ResidentCache {
  /** Live chunks by their runs, least recently used first. */
  private readonly lru = new Map<string, { chunk: ResidentChunk; batches: readonly arrow.RecordBatch[] }>();
  /** The keys of the chunks that hold rows of a batch. */
  private readonly byBatch = new WeakMap<arrow.RecordBatch, Set<string>>();
  private used = 0;

  constructor(private readonly device: GPUDevice, readonly budgetBytes: number) {}

  /** Bytes of device memory the cached chunks take. */
  get bytes(): number { return this.used; }

  /** The chunk of these runs (laid out by `layout` on first use, within the budget). */
  chunk(runs: readonly BatchRun[], layout: () => PackedChunk, usage: number): { chunk: ResidentChunk; created: boolean } {
    const key = runs.map((r) => `${idOf(r.batch)}:${r.r0}:${r.r1}`).join('|');
    const hit = this.lru.get(key);
    if (hit) {
      this.lru.delete(key);
      this.lru.set(key, hit);
      return { chunk: hit.chunk, created: false };
    }
    const packed = layout();
    const bytes = packed.words * 4;
    if (bytes > this.budgetBytes) throw new RangeError(`a cached chunk of ${bytes} bytes over a budget of ${this.budgetBytes}`);
    while (this.used + bytes > this.budgetBytes) this.evict(this.lru.keys().next().value!);
    const chunk: ResidentChunk = { buffer: this.device.createBuffer({ size: bytes, usage }), packed, loaded: new Set() };
    const batches = runs.map((r) => r.batch);
    this.lru.set(key, { chunk, batches });
    for (const b of batches) {
      let keys = this.byBatch.get(b);
      if (!keys) this.byBatch.set(b, (keys = new Set()));
      keys.add(key);
    }
    this.used += bytes;
    return { chunk, created: true };
  }

  /** Frees the chunks that hold rows of these batches. */
  release(batches: readonly arrow.RecordBatch[]): void {
    for (const b of batches) for (const k of [...(this.byBatch.get(b) ?? [])]) this.evict(k);
  }

  clear(): void {
    for (const k of [...this.lru.keys()]) this.evict(k);
  }

  private evict(key: string): void {
    const e = this.lru.get(key);
    if (!e) return;
    this.lru.delete(key);
    for (const b of e.batches) this.byBatch.get(b)?.delete(key);
    e.chunk.buffer.destroy();
    this.used -= e.chunk.packed.words * 4;
  }
}
