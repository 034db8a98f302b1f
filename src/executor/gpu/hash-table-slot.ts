/**
 * How a hash-table slot holds its key on the GPU: WGSL atomics are relaxed, so a lane that sees
 * one word of a slot written may still read another word of it as 0. So no stored word is ever 0:
 *
 *   words 0 … k-1: (w_j >> 1) | 0x80000000        word k: 0x80000000 | Σ (w_j & 1) << j
 *
 * Each word goes once from 0 to its final value, so a reader that finds a 0 knows the word is not
 * visible yet (and looks again) instead of taking it for a key word of 0. Word 0 is the claim: the
 * lane whose compare-exchange puts it there owns the slot; a different word 0 means another key,
 * so most probes are decided by that one atomic. k ≤ 31. The host reads the keys back (hashKeys).
 */
import type { KeyInfo } from '../../plan/aggregation-spec.ts';
import { emptyValues, type KeyColumn } from '../../shuffle/key-column.ts';

export const MAX_TABLE_KEY_WORDS = 31;

/** WGSL: the stored form of key word `w` (never 0). */
export const storedWordWgsl = (w: string): string => `((${w} >> 1u) | 0x80000000u)`;

/** WGSL: the stored low-bits word of the key words `ws`. */
export const lowWordWgsl = (ws: readonly string[]): string =>
  ['0x80000000u', ...ws.map((w, j) => `((${w} & 1u) << ${j}u)`)].join(' | ');

/** WGSL: key word j back from its stored word and the slot's low-bits word. */
export const keyWordWgsl = (stored: string, low: string, j: number): string => `((${stored} << 1u) | ((${low} >> ${j}u) & 1u))`;

/** Host: key word j of the slot whose words start at `b` in a table of k key words per slot. */
export const keyWordAt = (table: Uint32Array, b: number, j: number, k: number): number =>
  ((table[b + j] << 1) | ((table[b + k] >>> j) & 1)) >>> 0;

const f64 = new Float64Array(1);
const f64Words = new Uint32Array(f64.buffer);

/** Keys of hash slots, read from the table's key words (strings by their task-wide id in `names`). */
export function hashKeys(keys: readonly KeyInfo[], plan: { readonly keyNullable: readonly boolean[]; readonly tableWidth: number }, table: Uint32Array, slots: Int32Array, names: readonly string[]): KeyColumn[] {
  const n = slots.length;
  const keyWords = plan.tableWidth - 1;
  let at = 0;
  return keys.map((k) => {
    const values = emptyValues(k.dtype, n);
    const two = k.kind === 'wide' || k.kind === 'float';
    const flag = plan.keyNullable[keys.indexOf(k)] ? at + (two ? 2 : 1) : -1;
    let valid: Uint8Array | null = null;
    // Key words are (lo, hi) pairs of 64-bit values; a float32 key's are its float64's (exact).
    const single = values instanceof Float32Array;
    const pairs = two && !single ? new Uint32Array((values as Float64Array).buffer) : null;
    for (let i = 0; i < n; i++) {
      const b = slots[i] * plan.tableWidth;
      if (flag >= 0 && keyWordAt(table, b, flag, keyWords) !== 0) {
        (valid ??= new Uint8Array(n).fill(1))[i] = 0;
        continue;
      }
      const w = keyWordAt(table, b, at, keyWords);
      if (pairs) { pairs[2 * i] = w; pairs[2 * i + 1] = keyWordAt(table, b, at + 1, keyWords); }
      else if (single) { f64Words[0] = w; f64Words[1] = keyWordAt(table, b, at + 1, keyWords); (values as Float32Array)[i] = f64[0]; }
      else if (k.kind === 'str') (values as string[])[i] = names[w];
      else (values as Int32Array)[i] = w;
    }
    at += (two ? 2 : 1) + (flag >= 0 ? 1 : 0);
    return { dtype: k.dtype, values, valid };
  });
}
