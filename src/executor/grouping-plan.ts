/**
 * How a map task finds a row's group, chosen the same way by both executors from the task's key
 * ranges: one group where there are no keys ('global'); a dense composite index (dense-slots.ts)
 * where every key has a small range and the slots are not many more than the rows; else a hash
 * table. The GPU bounds a dense slot array further (`denseFits`: its buffer limit) and adds its
 * privatization on top (gpu/gpu-plan.ts).
 */
import type { ColumnChunk } from '../arrow/column-chunk.ts';
import type { AggregationSpec, GroupMode, KeyInfo } from '../plan/aggregation-spec.ts';
import { denseSlots, type DenseSlots } from './dense-slots.ts';

export interface GroupingPlan extends DenseSlots {
  readonly mode: GroupMode;
  /** Per key: whether it holds a null somewhere in the task. */
  readonly keyNullable: readonly boolean[];
}

/** Dense composite indexes (slots addressed by key) up to this many slots; beyond, the hash table. */
const DENSE_LIMIT = 1 << 20;

/**
 * The grouping of a task over `chunks` (per batch, its bound columns) of `rows` rows in all, whose
 * string keys take `stringCount` task-wide ids. Global and hash plans have no dense fields and one slot.
 */
export function chooseGrouping(
  spec: AggregationSpec, chunks: readonly ReadonlyMap<string, ColumnChunk>[], stringCount: number, rows: number,
  denseFits: (slots: number) => boolean = () => true,
): GroupingPlan {
  const keyNullable = spec.keys.map((k) => chunks.some((c) => c.get(k.column)!.nullCount > 0));
  const single = { mins: [], strides: [], nullCodes: [], slots: 1, keyNullable };
  if (spec.keys.length === 0) return { ...single, mode: 'global' };
  const dense = denseSlots(spec.keys, keyNullable, chunks, stringCount, DENSE_LIMIT);
  // Many more slots than rows would be mostly empty: a hash table holds only the groups there are.
  if (!dense || dense.slots > 8 * rows + 4096 || !denseFits(dense.slots)) return { ...single, mode: 'hash' };
  return { ...dense, keyNullable, mode: 'dense' };
}

/** 32-bit words of a hash table's key: per key its value's (two for a 64-bit one, four for a 128-bit one) and, where it is nullable, a null flag. */
export const hashKeyWords = (keys: readonly KeyInfo[], keyNullable: readonly boolean[]): number =>
  keys.reduce((a, k, j) => a + (k.kind === 'dec' ? 4 : k.kind === 'wide' || k.kind === 'float' ? 2 : 1) + (keyNullable[j] ? 1 : 0), 0);
