/**
 * How the GPU joins the executor model: one GPU executor, fed by the driver, runs every map task
 * (filter + partial aggregation as WGSL kernels on its one device); reduce and scan tasks, which
 * are small or row-shaped, run on the CPU executor threads. A device per worker thread would
 * multiply device memory and uploads for one GPU, and Dawn devices in worker threads were seen to
 * crash the process when a thread ended holding one.
 */
import type * as arrow from 'apache-arrow';
import type { Schema, TExpr } from '../expr/resolve.ts';
import type { ShuffleBlock } from '../shuffle/shuffle-block.ts';
import type { GpuExecutor } from './gpu/gpu-executor.ts';
import type { GpuDecodeHost } from './gpu/gpu-decode.ts';
import { hangUntilAborted, type Executor, type MapResult, type ReduceResult, type ScanResult, type TaskContext } from './task.ts';
import type { AggregationSpec } from '../plan/aggregation-spec.ts';

export class GpuStageExecutor implements Executor {
  readonly kind = 'gpu';

  constructor(readonly gpu: GpuExecutor, private readonly cpu: Executor) {}

  get slots(): number {
    return this.cpu.slots ?? 1;
  }

  /** Adapter name and backend, as explain() and the metrics print it. */
  get adapter(): string {
    return this.gpu.adapterName;
  }

  async runMap(spec: AggregationSpec, batches: readonly arrow.RecordBatch[], ctx?: TaskContext): Promise<MapResult> {
    if (ctx?.signal?.aborted) throw ctx.signal.reason;
    if (ctx?.fault === 'throw' || ctx?.fault === 'crash') throw new Error(`injected GPU task failure (${ctx.fault})`);
    if (ctx?.fault === 'hang') await hangUntilAborted(ctx.signal);
    // The words each task reads back are decoded on an executor thread where there are any, so
    // that the driver thread only feeds the device.
    const host = this.cpu as Executor & Partial<GpuDecodeHost>;
    const r = await this.gpu.runMap(spec, batches, ctx, host.decodeGpuWords ? (w) => host.decodeGpuWords!(w, ctx) : undefined);
    const t = r.gpuTimings;
    return {
      ...r,
      // A fallback ran on the CPU executor, which names its thread and times its run.
      executorId: r.fallbackReason ? r.executorId ?? 'cpu (fallback)' : `gpu ${this.adapter}`,
      runMs: r.fallbackReason ? r.runMs : t?.total,
      gpu: t ? { adapter: this.adapter, uploadMs: t.upload, kernelMs: t.kernels, readbackMs: t.readback, mergeMs: t.merge, mode: t.mode, deviceKernelMs: t.deviceKernels ?? undefined, inputBytes: t.inputBytes, uploadBytes: t.uploadBytes, mergedOn: r.decodedBy } : undefined,
      fallbackReason: r.fallbackReason,
    };
  }

  runReduce(spec: AggregationSpec, blocks: readonly ShuffleBlock[], ctx?: TaskContext): Promise<ReduceResult> {
    return this.cpu.runReduce(spec, blocks, ctx);
  }

  runScan(input: Schema, filter: TExpr | null, batches: readonly arrow.RecordBatch[], ctx?: TaskContext): Promise<ScanResult> {
    return this.cpu.runScan(input, filter, batches, ctx);
  }

  describe(): string {
    return `gpu (${this.adapter}) for map tasks; ${this.cpu.describe()} for reduce tasks`;
  }

  releaseCached(batches: readonly arrow.RecordBatch[]): void {
    this.gpu.releaseCached(batches);
  }

  async close(): Promise<void> {
    await Promise.all([this.gpu.close(), this.cpu.close()]);
  }
}
