/**
 * How a GPU map task finds group slots, chosen from the task's key ranges like the CPU's plan
 * (src/executor/dense-slots.ts): one slot (global), a dense composite index over small integer /
 * string-id / bool ranges, or an open-addressing hash table. Dense slots whose accumulators fit in
 * workgroup memory are privatized per workgroup; on software adapters, per invocation, in private
 * memory or (more slots) in a region of a global buffer of the invocation's own.
 */
import type { ColumnChunk } from '../../arrow/column-chunk.ts';
import { denseSlots } from '../dense-slots.ts';
import type { StringIds } from '../string-ids.ts';
import type { AggregationSpec, GroupMode } from '../../plan/aggregation-spec.ts';
import { keyWordCount } from './map-shader.ts';
import { regionStride } from './gpu-acc-layout.ts';

export interface GpuPlan {
  readonly mode: GroupMode;
  readonly keyNullable: readonly boolean[];
  /** Dense: per key, the smallest value, the stride of its code and the null code (= its range). */
  readonly kmin: readonly number[];
  readonly kstride: readonly number[];
  readonly knull: readonly number[];
  /** Dense / global: slot count; hash: table capacity (a power of two). */
  readonly slots: number;
  readonly privatized: 'none' | 'workgroup' | 'invocation' | 'region';
  /** 'region': how many workgroups the map kernel runs (each invocation owns one region). */
  readonly regionWorkgroups: number;
  /** Hash: words per table slot (the key words and their low-bits word, see hash-table-slot.ts). */
  readonly tableWidth: number;
}

const DENSE_LIMIT = 1 << 20;
/** Bound on a task's slot array, hash table and per-invocation regions (a 64 MiB storage buffer once crashed llvmpipe). */
export const MAX_BUFFER_BYTES = 32 << 20;

/**
 * Private accumulator words per invocation on CPU-like (software) adapters (llvmpipe: a private
 * array costs plain loads and stores, where every atomic, even a load, is a per-lane locked loop).
 * A private array also costs compile time, superlinear in its size (measured on llvmpipe: about
 * 0.1 s at 40 words, 2 s at 500, 6 s at 2100, 16 s at 3100; Mesa caches compiled kernels on
 * disk), so bigger slot arrays use regions, which run slower but compile in well under a second.
 */
export const PRIVATE_WORDS = 2560;

/**
 * Bound on all of a task's regions together: beyond it they fall out of the cores' caches, and
 * global atomics on the one slot array are faster. Measured on llvmpipe (2 threads, 16 regions of
 * 8-word slots, an integer and a float sum over 5M rows), region vs global-atomic kernels: 3k groups
 * (1.5 MB of regions) 53-57 vs 78-86 ms, 10k (5 MB) 78-94 vs 73-76, 30k (15 MB) 82-114 vs 63-66.
 */
const REGION_BYTES = 4 << 20;

/** Invocations per workgroup of the software adapter's kernels: one SIMD vector of llvmpipe. */
export const SOFTWARE_WORKGROUP = 8;

/**
 * llvmpipe leaves any loop after this many iterations (gallivm's guard against endless loops), so
 * a kernel's row loop must stay under it: a region kernel's invocations take at most this many
 * rows per dispatch (beyond it rows were silently skipped).
 */
export const SOFTWARE_LOOP_ITERATIONS = 65535;

/**
 * `width`: words per slot of the task's slot array; `ownWidth`: those an invocation's own words
 * keep (software adapters' private arrays and regions). Both count kept words (gpu-acc-layout.ts
 * keptWords).
 */
export function chooseGpuPlan(
  spec: AggregationSpec, chunks: readonly Map<string, ColumnChunk>[], strings: StringIds, rows: number,
  width: number, ownWidth: number, workgroupWords: number, software: boolean, threads: number, privateWords?: number,
): GpuPlan {
  // Software adapters: a workgroup per thread (as many as fit) keeps every core busy.
  const regionWorkgroups = (slots: number) =>
    Math.min(threads, Math.floor(REGION_BYTES / 4 / ((slots + 1) * regionStride(ownWidth) * SOFTWARE_WORKGROUP)));
  const privatize = (slots: number): Pick<GpuPlan, 'privatized' | 'regionWorkgroups'> => {
    if (software && slots * ownWidth <= (privateWords ?? PRIVATE_WORDS)) return { privatized: 'invocation', regionWorkgroups: 0 };
    if (software && regionWorkgroups(slots) >= Math.min(2, threads)) return { privatized: 'region', regionWorkgroups: regionWorkgroups(slots) };
    // Workgroup memory holds the slots and the trash slot.
    if ((slots + 1) * width > workgroupWords) return { privatized: 'none', regionWorkgroups: 0 };
    return { privatized: 'workgroup', regionWorkgroups: 0 };
  };
  const keyNullable = spec.keys.map((k) => chunks.some((c) => c.get(k.column)!.nullCount > 0));
  const base = { keyNullable, kmin: [] as number[], kstride: [] as number[], knull: [] as number[], tableWidth: 0 };
  const fits = (slots: number) => slots * width * 4 <= MAX_BUFFER_BYTES;
  if (spec.keys.length === 0) return { ...base, mode: 'global', slots: 1, ...privatize(1) };
  const hash = (): GpuPlan => {
    const tableWidth = 1 + keyWordCount(spec.keys, keyNullable);
    let cap = 1024;
    while (cap < 2 * rows && fits(cap * 2) && cap * 2 * tableWidth * 4 <= MAX_BUFFER_BYTES) cap *= 2;
    return { ...base, mode: 'hash', slots: cap, privatized: 'none', regionWorkgroups: 0, tableWidth };
  };
  const dense = denseSlots(spec.keys, keyNullable, chunks, strings.ids.size, DENSE_LIMIT);
  if (!dense) return hash();
  base.kmin.push(...dense.kmin);
  base.knull.push(...dense.knull);
  base.kstride.push(...dense.kstride);
  let slots = dense.slots;
  if (slots > 8 * rows + 4096 || !fits(slots)) return hash();
  slots = Math.max(1, slots); // no strings at all: one (empty) slot keeps every array non-empty
  return { ...base, mode: 'dense', slots, ...privatize(slots) };
}
