/**
 * The GPU executor: map tasks run as WGSL kernels through WebGPU (gpu-map-task.ts); the reduce
 * side merges the (small) shuffle blocks with the CPU reduce task (runReduceTask), and scans delegate to the CPU
 * executor. A spec some part of which has no GPU kernel runs its map task on the CPU, and the
 * reason is kept in lastFallbackReason.
 *
 * One device per executor; GPU tasks take it one at a time (the driver may start several), each
 * giving it up once its results are on the host.
 */
import type * as arrow from 'apache-arrow';
import { availableParallelism } from 'node:os';
import { GpuDeviceError, GpuFallbackError } from '../../errors.ts';
import type { Schema, TExpr } from '../../expr/resolve.ts';
import type { ShuffleBlock } from '../../shuffle/shuffle-block.ts';
import type { Executor, MapResult, ReduceResult, ScanResult, TaskContext } from '../task.ts';
import type { AggregationSpec } from '../../plan/aggregation-spec.ts';
import { BufferPool } from './buffer-pool.ts';
import { openDevice, withErrorScopes, type GpuDevice } from './device.ts';
import { runGpuMapTask, type GpuMapOptions, type GpuMapTimings } from './gpu-map-task.ts';
import { ResidentCache } from './resident-cache.ts';
import { decodeGpuWords, type GpuDecoded, type GpuWords } from './gpu-decode.ts';

/** Threads llvmpipe runs workgroups on: LP_NUM_THREADS when set, else one per core. */
const softwareThreads = (): number => Number(process.env.LP_NUM_THREADS) || availableParallelism();

/**
 * Input bytes per chunk: big, so that a dispatch amortizes its launch (on llvmpipe, q3's kernels
 * over a 5M-row task took 20-27 ms as one dispatch, 34-42 ms as five), at most 256 MiB, and 7/8
 * of the binding limit (llvmpipe's: 128 MiB), leaving room under the pool's power-of-two buffer
 * size for the chunk's string id tables and padding.
 */
const chunkBytes = (gpu: GpuDevice): number =>
  Math.floor(Math.min(256 << 20, gpu.device.limits.maxStorageBufferBindingSize) * 7 / 8);

/** A map result with the GPU's time split (absent when the task fell back to the CPU). */
export interface GpuMapResult extends MapResult {
  readonly gpuTimings?: GpuMapTimings;
  readonly fallbackReason?: string;
  /** The thread that decoded the task's words. */
  readonly decodedBy?: string;
}

/** Runs the host half of a GPU map task somewhere: its result, where, and how long it took there. */
export type GpuDecoder = (words: GpuWords) => Promise<{ decoded: GpuDecoded; executorId: string; runMs: number }>;

const decodeHere: GpuDecoder = async (words) => {
  const t = performance.now();
  const decoded = decodeGpuWords(words);
  return { decoded, executorId: 'driver', runMs: performance.now() - t };
};

export class GpuExecutor implements Executor {
  readonly kind = 'gpu';
  /** Timings of the last map task that ran on the GPU. */
  lastTimings: GpuMapTimings | null = null;
  /** Why the last map task ran on the CPU instead (null when it ran on the GPU). */
  lastFallbackReason: string | null = null;
  /** Options for tests (e.g. small chunks). */
  mapOptions: GpuMapOptions = {};
  private readonly pool: BufferPool;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private readonly resident: ResidentCache;

  private constructor(private readonly gpu: GpuDevice, private readonly cpu: Executor, cacheBytes: number | undefined, private readonly fallback: 'cpu' | 'error') {
    this.pool = new BufferPool(gpu.device);
    this.resident = new ResidentCache(gpu.device, cacheBytes ?? (gpu.software ? 1 : 4) * 2 ** 30);
  }

  /**
   * Opens the hardware adapter, else the software one; GpuUnavailableError says what to install.
   * `cpu`: the executor that runs what has no GPU kernel (fallback map tasks, reduce and scan
   * tasks), on its own threads; `cacheBytes`: device memory for cached inputs (see
   * SessionOptions.gpuCacheBytes); `fallback: 'error'` fails such map tasks instead (GpuFallbackError).
   */
  static async create(options: { cpu: Executor; cacheBytes?: number; fallback?: 'cpu' | 'error' }): Promise<GpuExecutor> {
    return new GpuExecutor(await openDevice(), options.cpu, options.cacheBytes, options.fallback ?? 'cpu');
  }

  /** Device memory the cached inputs take now (bytes). */
  get cachedBytes(): number {
    return this.resident.bytes;
  }

  /**
   * Frees the cached chunks of these batches. A map task submits each chunk's kernels in the same
   * turn it takes the chunk, and a buffer destroyed after a submit lives until that work is done.
   */
  releaseCached(batches: readonly arrow.RecordBatch[]): void {
    this.resident.release(batches);
  }

  get adapterName(): string {
    return this.gpu.adapterName;
  }

  describe(): string {
    return `gpu (${this.gpu.adapterName}); ${this.cpu.describe()} for what has no GPU kernel`;
  }

  /** The adapter is a software rasterizer (Mesa's llvmpipe), not a GPU. */
  get software(): boolean {
    return this.gpu.software;
  }

  /** The device times its compute passes (timestamp queries): map timings carry deviceKernels. */
  get timesPasses(): boolean {
    return this.gpu.timestamps;
  }

  /**
   * `decode` turns the task's words into shuffle blocks (default: here, on the calling thread; the
   * stage executor passes its executor threads').
   */
  async runMap(spec: AggregationSpec, batches: readonly arrow.RecordBatch[], ctx?: TaskContext, decode: GpuDecoder = decodeHere): Promise<GpuMapResult> {
    if (this.closed) throw new GpuDeviceError('the GPU executor is closed');
    // Tasks take the device one at a time; each gives it up once its words are on the host, and
    // is decoded while the next task's kernels run.
    const device = () => {
      const ctx = { device: this.gpu.device, pool: this.pool, workgroupWords: Math.min(8192, this.gpu.device.limits.maxComputeWorkgroupStorageSize / 4), software: this.gpu.software, threads: softwareThreads(), timestamps: this.gpu.timestamps, chunkBytes: chunkBytes(this.gpu), resident: this.resident };
      return withErrorScopes(this.gpu, () => runGpuMapTask(ctx, spec, batches, this.mapOptions));
    };
    const next = this.queue.then(device, device);
    this.queue = next.catch(() => undefined);
    const read = await next;
    if ('fallback' in read) return this.onCpu(spec, batches, read.fallback, ctx);
    const out = await decode(read.words);
    if ('fallback' in out.decoded) return this.onCpu(spec, batches, out.decoded.fallback, ctx);
    const timings = { ...read.timings, merge: out.runMs, total: read.timings.total + out.runMs };
    this.lastFallbackReason = null;
    this.lastTimings = timings;
    return { ...out.decoded.result, gpuTimings: timings, decodedBy: out.executorId };
  }

  /** A spec (or a task's data) with no GPU kernel: the map task runs on the CPU executor's threads, and why is kept. */
  private async onCpu(spec: AggregationSpec, batches: readonly arrow.RecordBatch[], why: string, ctx?: TaskContext): Promise<GpuMapResult> {
    this.lastFallbackReason = why;
    if (this.fallback === 'error') throw new GpuFallbackError([why]);
    return { ...(await this.cpu.runMap(spec, batches, ctx)), fallbackReason: why };
  }

  async runReduce(spec: AggregationSpec, blocks: readonly ShuffleBlock[], ctx?: TaskContext): Promise<ReduceResult> {
    return this.cpu.runReduce(spec, blocks, ctx);
  }

  async runScan(input: Schema, filter: TExpr | null, batches: readonly arrow.RecordBatch[], ctx?: TaskContext): Promise<ScanResult> {
    return this.cpu.runScan(input, filter, batches, ctx);
  }

  /** Destroys the buffers and the device (required before the process exits). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    this.resident.clear();
    this.pool.destroy();
    this.gpu.device.destroy();
  }
}
