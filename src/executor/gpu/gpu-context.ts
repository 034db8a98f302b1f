/** What a GPU map task runs with: the executor's device and what it knows of it, and options for tests and tuning. */
import type { BufferPool } from './buffer-pool.ts';
import type { ResidentCache } from './resident-cache.ts';

export interface GpuContext {
  readonly device: GPUDevice;
  readonly pool: BufferPool;
  readonly workgroupWords: number;
  /** A CPU-like adapter (llvmpipe): few, long-running invocations with private accumulators. */
  readonly software: boolean;
  /** Threads a software adapter runs workgroups on (its cores). */
  readonly threads: number;
  /** The device has timestamp queries. */
  readonly timestamps: boolean;
  /** Bound on a chunk's packed input (bytes). */
  readonly chunkBytes: number;
  /** Chunks of cached sources kept on the device (DataFrame.cache()). */
  readonly resident?: ResidentCache;
}

export interface GpuMapOptions {
  /** Largest chunk in rows (tests use small chunks to prove results do not depend on them). */
  maxChunkRows?: number;
  /** Largest private slot array, in words (tests bound llvmpipe's compile time with it; 0: none). */
  privateWords?: number;
  /** Plan kernels as for this kind of adapter (tests run the GPU kernels on the software adapter). */
  adapterClass?: 'software' | 'hardware';
  /** Rows each invocation of a (non-region) map kernel takes (tuning runs measure it). */
  rowsPerInvocation?: number;
  /** Rows per chunk of a cached batch on the device (tests use small ones). */
  cacheChunkRows?: number;
  /** Largest slot array or hash table of a task, in bytes (tests make small tables overflow; default: the device's). */
  maxBufferBytes?: number;
}
