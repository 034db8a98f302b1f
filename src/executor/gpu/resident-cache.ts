/**
 * Input chunks kept on the device for sources marked with DataFrame.cache(): one buffer per chunk
 * of a record batch, laid out for every column the batch has a GPU form for, each column written
 * the first time a kernel reads it. Later jobs over the same batches upload nothing but their
 * string remap tables. Bounded by a byte budget: the least recently used chunks go first (a
 * destroyed buffer stays alive on the device until the work already submitted with it is done).
 */
import type * as arrow from 'apache-arrow';
import type { PackedChunk } from './chunk-upload.ts';

export interface ResidentChunk {
  readonly buffer: GPUBuffer;
  readonly packed: PackedChunk;
  /** Columns written so far. */
  readonly loaded: Set<string>;
}

export class ResidentCache {
  private readonly byBatch = new WeakMap<arrow.RecordBatch, Map<string, ResidentChunk>>();
  /** Live chunks, least recently used first, with the batch each belongs to. */
  private readonly lru = new Map<ResidentChunk, arrow.RecordBatch>();
  private used = 0;

  constructor(private readonly device: GPUDevice, readonly budgetBytes: number) {}

  /** Bytes of device memory the cached chunks take. */
  get bytes(): number { return this.used; }

  /** Rows [r0, r1) of `batch` (laid out by `layout` on first use, within the budget). */
  chunk(batch: arrow.RecordBatch, r0: number, r1: number, layout: () => PackedChunk, usage: number): { chunk: ResidentChunk; created: boolean } {
    const key = `${r0}:${r1}`;
    let chunks = this.byBatch.get(batch);
    const hit = chunks?.get(key);
    if (hit) {
      this.lru.delete(hit);
      this.lru.set(hit, batch);
      return { chunk: hit, created: false };
    }
    const packed = layout();
    const bytes = packed.words * 4;
    if (bytes > this.budgetBytes) throw new RangeError(`a cached chunk of ${bytes} bytes over a budget of ${this.budgetBytes}`);
    while (this.used + bytes > this.budgetBytes) this.evict(this.lru.keys().next().value!);
    const chunk: ResidentChunk = { buffer: this.device.createBuffer({ size: bytes, usage }), packed, loaded: new Set() };
    if (!chunks) this.byBatch.set(batch, (chunks = new Map()));
    chunks.set(key, chunk);
    this.lru.set(chunk, batch);
    this.used += bytes;
    return { chunk, created: true };
  }

  /** Frees the chunks of these batches. */
  release(batches: readonly arrow.RecordBatch[]): void {
    for (const b of batches) for (const c of this.byBatch.get(b)?.values() ?? []) this.evict(c);
  }

  clear(): void {
    for (const c of [...this.lru.keys()]) this.evict(c);
  }

  private evict(c: ResidentChunk): void {
    const batch = this.lru.get(c);
    if (!batch) return;
    this.lru.delete(c);
    const chunks = this.byBatch.get(batch)!;
    for (const [i, x] of chunks) if (x === c) chunks.delete(i);
    c.buffer.destroy();
    this.used -= c.packed.words * 4;
  }
}
