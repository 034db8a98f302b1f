/**
 * Input chunks kept on the device for sources marked with DataFrame.cache(): one buffer per chunk
 * of a task's rows (runs of its batches, back to back), laid out for every column the input has a
 * GPU form for, each column written the first time a kernel reads it. Later jobs over the same
 * batches upload nothing but their string remap tables.
 *
 * Bounded by a byte budget. A new chunk makes room by evicting other inputs' chunks, least
 * recently used first, but never its own input's: an input bigger than the budget keeps the chunks
 * that fit and its other chunks are read uncached, the same ones each job. (Evicting its own
 * chunks, as plain LRU would, made every job re-upload all of them, slower than not caching.) A
 * destroyed buffer stays alive on the device until the work already submitted with it is done.
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
  /** Live chunks by their runs, least recently used first, with the id of their cached input. */
  private readonly lru = new Map<string, { chunk: ResidentChunk; batches: readonly arrow.RecordBatch[]; source: number }>();
  /** The keys of the chunks that hold rows of a batch. */
  private readonly byBatch = new WeakMap<arrow.RecordBatch, Set<string>>();
  private used = 0;

  constructor(private readonly device: GPUDevice, readonly budgetBytes: number) {}

  /** Bytes of device memory the cached chunks take. */
  get bytes(): number { return this.used; }

  /**
   * The chunk of these runs of cached input `source` (laid out by `layout` on first use), or null
   * when it does not fit the budget without evicting a chunk of the same input: read it uncached.
   */
  chunk(runs: readonly BatchRun[], source: number, layout: () => PackedChunk, usage: number): { chunk: ResidentChunk; created: boolean } | null {
    const key = runs.map((r) => `${idOf(r.batch)}:${r.r0}:${r.r1}`).join('|');
    const hit = this.lru.get(key);
    if (hit) {
      this.lru.delete(key);
      this.lru.set(key, hit);
      return { chunk: hit.chunk, created: false };
    }
    const packed = layout();
    const bytes = packed.words * 4;
    const victims: string[] = [];
    let free = this.budgetBytes - this.used;
    for (const [k, e] of this.lru) {
      if (free >= bytes) break;
      if (e.source === source) continue;
      victims.push(k);
      free += e.chunk.packed.words * 4;
    }
    if (free < bytes) return null;
    for (const k of victims) this.evict(k);
    const chunk: ResidentChunk = { buffer: this.device.createBuffer({ size: bytes, usage }), packed, loaded: new Set() };
    const batches = runs.map((r) => r.batch);
    this.lru.set(key, { chunk, batches, source });
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
