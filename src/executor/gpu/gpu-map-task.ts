/**
 * A map task on the GPU:
 *
 *   bind columns ─► plan (global | dense | hash) ─► for each chunk of each batch (bounded bytes):
 *       pack + upload the chunk's columns ─► map kernel pass 0 [─► pass 1: low words of 64-bit min/max]
 *       [─► fold kernel: per-invocation regions into the slot array (software adapters)]
 *   ─► partition kernel (shuffle hash of each group's key) ─► read back the slot array only
 *   ─► gpu-decode.ts, off the device: states and keys on the host ─► one shuffle block per reduce partition
 *
 * Accumulators stay on the GPU across chunks; only the compact slot array comes back. Returns a
 * fallback reason instead when some part of the spec has no GPU kernel (the caller runs the CPU
 * task then).
 */
import type * as arrow from 'apache-arrow';
import { bindColumn, type ColumnChunk } from '../../arrow/column-chunk.ts';
import { fieldOf } from '../../expr/resolve.ts';
import { type AggregationSpec, columnsOfSpec } from '../../plan/aggregation-spec.ts';
import { StringIds } from '../string-ids.ts';
import { USAGE as U, type BufferPool } from './buffer-pool.ts';
import { bytesPerRow, columnParams, layoutChunk, writeRemap, type ColumnPlace, type PackedChunk, type Segment } from './chunk-upload.ts';
import type { ResidentCache, ResidentChunk } from './resident-cache.ts';
import { chooseGpuPlan, MAX_BUFFER_BYTES, SOFTWARE_LOOP_ITERATIONS, SOFTWARE_WORKGROUP } from './gpu-plan.ts';
import { argNullable, mapShaderSource, type MapShader, type MapShaderKey } from './map-shader.ts';
import { FOLD_PARAMS, foldShaderSource, type FoldShaderKey } from './fold-shader.ts';
import { encodePartitionIds } from './partition-pass.ts';
import { keyString, paramsArray, pipelineFor } from './pipeline-cache.ts';
import { GpuUnsupported } from './wgsl-expr.ts';
import { keptInit, keptWords, regionStride } from './gpu-acc-layout.ts';
import { gpuTaskShape } from './gpu-task-shape.ts';
import { bindAll, residentColumns, residentRows, taskPieces, type Run } from './task-pieces.ts';
import { passTimes } from './timestamps.ts';
import type { GpuWords } from './gpu-decode.ts';

/** Where a GPU map task spent its time (milliseconds, wall clock on the host). */
export interface GpuMapTimings {
  /** Binding, packing and queueing the input columns (host copies into Dawn's staging memory). */
  upload: number;
  /** From the first dispatch until the queue finished every kernel. */
  kernels: number;
  /** Copying the slot array back and mapping it. */
  readback: number;
  /** Host decode of states and keys, and the split into shuffle blocks. */
  merge: number;
  total: number;
  /**
   * The GPU's own time in the task's compute passes (timestamp queries), over input already on the
   * device; null when the device cannot time passes (llvmpipe) or the task had too many chunks.
   */
  deviceKernels: number | null;
  /** Bytes of packed input the map kernels read (columns, validity bits). */
  inputBytes: number;
  /** Bytes written to the device for them (less than inputBytes when the input is cached). */
  uploadBytes: number;
  chunks: number;
  mode: string;
}

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

/**
 * A map task whose device work is done: its words are on the host, and decodeGpuWords turns them
 * into shuffle blocks without the device (timings.merge and total are the caller's to complete).
 */
export interface GpuReadback { readonly words: GpuWords; readonly timings: GpuMapTimings }

/** Timestamp queries a task may use (two per compute pass); a task with more passes goes untimed. */
const MAX_QUERIES = 4096;
export const WORKGROUP_SIZE = 128;

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
}

export async function runGpuMapTask(gpu: GpuContext, spec: AggregationSpec, batches: readonly arrow.RecordBatch[], opts: GpuMapOptions = {}): Promise<GpuReadback | { fallback: string }> {
  const t0 = performance.now();
  const { device, pool } = gpu;
  const names = columnsOfSpec(spec);
  const datas = batches.map((b) => new Map(names.map((n) => [n, b.getChild(n)!.data[0]])));
  const rows = batches.reduce((a, b) => a + b.numRows, 0);
  const shape = gpuTaskShape(spec, names, datas, rows);
  if ('fallback' in shape) return shape;
  const { layout, shifts, exactSums, finite, nonNegative } = shape;
  const strings = new StringIds();
  const chunks = datas.map((m) => new Map([...m].map(([n, d]) => [n, bindColumn(d, fieldOf(spec.input, n).dtype)])));
  // Task-wide string ids, batch by batch (the plan counts them; kernels map codes through them).
  for (const m of chunks) for (const c of m.values()) if (c.dictionary) strings.remap(c.dictionary);
  const software = opts.adapterClass ? opts.adapterClass === 'software' : gpu.software;
  // One kernel (and pass-1 kernel) for all the task's batches: nullability is the task's.
  const nullable = names.filter((nm) => chunks.some((c) => c.get(nm)!.nullCount > 0));
  const nullableSet = new Set(nullable);
  const argNulls = argNullable(spec.aggs, nullable);
  // The slot words a row of this task can write: all that the slot arrays keep (keptWords).
  const facts = spec.aggs.map((_, j) => ({ nullable: argNulls[j]!, finite: finite[j]!, nonNegative: nonNegative[j]! }));
  const shared = keptWords(layout, facts, false);
  const own = keptWords(layout, facts, true);
  const plan = chooseGpuPlan(spec, chunks, strings, rows, shared.length, own.length, gpu.workgroupWords, software, gpu.threads, opts.privateWords);
  const SW = shared.length; // words per slot of the task's slot array
  // Rows per invocation. Per-invocation privatization (software adapters) runs one SIMD vector
  // of invocations per workgroup, each over many rows: measured on llvmpipe, 8 × 8192 beat
  // 64 × 2048 and 16 × 4096. 'region' kernels run plan.regionWorkgroups workgroups over each whole
  // chunk instead. GPUs want many workgroups in flight: measured on an H200 over 1e7 rows,
  // workgroup slots ran fastest at 16 rows (device ms at 8 / 16 / 32 rows, kept-word slots: q1
  // 0.68 / 0.43 / 1.27, q3 0.55 / 0.38 / 0.34, q5 2.29 / 2.40 / 2.64), 5× faster than at 128;
  // global atomics at 1 to 4. Global atomics on a software adapter run as its other kernels do,
  // one SIMD vector per workgroup: measured on llvmpipe over q2's 5M-row task, 8 × 256 took 77 ms
  // where 128 × 4 took 95 (medians of 5).
  const softAtomics = software && plan.privatized === 'none';
  const R = opts.rowsPerInvocation && plan.privatized !== 'region' ? opts.rowsPerInvocation
    : { invocation: 8192, workgroup: 16, none: softAtomics ? 256 : 4, region: 0 }[plan.privatized];
  const region = plan.privatized === 'region';
  const invocation = plan.privatized === 'invocation';
  const WG = invocation || region || softAtomics ? SOFTWARE_WORKGROUP : WORKGROUP_SIZE;
  const tile = region ? WG : WG * R;

  const shaderKey = (pass: 0 | 1): MapShaderKey => ({
    mode: plan.mode, privatized: plan.privatized, slots: plan.privatized !== 'none' ? plan.slots : 0, pass,
    filter: spec.filter, keys: spec.keys, keyNullable: plan.keyNullable, aggs: spec.aggs,
    nullable, workgroupSize: WG, rowsPerInvocation: R, finite, nonNegative,
    sharedWords: shared,
    ...(invocation || region ? { ownWords: own } : {}),
  });
  const shaders = new Map<string, MapShader>();
  const shaderFor = (key: MapShaderKey): { shader: MapShader; k: string } => {
    const k = keyString(key);
    let s = shaders.get(k);
    if (!s) shaders.set(k, (s = mapShaderSource(key)));
    return { shader: s, k };
  };
  let p0: { shader: MapShader; k: string };
  try {
    p0 = shaderFor(shaderKey(0));
  } catch (e) {
    if (e instanceof GpuUnsupported) return { fallback: e.message };
    throw e;
  }

  const slotCount = plan.slots;
  // Slots, the trash slot (rows a dense / global kernel filtered out), the status word.
  const accWords = (slotCount + 1) * SW + 1;
  const status = (slotCount + 1) * SW;
  const taken: GPUBuffer[] = [];
  const take = (bytes: number, usage: number) => { const b = pool.acquire(bytes, usage); taken.push(b); return b; };
  const acc = take(accWords * 4, U.STORAGE | U.COPY_SRC | U.COPY_DST);
  const tab = plan.mode === 'hash' ? take(slotCount * plan.tableWidth * 4, U.STORAGE | U.COPY_SRC | U.COPY_DST) : null;
  const kernelColumns = p0.shader.columns;
  const per = bytesPerRow(kernelColumns);
  // Per-invocation privatization: every invocation of a chunk leaves a region of slot words in `part`.
  const stride = region ? regionStride(own.length) : own.length;
  const regionWords = (slotCount + 1) * stride;
  const byParts = invocation ? Math.max(1, Math.floor(MAX_BUFFER_BYTES / 4 / regionWords / WG)) * tile : Infinity;
  // A chunk's string code → id tables take at most all the task's dictionaries (a chunk's own, or their union).
  const dictBytes = kernelColumns.reduce((a, c) => a + (c.dtype.id === 'utf8' ? chunks.reduce((d, m) => d + 4 * m.get(c.name)!.dictionary!.length, 0) : 0), 0);
  const byBytes = Math.max(tile, Math.floor(Math.max(0, gpu.chunkBytes - dictBytes) / Math.max(1, per) / tile) * tile);
  // A region kernel's invocations loop over a share of the chunk's rows: within llvmpipe's loop bound.
  const byLoop = region ? plan.regionWorkgroups * WG * SOFTWARE_LOOP_ITERATIONS : Infinity;
  const chunkRows = Math.max(1, Math.min(byBytes, byParts, byLoop, opts.maxChunkRows ?? Infinity));
  const cache = spec.cacheInput && gpu.resident ? gpu.resident : null;
  const cachedColumns = cache ? residentColumns(spec) : [];
  const span = cache ? Math.min(opts.cacheChunkRows ?? Infinity, residentRows(cachedColumns, batches, Math.min(gpu.chunkBytes, cache.budgetBytes / 4))) : 0;
  const pieces = taskPieces(batches, chunkRows, span);
  const segments = (runs: readonly Run[], columns: (b: number) => ReadonlyMap<string, ColumnChunk>): Segment[] =>
    runs.map((r) => ({ columns: columns(r.b), r0: r.r0, r1: r.r1 }));
  const packs = pieces.map((p) => (p.cached ? null : layoutChunk(kernelColumns, segments(p.runs, (b) => chunks[b]))));
  // Regions of `part`: one per invocation of a piece, or per invocation of the whole task.
  const regions = region ? plan.regionWorkgroups * WG : invocation ? Math.ceil(pieces.reduce((a, p) => Math.max(a, p.rows), 0) / tile) * WG : 0;
  const params = [take(1024, U.UNIFORM | U.COPY_DST), take(1024, U.UNIFORM | U.COPY_DST)];
  const timings: GpuMapTimings = { upload: 0, kernels: 0, readback: 0, merge: 0, total: 0, chunks: 0, deviceKernels: null, inputBytes: 0, uploadBytes: 0, mode: `${plan.mode}${plan.privatized !== 'none' ? `/${plan.privatized}` : ''}` };

  // Every compute pass of the task (one per chunk, the final fold, the partition ids) writes a
  // begin and an end timestamp when the device can.
  const pid = plan.mode !== 'global' && spec.partitions > 1 ? take(slotCount * 4, U.STORAGE | U.COPY_SRC) : null;
  const passCount = pieces.length + (region ? 1 : 0) + (pid ? 1 : 0);
  const stamps = gpu.timestamps && passCount > 0 && 2 * passCount <= MAX_QUERIES ? device.createQuerySet({ type: 'timestamp', count: 2 * passCount }) : null;
  let passNo = 0;
  const beginPass = (enc: GPUCommandEncoder): GPUComputePassEncoder => {
    const at = 2 * passNo++;
    return enc.beginComputePass(stamps ? { timestampWrites: { querySet: stamps, beginningOfPassWriteIndex: at, endOfPassWriteIndex: at + 1 } } : undefined);
  };

  try {
    // Initial slot words (min keys start at all-ones), an empty table; so too the task's regions.
    const part = regions ? take(regions * regionWords * 4, U.STORAGE | U.COPY_DST) : null;
    const enc0 = device.createCommandEncoder();
    const initSlots = (buf: GPUBuffer, words: number, slot: readonly number[]) => {
      if (slot.every((x) => x === 0)) { enc0.clearBuffer(buf, 0, words * 4); return; }
      const init = new Uint32Array(words);
      for (let s = 0; s + slot.length <= words; s += slot.length) init.set(slot, s);
      device.queue.writeBuffer(buf, 0, init);
    };
    initSlots(acc, accWords, keptInit(layout, shared));
    if (part && region) initSlots(part, regions * regionWords, keptInit(layout, own, stride));
    if (tab) enc0.clearBuffer(tab, 0, slotCount * plan.tableWidth * 4);
    device.queue.submit([enc0.finish()]);
    const foldKey: FoldShaderKey = { layout, slots: slotCount, ownWords: own, sharedWords: shared, stride, regionWords, workgroupSize: 64 };
    /** Folds `n` regions of `part` into the slot array (after the map kernels in `pass`). */
    const foldInto = (pass: GPUComputePassEncoder, n: number) => {
      if (!part) return;
      const pipeline = pipelineFor(device, `fold ${keyString(foldKey)}`, () => foldShaderSource(foldKey).source);
      const fwgs = Math.ceil(slotCount / 64);
      const fx = Math.min(fwgs, 65535);
      device.queue.writeBuffer(params[1], 0, paramsArray(FOLD_PARAMS, new Map([['regions', n], ['nx', fx]])));
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: params[1] } },
          { binding: 1, resource: { buffer: part } },
          { binding: 2, resource: { buffer: acc } },
        ],
      }));
      pass.dispatchWorkgroups(fx, Math.ceil(fwgs / fx));
    };

    const input = packs.some((x) => x) ? take(Math.max(16, ...packs.map((x) => (x ? x.words * 4 : 0))), U.STORAGE | U.COPY_DST) : null;
    const fixed = new Map<string, number>([['mask', slotCount - 1], ['lim', 2 * slotCount + 64], ['status', status]]);
    plan.kmin.forEach((v, j) => { fixed.set(`kmin${j}`, v); fixed.set(`kstride${j}`, plan.kstride[j]); fixed.set(`knull${j}`, plan.knull[j]); });
    shifts.forEach((s, j) => fixed.set(`S${j}`, s));
    let tKernelStart = 0;
    const p1 = layout.twoPass && !invocation && !region ? shaderFor(shaderKey(1)) : null;
    const lits = p0.shader.literals.map((s) => strings.id(s));
    const readPerRow = bytesPerRow(kernelColumns, nullableSet);
    let resident: ResidentChunk | null = null;
    for (const [pi0, { runs, d, rows: n, cached }] of pieces.entries()) {
      const tu = performance.now();
      let buf: GPUBuffer, packed: PackedChunk;
      const remap = (place: ColumnPlace) => { if (place.remap) timings.uploadBytes += writeRemap(place, strings.remap(place.remap.dictionary), buf, device.queue); };
      if (cached) {
        const got = cache!.chunk(runs.map((r) => ({ batch: batches[r.b], r0: r.r0, r1: r.r1 })),
          () => layoutChunk(cachedColumns, segments(runs, (b) => bindAll(cachedColumns, batches[b]))), U.STORAGE | U.COPY_DST);
        ({ buffer: buf, packed } = got.chunk);
        if (got.created) timings.uploadBytes += packed.writeOnes(buf, device.queue);
        // Columns on first read; remap tables once per chunk and task (they are the task's).
        const fresh = got.chunk !== resident;
        resident = got.chunk;
        for (const { name } of kernelColumns) {
          const place = packed.places.get(name)!;
          if (!got.chunk.loaded.has(name)) { timings.uploadBytes += place.write(buf, device.queue); got.chunk.loaded.add(name); }
          if (fresh) remap(place);
        }
      } else {
        buf = input!;
        packed = packs[pi0]!;
        timings.uploadBytes += packed.writeOnes(buf, device.queue);
        for (const place of packed.places.values()) timings.uploadBytes += place.write(buf, device.queue);
        for (const { name } of kernelColumns) remap(packed.places.get(name)!);
      }
      const wgs = region ? plan.regionWorkgroups : Math.ceil(n / tile);
      const nx = Math.max(1, Math.min(wgs, 65535)), ny = Math.max(1, Math.ceil(wgs / nx));
      const values = new Map([...fixed, ...columnParams(kernelColumns, packed, nullableSet, d), ['rows', n], ['nx', nx], ['rpi', Math.ceil(n / (wgs * WG))]]);
      lits.forEach((id, j) => values.set(`L${j}`, id));
      timings.inputBytes += Math.round(readPerRow * n);
      const enc = device.createCommandEncoder();
      const pass = beginPass(enc);
      for (const [pi, p] of [p0, p1].entries()) {
        if (!p) continue;
        const pipeline = pipelineFor(device, p.k, () => p.shader.source);
        device.queue.writeBuffer(params[pi], 0, paramsArray(p.shader.params, values));
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, device.createBindGroup({
          layout: pipeline.getBindGroupLayout(0),
          entries: [
            { binding: 0, resource: { buffer: params[pi] } },
            // The chunk's words only: the buffer may be bigger (the pool's power-of-two sizes).
            { binding: 1, resource: { buffer: buf, size: packed.words * 4 } },
            { binding: 2, resource: { buffer: part ?? acc } },
            ...(tab ? [{ binding: 3, resource: { buffer: tab } }] : []),
            ...(p.shader.wide ? [{ binding: 4, resource: { buffer: buf, size: (packed.words >> 1) * 8 } }] : []),
          ],
        }));
        pass.dispatchWorkgroups(nx, ny);
      }
      if (invocation) foldInto(pass, nx * ny * WG);
      pass.end();
      timings.upload += performance.now() - tu;
      if (!tKernelStart) tKernelStart = performance.now();
      device.queue.submit([enc.finish()]);
      timings.chunks++;
    }

    // Partition ids of the slots, then one copy of everything the host needs.
    const enc = device.createCommandEncoder();
    if (region) {
      const pass = beginPass(enc);
      foldInto(pass, regions);
      pass.end();
    }
    if (pid) {
      const pass = beginPass(enc);
      encodePartitionIds(device, pass, take, spec, plan, SW, strings, { acc, tab, pid });
      pass.end();
    }
    const accBytes = accWords * 4;
    const tabBytes = tab ? slotCount * plan.tableWidth * 4 : 0;
    const pidBytes = pid ? slotCount * 4 : 0;
    const stampBytes = stamps ? passNo * 16 : 0;
    const rbBytes = accBytes + tabBytes + pidBytes + stampBytes;
    const rb = take(rbBytes, U.MAP_READ | U.COPY_DST);
    enc.copyBufferToBuffer(acc, 0, rb, 0, accBytes);
    if (tab) enc.copyBufferToBuffer(tab, 0, rb, accBytes, tabBytes);
    if (pid) enc.copyBufferToBuffer(pid, 0, rb, accBytes + tabBytes, pidBytes);
    if (stamps) {
      const resolved = take(stampBytes, U.QUERY_RESOLVE | U.COPY_SRC);
      enc.resolveQuerySet(stamps, 0, 2 * passNo, resolved, 0);
      enc.copyBufferToBuffer(resolved, 0, rb, rbBytes - stampBytes, stampBytes);
    }
    device.queue.submit([enc.finish()]);
    await device.queue.onSubmittedWorkDone();
    const tr = performance.now();
    timings.kernels = tr - (tKernelStart || tr);
    await rb.mapAsync(1, 0, rbBytes);
    const words = new Uint32Array(rb.getMappedRange(0, rbBytes).slice(0));
    rb.unmap();
    timings.readback = performance.now() - tr;
    if (stamps) timings.deviceKernels = passTimes(words.subarray((rbBytes - stampBytes) / 4)).reduce((a, b) => a + b, 0) / 1e6;
    // The rest needs only the host (gpu-decode.ts): the device and its buffers are free for the next task.
    const readback: GpuWords = {
      spec, plan, layout, kept: shared, shifts, exactSums, words, accWords, tabWords: tabBytes / 4, pids: pid !== null, names: [...strings.ids.keys()], inputRows: rows,
    };
    timings.total = performance.now() - t0;
    return { words: readback, timings };
  } finally {
    for (const b of taken) pool.release(b);
    stamps?.destroy();
  }
}
