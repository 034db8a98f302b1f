/**
 * A map task on the GPU:
 *
 *   plan on the host (gpu-map-plan.ts) ─► slot buffers (task-slots.ts) ─► for each piece (bounded bytes):
 *       upload its columns (piece-upload.ts) ─► map kernel [─► pass 1: low words of 64-bit min/max]
 *       [─► fold kernel: per-invocation regions into the slot array (software adapters)]
 *   ─► partition kernel (shuffle hash of each group's key) ─► read back the slot array only
 *   ─► gpu-decode.ts, off the device: states and keys on the host ─► one shuffle block per reduce partition
 *
 * Every kernel is a program (gpu-program.ts) encoded by the one function. Accumulators stay on the
 * GPU across pieces; only the compact slot array comes back. Returns a fallback reason instead when
 * some part of the spec has no GPU kernel (the caller runs the CPU task then).
 */
import type * as arrow from 'apache-arrow';
import { JobCancelledError } from '../../errors.ts';
import type { AggregationSpec } from '../../plan/aggregation-spec.ts';
import { BufferLease, USAGE } from './buffer-pool.ts';
import type { GpuContext, GpuMapOptions } from './gpu-context.ts';
import type { GpuWords } from './gpu-decode.ts';
import { planGpuMapTask, pieceParams } from './gpu-map-plan.ts';
import { encodeProgram, workgroupGrid } from './gpu-program.ts';
import { foldProgram, type FoldShaderKey } from './fold-program.ts';
import { mapProgram } from './map-shader.ts';
import { partitionProgram } from './partition-program.ts';
import { nextSlice } from './host-slices.ts';
import { hashString } from '../../shuffle/hash.ts';
import { PassTimer } from './pass-timer.ts';
import { PieceUploader } from './piece-upload.ts';
import { TaskSlots } from './task-slots.ts';
import type { StageTable } from './stage-table.ts';

export type { GpuContext, GpuMapOptions } from './gpu-context.ts';

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

/**
 * A map task whose device work is done: its words are on the host, and decodeGpuWords turns them
 * into shuffle blocks without the device (timings.merge and total are the caller's to complete).
 */
export interface GpuReadback { readonly words: GpuWords; readonly timings: GpuMapTimings }

/** A map task merged into its stage's table on the device: nothing of it comes back but its group count. */
export interface GpuMerged { readonly merged: { readonly groups: number; readonly inputRows: number }; readonly timings: GpuMapTimings }

/**
 * Rows per dispatch on a software adapter, which runs each dispatch on the driver's thread: a
 * hash kernel takes ~20 ms for this many rows on llvmpipe. (GPUs take pieces of chunkBytes.)
 */
const SOFTWARE_PIECE_ROWS = 1 << 20;

/**
 * Runs the task on the device. Before each packed piece the driver's event loop gets a turn
 * (packing and, on a software adapter, the dispatch itself run on the driver's thread), and an
 * aborted `signal` stops the task there; a cached piece is taken and submitted in one turn (see
 * GpuExecutor.releaseCached).
 */
export async function runGpuMapTask(
  gpu: GpuContext, spec: AggregationSpec, batches: readonly arrow.RecordBatch[], opts: GpuMapOptions = {}, signal?: AbortSignal, stage?: StageTable,
): Promise<GpuReadback | GpuMerged | { fallback: string }> {
  const t0 = performance.now();
  const task = planGpuMapTask(gpu, spec, batches, gpu.software && opts.maxChunkRows === undefined ? { ...opts, maxChunkRows: SOFTWARE_PIECE_ROWS } : opts, stage);
  if ('fallback' in task) return task;
  const { device } = gpu;
  const { plan, pieces, kernel, lowWordKernel, workgroupSize, shape } = task;
  const region = plan.privatized === 'region', invocation = plan.privatized === 'invocation';
  const timings: GpuMapTimings = { upload: 0, kernels: 0, readback: 0, merge: 0, total: 0, chunks: 0, deviceKernels: null, inputBytes: 0, uploadBytes: 0, mode: `${plan.mode}${plan.privatized !== 'none' ? `/${plan.privatized}` : ''}` };
  const lease = new BufferLease(gpu.pool);
  // Every compute pass of the task (one per piece, the final fold, the partition ids) is timed when the device can.
  const timer = new PassTimer(device, gpu.timestamps, pieces.length + (region ? 1 : 0) + (task.partitioned ? 1 : 0));
  try {
    const slots = new TaskSlots(device, lease, task);
    // The map kernel and its second pass share one submit: each has its uniform buffer (the fold the second).
    const uniforms = [lease.take(1024, USAGE.UNIFORM | USAGE.COPY_DST), lease.take(1024, USAGE.UNIFORM | USAGE.COPY_DST)];
    const foldKey: FoldShaderKey = {
      layout: shape.layout, slots: plan.slots, ownWords: shape.ownWords, sharedWords: shape.sharedWords,
      stride: task.regionStride, regionWords: task.regionWords, workgroupSize: 64,
    };
    /** Folds `regions` regions of `part` into the slot array (after the map kernels in `pass`). */
    const foldInto = (pass: GPUComputePassEncoder, regions: number) => {
      if (slots.part) encodeProgram(device, pass, foldProgram(foldKey, regions, { uniforms: uniforms[1], part: slots.part, acc: slots.acc }));
    };
    const uploader = new PieceUploader(device.queue, task, lease);
    const matches = task.matchWords.map((words) => {
      if (!words) return null;
      const buffer = lease.take(words.byteLength, USAGE.STORAGE | USAGE.COPY_DST);
      device.queue.writeBuffer(buffer, 0, words);
      timings.uploadBytes += words.byteLength;
      return buffer;
    });
    // Task-wide string ids → strings: for the stage's merge, or the host's decode.
    const names = [...shape.strings.ids.keys()];
    const source = { plan, acc: slots.acc, accWords: slots.accWords, table: slots.table, kept: shape.sharedWords, names, take: lease.take };
    // A task merging in rounds: the groups merged so far, and the rows of the round under way.
    let mergedGroups = 0, rounds = 0, roundRows = 0;
    /** Merges the round's slots into the stage's table and clears them: null, or why it could not (the stage then reruns on the CPU). */
    const mergeRound = async (): Promise<string | null> => {
      const done = await stage!.merge(source, shape.exactSums);
      if (!('groups' in done)) {
        stage!.poison(`a map task merging in rounds could not merge one: ${done.hostPath}`);
        return done.hostPath;
      }
      mergedGroups += done.groups;
      rounds++;
      roundRows = 0;
      slots.clear(task);
      return null;
    };
    let kernelStart = 0;
    for (const [index, piece] of pieces.entries()) {
      if (task.roundRows !== null && roundRows > 0 && roundRows + piece.rows > task.roundRows) {
        const failed = await mergeRound();
        if (failed) return { fallback: failed };
      }
      roundRows += piece.rows;
      if (!piece.cached) await nextSlice();
      if (signal?.aborted) throw new JobCancelledError('the job was cancelled');
      const uploadStart = performance.now();
      const { buffer, packed } = uploader.upload(index);
      const workgroups = region ? plan.regionWorkgroups : Math.ceil(piece.rows / task.tile);
      const grid = workgroupGrid(workgroups);
      const values = pieceParams(task, piece, packed, grid[0], workgroups);
      timings.inputBytes += Math.round(task.readPerRow * piece.rows);
      const encoder = device.createCommandEncoder();
      const pass = timer.begin(encoder);
      const buffers = { input: buffer, inputWords: packed.words, slots: slots.part ?? slots.acc, table: slots.table };
      for (const [k, kernelPass] of [kernel, lowWordKernel].entries()) {
        if (kernelPass) encodeProgram(device, pass, mapProgram(kernelPass, uniforms[k], values, { ...buffers, matches: matches[k] }, grid));
      }
      if (invocation) foldInto(pass, grid[0] * grid[1] * workgroupSize);
      pass.end();
      timings.upload += performance.now() - uploadStart;
      if (!kernelStart) kernelStart = performance.now();
      device.queue.submit([encoder.finish()]);
      timings.chunks++;
    }
    timings.uploadBytes = uploader.uploadBytes;

    // Partition ids of the slots (their string keys' hashes made on the host), then one copy of
    // everything the host needs: in a turn of its own. A merging task instead folds its slots into
    // its stage's table, on the device.
    await nextSlice();
    if (signal?.aborted) throw new JobCancelledError('the job was cancelled');
    if (region) {
      const encoder = device.createCommandEncoder();
      const pass = timer.begin(encoder);
      foldInto(pass, task.regions);
      pass.end();
      device.queue.submit([encoder.finish()]);
    }
    if (stage && task.merges) {
      const done = await stage.merge(source, shape.exactSums);
      if ('groups' in done) {
        timings.kernels = performance.now() - (kernelStart || t0);
        timings.total = performance.now() - t0;
        if (rounds > 0) timings.mode += ` (merged in ${rounds + 1} rounds of at most ${task.roundRows} rows)`;
        return { merged: { groups: mergedGroups + done.groups, inputRows: shape.rows }, timings };
      }
      if (rounds > 0) {
        stage.poison(`a map task merging in rounds could not merge its last: ${done.hostPath}`);
        return { fallback: done.hostPath };
      }
      timings.mode += ` (not merged on the device: ${done.hostPath})`;
    } else if (task.hostPath) timings.mode += ` (not merged on the device: ${task.hostPath})`;
    const encoder = device.createCommandEncoder();
    if (slots.partitionIds) {
      const pass = timer.begin(encoder);
      const hashes = spec.keys.some((k) => k.kind === 'str') ? Int32Array.from(names, hashString) : new Int32Array(0);
      encodeProgram(device, pass, partitionProgram(device, lease.take, spec, plan, shape.sharedWords.length, hashes,
        { acc: slots.acc, table: slots.table, partitionIds: slots.partitionIds }));
      pass.end();
    }
    const read = await slots.readBack(encoder, timer);
    timings.kernels = read.workDoneAt - (kernelStart || read.workDoneAt);
    timings.readback = read.readbackMs;
    timings.deviceKernels = read.deviceMs;
    // The rest needs only the host (gpu-decode.ts): the device and its buffers are free for the next task.
    const words: GpuWords = {
      spec, plan, layout: shape.layout, kept: shape.sharedWords, shifts: shape.shifts, exactSums: shape.exactSums,
      words: read.words, accWords: slots.accWords, tabWords: slots.tableWords, pids: slots.partitionIds !== null,
      names, inputRows: shape.rows,
    };
    timings.total = performance.now() - t0;
    return { words, timings };
  } finally {
    lease.release();
    timer.destroy();
  }
}
