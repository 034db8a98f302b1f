/**
 * How a GPU map task finds group slots: the grouping both executors choose (../grouping-plan.ts:
 * global, dense composite index or open-addressing hash table), bounded by the device's buffers,
 * and where rows accumulate on top of it. Dense slots whose accumulators fit in workgroup memory
 * are privatized per workgroup; on software adapters, per invocation, in private memory or (more
 * slots) in a region of a global buffer of the invocation's own.
 */
import type { ColumnChunk } from '../../arrow/column-chunk.ts';
import { chooseGrouping, hashKeyWords, type GroupingPlan } from '../grouping-plan.ts';
import type { AggregationSpec } from '../../plan/aggregation-spec.ts';
import { regionStride } from './gpu-acc-layout.ts';
import { isHll } from '../../aggregate/registry.ts';

export type Privatization = 'none' | 'workgroup' | 'invocation' | 'region';

export interface GpuPlan extends GroupingPlan {
  /** Dense / global: slot count; hash: table capacity (a power of two). */
  readonly slots: number;
  readonly privatized: Privatization;
  /** 'region': how many workgroups the map kernel runs (each invocation owns one region). */
  readonly regionWorkgroups: number;
  /** Hash: words per table slot (the key words and their low-bits word, see hash-table-slot.ts). */
  readonly tableWidth: number;
}

/** What of the adapter decides where rows accumulate. */
export interface PlanAdapter {
  /** u32 words of workgroup memory a kernel may use. */
  readonly workgroupWords: number;
  /** A CPU-like adapter (llvmpipe): invocations with accumulators of their own. */
  readonly software: boolean;
  /** Threads a software adapter runs workgroups on. */
  readonly threads: number;
  /** Largest private slot array, in words (default PRIVATE_WORDS). */
  readonly privateWords?: number;
  /**
   * Largest slot array or hash table, in bytes (default MAX_BUFFER_BYTES, the software adapter's
   * bound): a hardware GPU's binding limit, so that its hash tables grow with the task's rows.
   */
  readonly maxBufferBytes?: number;
}

/** Bound on a task's slot array, hash table and per-invocation regions (a 64 MiB storage buffer once crashed llvmpipe). */
export const MAX_BUFFER_BYTES = 32 << 20;

/** Largest slot array, hash table or stage table on a device: its binding limit; a software adapter's MAX_BUFFER_BYTES. */
export const deviceBufferBytes = (device: GPUDevice, software: boolean): number =>
  (software ? MAX_BUFFER_BYTES : Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize));

/**
 * Private accumulator words per invocation on CPU-like (software) adapters (llvmpipe: a private
 * array costs plain loads and stores, where every atomic, even a load, is a per-lane locked loop).
 * A private array's compile time grows superlinearly with its size (Mesa caches compiled kernels
 * on disk), so bigger slot arrays use regions, which run slower but compile in well under a
 * second (see docs/performance.md).
 */
export const PRIVATE_WORDS = 2560;

/**
 * Bound on all of a task's regions together: beyond it they fall out of the cores' caches, and
 * global atomics on the one slot array are faster (see docs/performance.md).
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
 * The plan of a task over `chunks` of `rows` rows whose string keys take `stringCount` ids.
 * `width`: words per slot of the task's slot array; `ownWidth`: those an invocation's own words
 * keep (software adapters' private arrays and regions). Both count kept words (gpu-acc-layout.ts
 * keptWords).
 */
export function chooseGpuPlan(
  spec: AggregationSpec, chunks: readonly ReadonlyMap<string, ColumnChunk>[], stringCount: number, rows: number,
  width: number, ownWidth: number, adapter: PlanAdapter,
): GpuPlan {
  const { software, threads } = adapter;
  // Software adapters: a workgroup per thread (as many as fit) keeps every core busy.
  const regionWorkgroups = (slots: number) =>
    Math.min(threads, Math.floor(REGION_BYTES / 4 / ((slots + 1) * regionStride(ownWidth) * SOFTWARE_WORKGROUP)));
  // A sketch's thousand-odd register words a slot: global slots only, raised by atomicMax.
  const sketches = spec.aggs.some((a) => isHll(a.state));
  const privatize = (slots: number): Pick<GpuPlan, 'privatized' | 'regionWorkgroups'> => {
    if (sketches) return { privatized: 'none', regionWorkgroups: 0 };
    if (software && slots * ownWidth <= (adapter.privateWords ?? PRIVATE_WORDS)) return { privatized: 'invocation', regionWorkgroups: 0 };
    if (software && regionWorkgroups(slots) >= Math.min(2, threads)) return { privatized: 'region', regionWorkgroups: regionWorkgroups(slots) };
    // Workgroup memory holds the slots and the trash slot.
    if ((slots + 1) * width > adapter.workgroupWords) return { privatized: 'none', regionWorkgroups: 0 };
    return { privatized: 'workgroup', regionWorkgroups: 0 };
  };
  const maxBytes = adapter.maxBufferBytes ?? MAX_BUFFER_BYTES;
  const fits = (slots: number) => slots * width * 4 <= maxBytes;
  const grouping = chooseGrouping(spec, chunks, stringCount, rows, fits);
  if (grouping.mode === 'hash') {
    const tableWidth = 1 + hashKeyWords(spec.keys, grouping.keyNullable);
    let capacity = 1024;
    while (capacity < 2 * rows && fits(capacity * 2) && capacity * 2 * tableWidth * 4 <= maxBytes) capacity *= 2;
    return { ...grouping, slots: capacity, privatized: 'none', regionWorkgroups: 0, tableWidth };
  }
  // No strings at all: one (empty) slot keeps every array non-empty.
  const slots = Math.max(1, grouping.slots);
  return { ...grouping, slots, tableWidth: 0, ...privatize(slots) };
}
