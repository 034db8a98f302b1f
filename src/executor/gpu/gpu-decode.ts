/**
 * The host half of a GPU map task: the words read back from the device → the groups' keys and
 * partial states → one shuffle block ordered by reduce partition. Plain data in and out and no WebGPU, so
 * that it runs on an executor thread while the driver thread feeds the device the next task (the
 * decode of many groups takes a thread a while: see docs/performance.md).
 */
import type { MapResult, TaskContext } from '../task.ts';
import type { AggregationSpec } from '../../plan/aggregation-spec.ts';
import { denseKeys } from '../dense-slots.ts';
import { STATES } from '../../aggregate/registry.ts';
import type { GpuAccLayout } from './gpu-acc-layout.ts';
import type { GpuPlan } from './gpu-plan.ts';
import { decodeStates, inexactFloatSum, usedSlots } from './gpu-states.ts';
import { hashKeys } from './hash-table-slot.ts';
import { countingSortPositions } from '../../shuffle/shuffle-block.ts';

export interface GpuWords {
  readonly spec: AggregationSpec;
  readonly plan: GpuPlan;
  readonly layout: GpuAccLayout;
  /** The slot words the slot array keeps (gpu-acc-layout.ts keptWords; its stride is their count). */
  readonly kept: readonly number[];
  /** Fixed-point shift of each float sum. */
  readonly shifts: readonly number[];
  /** Per aggregate: a float sum whose task's values all lie on its fixed-point grid (exact). */
  readonly exactSums: readonly boolean[];
  /** The slot array (its last word the status word), the hash table (hash mode), the slots' partition ids (when partitioned). */
  readonly words: Uint32Array;
  readonly accWords: number;
  readonly tabWords: number;
  readonly pids: boolean;
  /** Task-wide string ids → strings. */
  readonly names: readonly string[];
  readonly inputRows: number;
  /** The slots' keys are distinct across the stage's distinct blocks (a device-merged stage table's): see ShuffleBlock.distinct. */
  readonly distinct?: boolean;
}

export type GpuDecoded = { readonly result: MapResult } | { readonly fallback: string };

/** An executor that decodes GPU words on threads of its own. */
export interface GpuDecodeHost {
  decodeGpuWords(words: GpuWords, ctx?: TaskContext): Promise<{ decoded: GpuDecoded; executorId: string; runMs: number }>;
}

export function decodeGpuWords(w: GpuWords): GpuDecoded {
  const { spec, plan, layout, words, accWords, tabWords } = w;
  const acc = words.subarray(0, accWords);
  if (acc[accWords - 1] !== 0) return { fallback: `the GPU hash table (${plan.slots} slots) overflowed` };
  const slots = usedSlots(plan, acc, w.kept.length);
  const inexact = inexactFloatSum(spec.aggs, layout, w.kept, acc, slots, w.exactSums);
  if (inexact) return { fallback: inexact };
  const n = slots.length;
  // Each used slot's row in the output: ordered by reduce partition (the device's partition ids).
  // Without them (one partition, or a global aggregate's one group) every row is partition 0's.
  const parts = w.pids ? spec.partitions : 1;
  let bounds: Int32Array;
  const dest = new Int32Array(n);
  if (parts > 1) {
    const all = new Int32Array(words.buffer, words.byteOffset + (accWords + tabWords) * 4, plan.slots);
    for (let i = 0; i < n; i++) dest[i] = all[slots[i]];
    bounds = countingSortPositions(dest, n, parts);
  } else {
    bounds = new Int32Array(spec.partitions + 1).fill(n, 1);
    for (let i = 0; i < n; i++) dest[i] = i;
  }
  const ordered = new Int32Array(n);
  for (let i = 0; i < n; i++) ordered[dest[i]] = slots[i];
  const keys = plan.mode === 'hash' ? hashKeys(spec.keys, plan, words.subarray(accWords, accWords + tabWords), ordered, w.names)
    : denseKeys(spec.keys, plan, ordered, w.names);
  // The states in one shared buffer: from an executor thread they reach the driver and the reduce
  // tasks without a copy.
  const fields = spec.aggs.reduce((a, g) => a + STATES[g.state].init.length, 0);
  const sab = new SharedArrayBuffer(8 * n * fields);
  let used = 0;
  const alloc = (len: number) => { const f = new Float64Array(sab, used, len); used += 8 * len; return f; };
  const states = decodeStates(spec.aggs, layout, w.kept, acc, slots, w.shifts, dest, alloc);
  return { result: { shuffle: { block: { rows: n, keys, states, ...(w.distinct ? { distinct: true } : {}) }, offsets: bounds }, inputRows: w.inputRows, outputRows: n } };
}
