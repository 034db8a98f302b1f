/**
 * Shuffle blocks: what a map task writes for one reduce partition — the partial groups' keys and
 * accumulator states, as plain typed arrays (structured-cloneable, so they can cross threads).
 *
 *   map task m ── groups ──► hash(key words) mod P ──► block (m, 0) … block (m, P-1)
 *   reduce task p ◄── block (0, p), block (1, p), … block (M-1, p)
 */
import type { State } from '../aggregate/registry.ts';
import { partitionOf } from './hash.ts';
import { takeKey, type KeyColumn } from './key-column.ts';
import { hashKeyRows } from './key-words.ts';

export interface ShuffleBlock {
  readonly rows: number;
  readonly keys: readonly KeyColumn[];
  /** One State per aggregate. */
  readonly states: readonly State[];
}

/** Approximate bytes of a block as it would be sent: typed array bytes, 2 bytes per string char. */
export function blockBytes(b: ShuffleBlock): number {
  let bytes = 0;
  for (const k of b.keys) {
    bytes += Array.isArray(k.values) ? k.values.reduce((a, s) => a + 4 + 2 * s.length, 0) : k.values.byteLength;
    if (k.valid) bytes += k.valid.byteLength;
  }
  for (const s of b.states) for (const f of s) bytes += f.byteLength;
  return bytes;
}

/** The shuffle partition of each of n key rows. */
export function partitionIds(keys: readonly KeyColumn[], n: number, partitions: number): Int32Array {
  if (partitions === 1) return new Int32Array(n);
  const h = hashKeyRows(keys, n);
  for (let i = 0; i < n; i++) h[i] = partitionOf(h[i], partitions);
  return h;
}

/** Splits n partial groups into one block per reduce partition. */
export function partitionGroups(keys: readonly KeyColumn[], states: readonly State[], n: number, partitions: number): ShuffleBlock[] {
  if (partitions === 1) return [{ rows: n, keys, states: states.map((s) => s.map((f) => f.slice(0, n))) }];
  return splitByPartition(keys, states, n, partitionIds(keys, n, partitions), partitions);
}

/** Splits n partial groups into one block per reduce partition by their partition ids. */
function splitByPartition(keys: readonly KeyColumn[], states: readonly State[], n: number, pid: Int32Array, partitions: number): ShuffleBlock[] {
  const counts = new Int32Array(partitions + 1);
  for (let i = 0; i < n; i++) counts[pid[i] + 1]++;
  for (let p = 0; p < partitions; p++) counts[p + 1] += counts[p];
  const order = new Int32Array(n);
  const at = counts.slice(0, partitions);
  for (let i = 0; i < n; i++) order[at[pid[i]]++] = i;
  const blocks: ShuffleBlock[] = [];
  // Empty partitions share one empty block: a million of them cost an array of references.
  let empty: ShuffleBlock | null = null;
  for (let p = 0; p < partitions; p++) {
    const index = order.subarray(counts[p], counts[p + 1]);
    if (index.length === 0 && empty) {
      blocks.push(empty);
      continue;
    }
    const block: ShuffleBlock = {
      rows: index.length,
      keys: keys.map((k) => takeKey(k, index)),
      states: states.map((s) => s.map((f) => {
        const out = new Float64Array(index.length);
        for (let j = 0; j < index.length; j++) out[j] = f[index[j]];
        return out;
      })),
    };
    if (index.length === 0) empty = block;
    blocks.push(block);
  }
  return blocks;
}
