/**
 * Everything a GPU map task decides on the host before it touches the device:
 *
 *   task shape (gpu-task-shape.ts: bound columns, string ids, kept slot words) ─► grouping and
 *   privatization (gpu-plan.ts) ─► kernel geometry ─► map kernels ─► pieces (the rows of each
 *   dispatch) ─► the params every dispatch shares
 *
 * A task some part of which has no GPU kernel gets the reason instead.
 */
import type * as arrow from 'apache-arrow';
import type { ColumnChunk } from '../../arrow/column-chunk.ts';
import { GpuUnsupported } from '../../expr/to-wgsl.ts';
import type { AggregationSpec } from '../../plan/aggregation-spec.ts';
import { bytesPerRow, columnParams, layoutChunk, type PackedChunk, type Segment } from './chunk-upload.ts';
import type { GpuContext, GpuMapOptions } from './gpu-context.ts';
import { regionStride } from './gpu-acc-layout.ts';
import { chooseGpuPlan, deviceBufferBytes, MAX_BUFFER_BYTES, SOFTWARE_LOOP_ITERATIONS, SOFTWARE_WORKGROUP, type GpuPlan } from './gpu-plan.ts';
import { gpuTaskShape, type GpuTaskShape } from './gpu-task-shape.ts';
import { mapShaderSource, type MapKernel, type MapShaderKey } from './map-shader.ts';
import { keyString } from './pipeline-cache.ts';
import { bindAll, residentColumns, residentRows, taskPieces, type Piece, type Run } from './task-pieces.ts';
import { USAGE } from './buffer-pool.ts';

/** Invocations per workgroup of a hardware GPU's kernels. */
const WORKGROUP_SIZE = 128;

export interface GpuMapPlan {
  readonly spec: AggregationSpec;
  readonly batches: readonly arrow.RecordBatch[];
  /** The task's data: its columns, string ids and the slot words its rows can write. */
  readonly shape: GpuTaskShape;
  readonly plan: GpuPlan;
  /** The map kernel, and its second pass (the low words of 64-bit min/max) where it needs one. */
  readonly kernel: MapKernel;
  readonly lowWordKernel: MapKernel | null;
  readonly workgroupSize: number;
  /** Rows a workgroup of a non-region kernel takes. */
  readonly tile: number;
  /** Words per slot in a region of `part`, words per region, and how many regions the task has (0: none). */
  readonly regionStride: number;
  readonly regionWords: number;
  readonly regions: number;
  /** Whether the task computes its slots' reduce partitions (a grouped task of more than one). */
  readonly partitioned: boolean;
  /** The rows of each dispatch, and (packed pieces) their layout in the task's input buffer. */
  readonly pieces: readonly Piece[];
  readonly packs: readonly (PackedChunk | null)[];
  /** Columns with nulls somewhere in the task. */
  readonly nullable: ReadonlySet<string>;
  /** Params every dispatch of the map kernels shares. */
  readonly sharedParams: ReadonlyMap<string, number>;
  /** Bytes per row the map kernels read. */
  readonly readPerRow: number;
  /** The task merges into its stage's table on the device (false: its slots come back to the host, with `hostPath` saying why where a stage merges). */
  readonly merges: boolean;
  readonly hostPath: string | null;
  /**
   * A merging hash task whose rows could overflow its table (beyond half its slots): it merges
   * after each round of pieces of at most this many rows, and clears its table, instead of
   * overflowing. Null: one round.
   */
  readonly roundRows: number | null;
  /** Per kernel (map, low words): its string predicates' answers by task-wide string id (bit j: matcher j), or null without any. */
  readonly matchWords: readonly (Uint32Array | null)[];
}

/** A stage that merges its tasks' slots on the device, as a task's plan sees it (stage-table.ts). */
export interface MergingStage {
  /** The task's shape on the stage's scale, or why the task keeps the host path. */
  adopt(shape: GpuTaskShape): GpuTaskShape | { readonly hostPath: string };
  /** The table has a slot for `groups` more groups (it can grow to that). */
  canTake(groups: number): boolean;
}

/**
 * Workgroup size and rows per invocation of the map kernels, the fastest measured (see
 * docs/performance.md). Per-invocation privatization (software adapters) runs one SIMD vector of
 * invocations per workgroup, each over many rows; 'region' kernels run plan.regionWorkgroups
 * workgroups over each whole chunk instead. GPUs want many workgroups in flight, each invocation
 * over few rows. Global atomics on a software adapter run as its other kernels do, one SIMD vector
 * per workgroup.
 */
function kernelGeometry(plan: GpuPlan, software: boolean, opts: GpuMapOptions): { workgroupSize: number; rowsPerInvocation: number } {
  const softAtomics = software && plan.privatized === 'none';
  const rowsPerInvocation = opts.rowsPerInvocation && plan.privatized !== 'region' ? opts.rowsPerInvocation
    : { invocation: 8192, workgroup: 16, none: softAtomics ? 256 : 4, region: 0 }[plan.privatized];
  const workgroupSize = plan.privatized === 'invocation' || plan.privatized === 'region' || softAtomics ? SOFTWARE_WORKGROUP : WORKGROUP_SIZE;
  return { workgroupSize, rowsPerInvocation };
}

/** Rows [r0, r1) of the task's batches as segments of bound columns. */
export const segmentsOf = (runs: readonly Run[], columns: (batch: number) => ReadonlyMap<string, ColumnChunk>): Segment[] =>
  runs.map((r) => ({ columns: columns(r.batch), r0: r.r0, r1: r.r1 }));

export function planGpuMapTask(gpu: GpuContext, spec: AggregationSpec, batches: readonly arrow.RecordBatch[], opts: GpuMapOptions, stage?: MergingStage): GpuMapPlan | { fallback: string } {
  let shape = gpuTaskShape(spec, batches);
  if ('fallback' in shape) return shape;
  const adopted = stage?.adopt(shape);
  if (adopted && !('hostPath' in adopted)) shape = adopted;
  const hostPath = adopted && 'hostPath' in adopted ? adopted.hostPath : null;
  const { layout, shifts, finite, nonNegative, strings, chunks, nullable, sharedWords, ownWords, rows } = shape;
  const software = opts.adapterClass ? opts.adapterClass === 'software' : gpu.software;
  const plan = chooseGpuPlan(spec, chunks, strings.ids.size, rows, sharedWords.length, ownWords.length, {
    workgroupWords: gpu.workgroupWords, software, threads: gpu.threads, privateWords: opts.privateWords,
    // A 64 MiB buffer once crashed llvmpipe; a hardware GPU's tables grow to its binding limit.
    maxBufferBytes: opts.maxBufferBytes ?? deviceBufferBytes(gpu.device, software),
  });
  // A merging hash task whose distinct keys could overflow its table merges in rounds of half its slots.
  const roundRows = stage && hostPath === null && plan.mode === 'hash' && 2 * rows > plan.slots && stage.canTake(rows) ? plan.slots / 2 : null;
  if (roundRows !== null) opts = { ...opts, maxChunkRows: Math.min(opts.maxChunkRows ?? Infinity, roundRows) };
  const { workgroupSize, rowsPerInvocation } = kernelGeometry(plan, software, opts);
  const region = plan.privatized === 'region';
  const invocation = plan.privatized === 'invocation';
  const tile = region ? workgroupSize : workgroupSize * rowsPerInvocation;

  const kernelOf = (pass: 0 | 1): MapKernel => {
    const key: MapShaderKey = {
      mode: plan.mode, privatized: plan.privatized, slots: plan.privatized !== 'none' ? plan.slots : 0, pass,
      filter: spec.filter, keys: spec.keys, keyNullable: plan.keyNullable, aggs: spec.aggs,
      nullable, workgroupSize, rowsPerInvocation, finite, nonNegative,
      sharedWords,
      ...(invocation || region ? { ownWords } : {}),
    };
    return { shader: mapShaderSource(key), shaderKey: keyString(key) };
  };
  let kernel: MapKernel;
  try {
    kernel = kernelOf(0);
  } catch (e) {
    if (e instanceof GpuUnsupported) return { fallback: e.message };
    throw e;
  }
  // Pass 1 (the low words of 64-bit min/max) for kernels on shared words; words of an invocation's
  // own keep the exact pair in one pass.
  const lowWordKernel = layout.twoPass && !invocation && !region ? kernelOf(1) : null;

  const slotCount = plan.slots;
  const kernelColumns = kernel.shader.columns;
  // Per-invocation privatization: every invocation of a chunk leaves a region of slot words in `part`.
  const stride = region ? regionStride(ownWords.length) : ownWords.length;
  const regionWords = (slotCount + 1) * stride;
  const byParts = invocation ? Math.max(1, Math.floor(MAX_BUFFER_BYTES / 4 / regionWords / workgroupSize)) * tile : Infinity;
  // A chunk's string code → id tables take at most all the task's dictionaries (a chunk's own, or their union).
  const dictBytes = kernelColumns.reduce((a, c) => a + (c.dtype.id === 'utf8' ? chunks.reduce((d, m) => d + 4 * m.get(c.name)!.dictionary!.length, 0) : 0), 0);
  const byBytes = Math.max(tile, Math.floor(Math.max(0, gpu.chunkBytes - dictBytes) / Math.max(1, bytesPerRow(kernelColumns)) / tile) * tile);
  // A region kernel's invocations loop over a share of the chunk's rows: within llvmpipe's loop bound.
  const byLoop = region ? plan.regionWorkgroups * workgroupSize * SOFTWARE_LOOP_ITERATIONS : Infinity;
  const chunkRows = Math.max(1, Math.min(byBytes, byParts, byLoop, opts.maxChunkRows ?? Infinity));
  const source = spec.cacheInput;
  const cache = source !== undefined && gpu.resident ? gpu.resident : null;
  const cachedColumns = cache ? residentColumns(spec) : [];
  const span = cache ? Math.min(opts.cacheChunkRows ?? Infinity, residentRows(cachedColumns, batches, Math.min(gpu.chunkBytes, cache.budgetBytes / 4))) : 0;
  // Each span of a cached input's rows is a chunk on the device where the cache has room for it.
  const keep = (runs: readonly Run[]) => cache!.chunk(runs.map((r) => ({ batch: batches[r.batch], r0: r.r0, r1: r.r1 })), source!,
    () => layoutChunk(cachedColumns, segmentsOf(runs, (batch) => bindAll(cachedColumns, batches[batch]))), USAGE.STORAGE | USAGE.COPY_DST);
  const pieces = taskPieces(batches, chunkRows, span, keep);
  const packs = pieces.map((p) => (p.cached ? null : layoutChunk(kernelColumns, segmentsOf(p.runs, (batch) => chunks[batch]))));
  // Regions of `part`: one per invocation of a piece, or per invocation of the whole task.
  const regions = region ? plan.regionWorkgroups * workgroupSize
    : invocation ? Math.ceil(pieces.reduce((a, p) => Math.max(a, p.rows), 0) / tile) * workgroupSize : 0;

  const sharedParams = new Map<string, number>([['mask', slotCount - 1], ['lim', 2 * slotCount + 64], ['status', (slotCount + 1) * sharedWords.length]]);
  plan.mins.forEach((v, j) => { sharedParams.set(`kmin${j}`, v); sharedParams.set(`kstride${j}`, plan.strides[j]); sharedParams.set(`knull${j}`, plan.nullCodes[j]); });
  shifts.forEach((s, j) => sharedParams.set(`S${j}`, s));
  // String literals' ids come after every dictionary's (the plan counted only those).
  kernel.shader.literals.forEach((s, j) => sharedParams.set(`L${j}`, strings.id(s)));
  // Each string predicate is evaluated once per distinct string of the task, here on the host;
  // a sketch's strings are hashed once each, their words after the match words (from HS).
  const ids = Math.max(1, strings.ids.size);
  sharedParams.set('HS', ids);
  const matchWords = [kernel, lowWordKernel].map((k) => {
    const matchers = k?.shader.matchers ?? [];
    if (matchers.length === 0 && !k?.shader.sketchWords) return null;
    const words = new Uint32Array(k?.shader.sketchWords ? 3 * ids : ids);
    matchers.forEach((m, j) => {
      const table = strings.matchTable(m.op, m.pattern);
      for (let id = 0; id < strings.ids.size; id++) words[id] |= table[id] << j;
    });
    if (k?.shader.sketchWords) words.set(strings.hllWords().subarray(0, 2 * strings.ids.size), ids);
    return words;
  });
  const nullableSet = new Set(nullable);
  return {
    spec, batches, shape, plan, kernel, lowWordKernel, workgroupSize, tile, partitioned: plan.mode !== 'global' && spec.partitions > 1,
    regionStride: stride, regionWords, regions, pieces, packs, nullable: nullableSet, sharedParams,
    readPerRow: bytesPerRow(kernelColumns, nullableSet),
    merges: stage !== undefined && hostPath === null, hostPath, roundRows, matchWords,
  };
}

/** The params of one dispatch over `piece` (laid out as `packed`), on a grid `gridX` workgroups wide. */
export function pieceParams(task: GpuMapPlan, piece: Piece, packed: PackedChunk, gridX: number, workgroups: number): Map<string, number> {
  const n = piece.rows;
  return new Map([
    ...task.sharedParams, ...columnParams(task.kernel.shader.columns, packed, task.nullable, piece.offset),
    ['rows', n], ['nx', gridX], ['rpi', Math.ceil(n / (workgroups * task.workgroupSize))],
  ]);
}
