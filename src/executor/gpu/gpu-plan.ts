/**
 * How a GPU map task finds group slots, chosen from the task's key ranges like the CPU's plan
 * (src/executor/dense-slots.ts): one slot (global), a dense composite index over small integer /
 * string-id / bool ranges, or an open-addressing hash table. Dense slots whose accumulators fit in
 * workgroup memory are privatized per workgroup (or, on software adapters, per invocation).
 */
import type { ColumnChunk } from '../../arrow/column-chunk.ts';
import { denseSlots } from '../dense-slots.ts';
import type { StringIds } from '../cpu/map-task.ts';
import type { GroupMode } from '../cpu/map-kernel.ts';
import type { AggregationSpec } from '../task.ts';
import { keyWordCount } from './map-shader.ts';

export interface GpuPlan {
  readonly mode: GroupMode;
  readonly keyNullable: readonly boolean[];
  /** Dense: per key, the smallest value, the stride of its code and the null code (= its range). */
  readonly kmin: readonly number[];
  readonly kstride: readonly number[];
  readonly knull: readonly number[];
  /** Dense / global: slot count; hash: table capacity (a power of two). */
  readonly slots: number;
  readonly privatized: 'none' | 'workgroup' | 'invocation';
  /** Hash: words per table slot (state word + key words). */
  readonly tableWidth: number;
}

const DENSE_LIMIT = 1 << 20;
/** Bound on one GPU buffer (a 64 MiB storage buffer crashed llvmpipe). */
export const MAX_BUFFER_BYTES = 32 << 20;

/**
 * Private accumulator words per invocation on CPU-like (software) adapters (llvmpipe: a private
 * array costs plain loads and stores, where every atomic, even a load, is a per-lane locked loop).
 */
const INVOCATION_WORDS = 4096;

export function chooseGpuPlan(
  spec: AggregationSpec, chunks: readonly Map<string, ColumnChunk>[], strings: StringIds, rows: number,
  width: number, workgroupWords: number, software: boolean,
): GpuPlan {
  const privatize = (slots: number): GpuPlan['privatized'] =>
    slots * width > workgroupWords ? 'none' : software && slots * width <= INVOCATION_WORDS ? 'invocation' : 'workgroup';
  const keyNullable = spec.keys.map((k) => chunks.some((c) => c.get(k.column)!.nullCount > 0));
  const base = { keyNullable, kmin: [] as number[], kstride: [] as number[], knull: [] as number[], tableWidth: 0 };
  const fits = (slots: number) => slots * width * 4 <= MAX_BUFFER_BYTES;
  if (spec.keys.length === 0) return { ...base, mode: 'global', slots: 1, privatized: privatize(1) };
  const hash = (): GpuPlan => {
    const tableWidth = 1 + keyWordCount(spec.keys, keyNullable);
    let cap = 1024;
    while (cap < 2 * rows && fits(cap * 2) && cap * 2 * tableWidth * 4 <= MAX_BUFFER_BYTES) cap *= 2;
    return { ...base, mode: 'hash', slots: cap, privatized: 'none', tableWidth };
  };
  const dense = denseSlots(spec.keys, keyNullable, chunks, strings.ids.size, DENSE_LIMIT);
  if (!dense) return hash();
  base.kmin.push(...dense.kmin);
  base.knull.push(...dense.knull);
  base.kstride.push(...dense.kstride);
  let slots = dense.slots;
  if (slots > 8 * rows + 4096 || !fits(slots)) return hash();
  slots = Math.max(1, slots); // no strings at all: one (empty) slot keeps every array non-empty
  return { ...base, mode: 'dense', slots, privatized: privatize(slots) };
}
