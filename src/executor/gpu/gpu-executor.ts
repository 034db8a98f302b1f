/**
 * The GPU executor, built over the CPU executor it is given: map tasks run as WGSL kernels
 * through WebGPU on its one device (gpu-map-task.ts), and the words they read back are decoded on
 * that executor's threads; reduce and scan tasks, and map tasks with no GPU kernel, run on those
 * threads too. Where it runs a map stage is decided per stage (placeStage): on the device when
 * the stage has kernels and, unless the session asked for the GPU outright, the cost estimate
 * (stage-cost.ts) says the device wins.
 *
 * One device per executor; GPU tasks take it one at a time (the driver may start several), each
 * giving it up once its words are on the host. (A device per worker thread would multiply device
 * memory and uploads for one GPU, and Dawn devices in worker threads were seen to crash the
 * process when a thread ended holding one.)
 */
import type * as arrow from 'apache-arrow';
import { availableParallelism } from 'node:os';
import { transferables } from '../../arrow/share.ts';
import { GpuDeviceError, GpuFallbackError, JobCancelledError } from '../../errors.ts';
import type { Schema, TExpr } from '../../expr/resolve.ts';
import type { ShuffleBlock } from '../../shuffle/shuffle-block.ts';
import { hangUntilAborted, type Executor, type LocalExecutor, type MapResult, type ReduceResult, type ScanResult, type StageMerge, type StagePlacement, type StageWork, type TaskContext } from '../task.ts';
import type { AggregationSpec } from '../../plan/aggregation-spec.ts';
import { BufferPool } from './buffer-pool.ts';
import { openDevice, withErrorScopes, type GpuDevice } from './device.ts';
import { runGpuMapTask, type GpuMapOptions, type GpuMapTimings } from './gpu-map-task.ts';
import { prepareGpuTaskShape } from './gpu-task-shape.ts';
import { ResidentCache } from './resident-cache.ts';
import { decodeGpuWords, type GpuDecoded, type GpuWords } from './gpu-decode.ts';
import { gpuTaskDetails } from './gpu-task-details.ts';
import { bytes, ms } from '../../units.ts';
import { gpuKernelGap } from './gpu-kernel-gap.ts';
import { readFileInput, type FileInput } from '../scan-input.ts';
import { cpuMapMs, gpuMapMs, measureFileStage, measureMapStage } from './stage-cost.ts';
import { cachedShare } from './task-pieces.ts';
import { StageTable, type StageHost } from './stage-table.ts';
import { deviceBufferBytes } from './gpu-plan.ts';
import type { MapOutput } from '../../shuffle/shuffle-block.ts';
import { emptyValues } from '../../shuffle/key-column.ts';
import { newState } from '../../aggregate/registry.ts';

/** Threads llvmpipe runs workgroups on: LP_NUM_THREADS when set, else one per core. */
const softwareThreads = (): number => Number(process.env.LP_NUM_THREADS) || availableParallelism();

/** A map output with no rows (a map task whose groups went into its stage's table). */
const emptyMapOutput = (spec: AggregationSpec): MapOutput => ({
  block: { rows: 0, keys: spec.keys.map((k) => ({ dtype: k.dtype, values: emptyValues(k.dtype, 0), valid: null })), states: spec.aggs.map((a) => newState(a.state, 0)) },
  offsets: new Int32Array(spec.partitions + 1),
});

/** Rows a map stage reads (its files' rows, as their footers count them). */
const stageRows = (work: Extract<StageWork, { kind: 'map' }>): number =>
  work.files ? work.files.rows : work.partitions.reduce((a, p) => a + p.reduce((b, batch) => b + batch.numRows, 0), 0);

/**
 * Input bytes per chunk: big, so that a dispatch amortizes its launch (see docs/performance.md),
 * at most 256 MiB, and 7/8 of the binding limit (llvmpipe's: 128 MiB), leaving room under the
 * pool's power-of-two buffer size for the chunk's string id tables and padding.
 */
const chunkBytes = (gpu: GpuDevice): number =>
  Math.floor(Math.min(256 << 20, gpu.device.limits.maxStorageBufferBindingSize) * 7 / 8);

/**
 * How map stages are placed: 'cost' (executor: 'auto') by the estimate; 'gpu' (executor: 'gpu')
 * on the device whenever the stage has kernels.
 */
export type GpuPlacementPolicy = 'cost' | 'gpu';

export interface GpuExecutorOptions {
  /** Runs what has no GPU kernel (fallback map tasks, reduce and scan tasks) and decodes the words read back, on its threads. */
  readonly cpu: LocalExecutor;
  /** Device memory for cached inputs (see SessionOptions.gpuCacheBytes). */
  readonly cacheBytes?: number;
  /** 'error': a map task placed on the GPU with no kernel for its data fails with GpuFallbackError instead of running on the CPU. */
  readonly fallback?: 'cpu' | 'error';
  readonly placement?: GpuPlacementPolicy;
  /** Open the software adapter where no hardware one exists (default true); false: GpuUnavailableError instead. */
  readonly softwareAdapter?: boolean;
  /** Where a grouped stage's partial states merge (SessionOptions.gpuMerge; default 'auto'). */
  readonly merge?: 'auto' | 'device' | 'host';
}

export class GpuExecutor implements LocalExecutor {
  readonly kind = 'gpu';
  /** Timings of the last map task that ran on the GPU. */
  lastTimings: GpuMapTimings | null = null;
  /** Why the last map task ran on the CPU instead (null when it ran on the GPU). */
  lastFallbackReason: string | null = null;
  /** Options for tests (e.g. small chunks). */
  mapOptions: GpuMapOptions = {};
  private readonly pool: BufferPool;
  private readonly resident: ResidentCache;
  private readonly cpu: LocalExecutor;
  private readonly fallback: 'cpu' | 'error';
  private readonly placement: GpuPlacementPolicy;
  private readonly merge: 'auto' | 'device' | 'host';
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Plain-data work (file scans) runs on the CPU executor's threads, where it has them. */
  readonly runOnThread?: Executor['runOnThread'];

  private constructor(private readonly gpu: GpuDevice, options: GpuExecutorOptions) {
    this.cpu = options.cpu;
    this.runOnThread = this.cpu.runOnThread?.bind(this.cpu);
    this.fallback = options.fallback ?? 'cpu';
    this.placement = options.placement ?? 'gpu';
    this.merge = options.merge ?? 'auto';
    this.pool = new BufferPool(gpu.device);
    this.resident = new ResidentCache(gpu.device, options.cacheBytes ?? (gpu.software ? 1 : 4) * 2 ** 30);
  }

  /** Opens the hardware adapter, else the software one; GpuUnavailableError says what to install. */
  static async create(options: GpuExecutorOptions): Promise<GpuExecutor> {
    return new GpuExecutor(await openDevice({ software: options.softwareAdapter ?? true }), options);
  }

  get slots(): number {
    return this.cpu.slots ?? 1;
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
    return `gpu (${this.gpu.adapterName}) for map tasks; ${this.cpu.describe()} for reduce tasks`;
  }

  /** The adapter is a software rasterizer (Mesa's llvmpipe), not a GPU. */
  get software(): boolean {
    return this.gpu.software;
  }

  /** The device times its compute passes (timestamp queries): map timings carry deviceKernels. */
  get timesPasses(): boolean {
    return this.gpu.timestamps;
  }

  placeStage(work: StageWork): StagePlacement {
    const cpu = this.cpu.describe();
    if (work.kind === 'reduce') {
      const why = this.hostMerge(work);
      if (why) return { on: 'cpu', reason: `${cpu}: ${why}` };
      return { on: 'gpu', reason: `gpu (${this.adapterName}): partial states merged on the device into one table, whose final groups alone come back; finalized on ${cpu}` };
    }
    if (work.kind === 'scan') return { on: 'cpu', reason: `${cpu}: a filter-only stage returns its rows, which the CPU selects in place` };
    const gap = gpuKernelGap(work.spec);
    // gpuFallback: 'error' keeps the stage on the GPU, whose tasks then fail with the reason.
    if (gap && this.fallback === 'error') return { on: 'gpu', reason: `gpu (${this.adapterName}), where its tasks fail (gpuFallback: 'error'): no GPU kernel: ${gap}` };
    if (gap) return { on: 'cpu', reason: `${cpu}: no GPU kernel: ${gap}` };
    if (this.placement === 'gpu') {
      const cache = this.cacheOf(work.spec, work.partitions);
      return { on: 'gpu', reason: `gpu (${this.adapterName}): executor 'gpu' asks for it`, ...(cache ? { input: cache.input } : {}) };
    }
    // A cache() input is uploaded once for every later job: the share of it that fits the cache counts as on the device.
    const cache = this.cacheOf(work.spec, work.partitions);
    const input = work.files ? measureFileStage(work.spec, work.files) : measureMapStage(work.spec, work.partitions, cache?.share ?? 0);
    const onGpu = gpuMapMs(input, { software: this.gpu.software, threads: softwareThreads() }, this.slots);
    const onCpu = cpuMapMs(input, this.slots);
    const est = `estimated ${ms(onGpu)} on the GPU vs ${ms(onCpu)} on the CPU for ${input.rows} rows, ` +
      `${bytes(input.bytes - input.cachedBytes)} to upload (${bytes(input.cachedBytes)} cached), ≤ ${input.groups} groups`;
    return onGpu < onCpu ? { on: 'gpu', reason: `gpu (${this.adapterName}): ${est}`, ...(cache ? { input: cache.input } : {}) } : { on: 'cpu', reason: `${cpu}: ${est}` };
  }

  /** Why a reduce's partial states merge on the host, or null where they merge on the device. */
  private hostMerge(work: Extract<StageWork, { kind: 'reduce' }>): string | null {
    if (!work.map || this.placeStage(work.map).on !== 'gpu' || gpuKernelGap(work.spec)) return 'the map stage runs on the CPU';
    return this.mergeRefusal(work.map);
  }

  /** Why a map stage on the device does not merge its partial states there, or null. */
  private mergeRefusal(map: Extract<StageWork, { kind: 'map' }>): string | null {
    if (this.merge === 'host') return 'partial states merged on the host (gpuMerge: \'host\')';
    if (this.merge === 'auto' && this.gpu.software) return 'partial states merged on the host: on a software adapter the merge kernels run on this CPU, slower than the host merges (gpuMerge: \'device\' asks for them)';
    const unsupported = StageTable.unsupported(map.spec, stageRows(map));
    return unsupported ? `partial states merged on the host: ${unsupported}` : null;
  }

  /** The stage's reduce is placed on the device (placeStage placed its map stage there already). */
  openStageMerge(work: Extract<StageWork, { kind: 'map' }>): StageMerge | null {
    if (this.mergeRefusal(work)) return null;
    const host: StageHost = {
      device: this.gpu.device, pool: this.pool, maxBufferBytes: deviceBufferBytes(this.gpu.device, this.gpu.software), adapterName: this.adapterName, software: this.gpu.software, threads: this.slots,
      onDevice: (w) => this.onDevice(() => withErrorScopes(this.gpu, w)),
      decode: (words, ctx) => this.decode(words, ctx),
    };
    return new StageTable(host, work.spec, stageRows(work));
  }

  /** Runs device work once the tasks before it are done with the device (one at a time). */
  private onDevice<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** How much of a cached map stage's input the device cache holds (null: not cached). */
  private cacheOf(spec: AggregationSpec, partitions: readonly (readonly arrow.RecordBatch[])[]): { share: number; input: string } | null {
    if (spec.cacheInput === undefined) return null;
    const { bytes: total, share } = cachedShare(spec, partitions, this.resident.budgetBytes);
    return { share, input: `cached ${Math.floor(share * 100)}% of ${bytes(total)}` };
  }

  /** On the GPU, a scan task's units are decoded on a CPU thread and uploaded from here. */
  async runMapScan(spec: AggregationSpec, input: FileInput, ctx?: TaskContext): Promise<MapResult> {
    if (ctx?.placement?.on === 'cpu') return this.cpu.runMapScan(spec, input, ctx);
    const { batches, scan } = await readFileInput(this.cpu, input, ctx);
    return { ...(await this.runMap(spec, batches, ctx)), scan };
  }

  async runMap(spec: AggregationSpec, batches: readonly arrow.RecordBatch[], ctx?: TaskContext): Promise<MapResult> {
    if (ctx?.placement?.on === 'cpu') return this.cpu.runMap(spec, batches, ctx);
    if (this.closed) throw new GpuDeviceError('the GPU executor is closed');
    if (ctx?.signal?.aborted) throw ctx.signal.reason;
    if (ctx?.fault === 'throw' || ctx?.fault === 'crash') throw new Error(`injected GPU task failure (${ctx.fault})`);
    if (ctx?.fault === 'hang') await hangUntilAborted(ctx.signal);
    // The task's scans of its input (string encoding, value ranges) run in slices before it waits
    // for the device, between turns of the event loop.
    await prepareGpuTaskShape(spec, batches, ctx?.signal);
    // Tasks take the device one at a time; each gives it up once its words are on the host (or
    // merged into its stage's table), and is decoded while the next task's kernels run.
    const stage = ctx?.merge instanceof StageTable ? ctx.merge : undefined;
    const device = () => {
      if (ctx?.signal?.aborted) throw new JobCancelledError('the job was cancelled');
      const gctx = { device: this.gpu.device, pool: this.pool, workgroupWords: Math.min(8192, this.gpu.device.limits.maxComputeWorkgroupStorageSize / 4), software: this.gpu.software, threads: softwareThreads(), timestamps: this.gpu.timestamps, chunkBytes: chunkBytes(this.gpu), resident: this.resident };
      return withErrorScopes(this.gpu, () => runGpuMapTask(gctx, spec, batches, this.mapOptions, ctx?.signal, stage)).catch((e: unknown) => {
        // A device error after the task's merge was submitted: the stage's table cannot be trusted.
        if (e instanceof GpuDeviceError) stage?.poison(`a map task failed on the device: ${e.message}`);
        throw e;
      });
    };
    const read = await this.onDevice(device);
    if ('fallback' in read) return this.onCpu(spec, batches, read.fallback, ctx);
    const executorId = `gpu ${this.adapterName}`;
    if ('merged' in read) {
      const t = read.timings;
      this.lastFallbackReason = null;
      this.lastTimings = t;
      const details = gpuTaskDetails({
        adapter: this.adapterName, uploadMs: t.upload, kernelMs: t.kernels, readbackMs: 0, mergeMs: 0,
        deviceKernelMs: t.deviceKernels ?? undefined, inputBytes: t.inputBytes, uploadBytes: t.uploadBytes, mergedOn: 'device', mode: t.mode,
      }, executorId);
      return { shuffle: emptyMapOutput(spec), inputRows: read.merged.inputRows, outputRows: read.merged.groups, details, executorId, runMs: t.total };
    }
    const out = await this.decode(read.words, ctx);
    if ('fallback' in out.decoded) return this.onCpu(spec, batches, out.decoded.fallback, ctx);
    const t = { ...read.timings, merge: out.runMs, total: read.timings.total + out.runMs };
    this.lastFallbackReason = null;
    this.lastTimings = t;
    const details = gpuTaskDetails({
      adapter: this.adapterName, uploadMs: t.upload, kernelMs: t.kernels, readbackMs: t.readback, mergeMs: t.merge,
      deviceKernelMs: t.deviceKernels ?? undefined, inputBytes: t.inputBytes, uploadBytes: t.uploadBytes, mergedOn: out.executorId, mode: t.mode,
    }, executorId);
    return { ...out.decoded.result, details, executorId, runMs: t.total };
  }

  /** The host half of a task: on a CPU executor thread where there are any, else here. */
  private async decode(words: GpuWords, ctx?: TaskContext): Promise<{ decoded: GpuDecoded; executorId: string; runMs: number }> {
    if (this.cpu.runOnThread) {
      // The words move to the thread (a retry of the task reads them off the device again).
      const r = await this.cpu.runOnThread('gpu-decode', words, transferables(words.words), ctx);
      return { decoded: r.output as GpuDecoded, executorId: r.executorId, runMs: r.runMs };
    }
    const start = performance.now();
    const decoded = decodeGpuWords(words);
    return { decoded, executorId: 'driver', runMs: performance.now() - start };
  }

  /** A task's data with no GPU kernel: the map task runs on the CPU executor's threads, and why is kept. */
  private async onCpu(spec: AggregationSpec, batches: readonly arrow.RecordBatch[], why: string, ctx?: TaskContext): Promise<MapResult> {
    this.lastFallbackReason = why;
    if (this.fallback === 'error') throw new GpuFallbackError([why]);
    return { ...(await this.cpu.runMap(spec, batches, ctx)), fallbackReason: why };
  }

  runReduce(spec: AggregationSpec, blocks: readonly ShuffleBlock[], ctx?: TaskContext): Promise<ReduceResult> {
    return this.cpu.runReduce(spec, blocks, ctx);
  }

  runScan(input: Schema, filter: TExpr | null, batches: readonly arrow.RecordBatch[], ctx?: TaskContext): Promise<ScanResult> {
    return this.cpu.runScan(input, filter, batches, ctx);
  }

  /** Destroys the buffers and the device (required before the process exits), leaving the CPU executor open. */
  async closeDevice(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    this.resident.clear();
    this.pool.destroy();
    this.gpu.device.destroy();
  }

  /** Closes the device, then the CPU executor it was built over. */
  async close(): Promise<void> {
    await this.closeDevice();
    await this.cpu.close();
  }
}
