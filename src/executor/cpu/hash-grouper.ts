/**
 * Open-addressing hash table from fixed-width word keys to dense group ids (linear probing,
 * load ≤ 1/2). Used by the final aggregation and to rehash the map kernel's inline table.
 */
import { hashWords, TABLE_SEED } from '../../shuffle/hash.ts';

/** Builds a table of `size` slots (a power of two) over the first `groups` keys. */
export function buildTable(keys: Int32Array, width: number, groups: number, size: number): Int32Array {
  const table = new Int32Array(size).fill(-1);
  const mask = size - 1;
  for (let g = 0; g < groups; g++) {
    let s = hashWords(keys, g * width, width, TABLE_SEED) & mask;
    while (table[s] >= 0) s = (s + 1) & mask;
    table[s] = g;
  }
  return table;
}

export interface Grouping {
  /** Group id of each row. */
  readonly ids: Int32Array;
  /** First row of each group. */
  readonly reps: Int32Array;
  readonly groups: number;
}

/** Assigns group ids to n rows of `width` words each (row-major), in first-seen order. */
export function groupRows(words: Int32Array, width: number, n: number): Grouping {
  const ids = new Int32Array(n);
  let cap = 16;
  while (cap < n) cap <<= 1;
  const table = new Int32Array(cap * 2).fill(-1);
  const mask = cap * 2 - 1;
  const reps = new Int32Array(n);
  let groups = 0;
  for (let r = 0; r < n; r++) {
    const at = r * width;
    let s = hashWords(words, at, width, TABLE_SEED) & mask;
    for (;;) {
      const g = table[s];
      if (g < 0) {
        table[s] = groups;
        reps[groups] = r;
        ids[r] = groups++;
        break;
      }
      const rep = reps[g] * width;
      let same = true;
      for (let j = 0; j < width; j++) if (words[rep + j] !== words[at + j]) { same = false; break; }
      if (same) { ids[r] = g; break; }
      s = (s + 1) & mask;
    }
  }
  return { ids, reps: reps.subarray(0, groups), groups };
}

type SmallInts = Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array;
const isSmallInts = (v: unknown): v is SmallInts =>
  v instanceof Int8Array || v instanceof Int16Array || v instanceof Int32Array ||
  v instanceof Uint8Array || v instanceof Uint16Array || v instanceof Uint32Array;

/**
 * Group ids by a composite index when every key is a small integer (or boolean) whose combined
 * range is small: slot = Σ (value − min)·stride, null = the extra slot. Null when not applicable.
 */
export function groupDense(keys: readonly { values: unknown; valid: Uint8Array | null }[], n: number): Grouping | null {
  const mins: number[] = [], strides: number[] = [], nulls: number[] = [];
  let slots = 1;
  for (const k of keys) {
    if (!isSmallInts(k.values)) return null;
    const v = k.values;
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < n; i++) {
      const x = v[i];
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
    const range = hi >= lo ? hi - lo + 1 : 1;
    mins.push(Number.isFinite(lo) ? lo : 0);
    nulls.push(range);
    strides.push(slots);
    slots *= range + (k.valid ? 1 : 0);
    if (slots > 4 * n + 65536) return null;
  }
  const map = new Int32Array(slots).fill(-1);
  const ids = new Int32Array(n), reps = new Int32Array(n);
  let groups = 0;
  const code = new Float64Array(n);
  keys.forEach((k, j) => {
    const v = k.values as SmallInts, valid = k.valid, min = mins[j], stride = strides[j], nul = nulls[j];
    for (let i = 0; i < n; i++) code[i] += (valid !== null && valid[i] === 0 ? nul : v[i] - min) * stride;
  });
  for (let i = 0; i < n; i++) {
    let g = map[code[i]];
    if (g < 0) {
      g = map[code[i]] = groups;
      reps[groups++] = i;
    }
    ids[i] = g;
  }
  return { ids, reps: reps.subarray(0, groups), groups };
}
