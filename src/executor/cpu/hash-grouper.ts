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
