/**
 * The host half of a GPU map task: the words read back from the device → the groups' keys and
 * partial states → one shuffle block per reduce partition. Plain data in and out and no WebGPU, so
 * that it runs on an executor thread while the driver thread feeds the device the next task (the
 * decode of 100k groups × 32 tasks took 544 ms of one thread on the H200 run).
 */
import type { AggregationSpec, MapResult, TaskContext } from '../task.ts';
import { denseKeys } from '../dense-slots.ts';
import { splitByPartition } from '../../shuffle/shuffle-block.ts';
import { gatherSlots, type GpuAccLayout } from './gpu-acc-layout.ts';
import type { GpuPlan } from './gpu-plan.ts';
import { decodeStates, hashKeys, usedSlots } from './gpu-states.ts';

export interface GpuWords {
  readonly spec: AggregationSpec;
  readonly plan: GpuPlan;
  readonly layout: GpuAccLayout;
  /** The slot words the slot array keeps (gpu-acc-layout.ts keptWords; its stride is their count). */
  readonly kept: readonly number[];
  /** Fixed-point shift of each float sum. */
  readonly shifts: readonly number[];
  /** The slot array (its last word the status word), the hash table (hash mode), the slots' partition ids (when partitioned). */
  readonly words: Uint32Array;
  readonly accWords: number;
  readonly tabWords: number;
  readonly pids: boolean;
  /** Task-wide string ids → strings. */
  readonly names: readonly string[];
  readonly inputRows: number;
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
  const keys = plan.mode === 'hash' ? hashKeys(spec.keys, plan, words.subarray(accWords, accWords + tabWords), slots, w.names)
    : denseKeys(spec.keys, plan, slots, w.names);
  // The used slots in the full layout, one after the other.
  const order = new Int32Array(slots.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  const states = decodeStates(spec.aggs, layout, gatherSlots(layout, w.kept, acc, slots), order, w.shifts);
  let pids: Int32Array | null = null;
  if (w.pids) {
    const all = new Int32Array(words.buffer, words.byteOffset + (accWords + tabWords) * 4, plan.slots);
    pids = new Int32Array(slots.length);
    for (let i = 0; i < slots.length; i++) pids[i] = all[slots[i]];
  }
  const blocks = splitByPartition(keys, states, slots.length, pids, spec.partitions);
  return { result: { blocks, inputRows: w.inputRows, outputRows: slots.length } };
}
