/**
 * The dense grouping plan both executors use: when every key is a small integer range, a boolean or
 * a task-wide string id, a group's slot is the composite index Σ (value − min)·stride, with one
 * extra slot per nullable key for null. Null when some key has no small range.
 */
import { intValueRange, type ColumnChunk } from '../arrow/column-chunk.ts';
import type { KeyInfo } from '../plan/aggregation-spec.ts';
import { emptyValues, type KeyColumn } from '../shuffle/key-column.ts';

export interface DenseSlots {
  /** Per key: its smallest value (0 for booleans and string ids). */
  readonly mins: readonly number[];
  /** Per key: the stride of its code in the slot number. */
  readonly strides: readonly number[];
  /** Per key: the code of null (its range). */
  readonly nullCodes: readonly number[];
  readonly slots: number;
}

export function denseSlots(
  keys: readonly KeyInfo[], keyNullable: readonly boolean[], chunks: readonly ReadonlyMap<string, ColumnChunk>[],
  stringCount: number, limit: number,
): DenseSlots | null {
  const out = { mins: [] as number[], strides: [] as number[], nullCodes: [] as number[] };
  let slots = 1;
  for (const [j, k] of keys.entries()) {
    let lo = 0, range: number;
    if (k.kind === 'bool') range = 2;
    else if (k.kind === 'str') range = stringCount;
    else if (k.kind === 'int') {
      let hi = -Infinity;
      lo = Infinity;
      for (const c of chunks) {
        const ch = c.get(k.column)!;
        if (ch.length === 0) continue;
        const [a, b] = intValueRange(ch);
        lo = Math.min(lo, a);
        hi = Math.max(hi, b);
      }
      range = hi >= lo ? hi - lo + 1 : 1;
      if (!Number.isFinite(lo)) lo = 0;
    } else return null;
    out.mins.push(lo);
    out.nullCodes.push(range);
    out.strides.push(slots);
    slots *= range + (keyNullable[j] ? 1 : 0);
    if (slots > limit) return null;
  }
  return { ...out, slots };
}

/** Keys of dense slots, decoded from the slot number (strings by their task-wide id in `names`). */
export function denseKeys(
  keys: readonly KeyInfo[], plan: DenseSlots & { readonly keyNullable: readonly boolean[] }, slots: Int32Array, names: readonly string[],
): KeyColumn[] {
  return keys.map((k, j) => {
    const n = slots.length;
    const values = emptyValues(k.dtype, n) as unknown[];
    let valid: Uint8Array | null = null;
    // Loop-invariant plan fields in locals (the plan may be a structured clone, read slowly in a loop).
    const nullable = plan.keyNullable[j], nullCode = plan.nullCodes[j], stride = plan.strides[j], min = plan.mins[j], str = k.kind === 'str';
    const size = nullCode + (nullable ? 1 : 0);
    for (let i = 0; i < n; i++) {
      const code = Math.floor(slots[i] / stride) % size;
      if (nullable && code === nullCode) {
        (valid ??= new Uint8Array(n).fill(1))[i] = 0;
        continue;
      }
      values[i] = str ? names[code] : code + min;
    }
    return { dtype: k.dtype, values: values as KeyColumn['values'], valid };
  });
}
