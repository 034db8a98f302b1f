/**
 * Shuffle blocks: partial groups' keys and accumulator states, as plain typed arrays
 * (structured-cloneable, so they can cross threads). A map task writes one block sorted by reduce
 * partition and the offset where each partition starts, as Spark's shuffle writes a data file and
 * an index file: a million partitions cost an Int32Array, not a million objects.
 *
 *   map task m ── groups ──► hash(key words) mod P ──► block m [rows of 0 | rows of 1 | … | rows of P-1]
 *   reduce task over partitions [a, b) ◄── rows [offsets[a], offsets[b]) of block 0, block 1, … block M-1
 */
import type { State } from '../aggregate/registry.ts';
import { partitionOf } from './hash.ts';
import { decodeKey, encodeKey, isUtf8, sliceKey, type KeyColumn } from './key-column.ts';
import { hashKeyRows } from './key-words.ts';

export interface ShuffleBlock {
  readonly rows: number;
  readonly keys: readonly KeyColumn[];
  /** One State per aggregate. */
  readonly states: readonly State[];
  /**
   * Every key of the block is its group's only row among the shuffle's distinct blocks (one stage
   * table merged on the device, read out in ranges): a reduce task that reads no other rows
   * finalizes them without grouping.
   */
  readonly distinct?: boolean;
}

/** A map task's output: its partial groups in one block, ordered by reduce partition. */
export interface MapOutput {
  readonly block: ShuffleBlock;
  /** Partition p holds rows [offsets[p], offsets[p + 1]) of the block; partitions + 1 entries. */
  readonly offsets: Int32Array;
}

/**
 * A map output that stays where its executor stored it (a cluster's object store): the driver holds
 * its name and index, and reduce tasks read their rows of it there.
 */
export interface StoredMapOutput {
  readonly block: StoredBlock;
  readonly offsets: Int32Array;
}

/** Rows [from, from + rows) of a stored block; `bytes`: its stored size, pro rata. */
export interface StoredBlock {
  readonly stored: string;
  /** Where the store keeps its bytes (a cluster's: the stream sequences of its chunks), for a read without a lookup. */
  readonly chunks?: readonly number[];
  readonly from: number;
  readonly rows: number;
  readonly bytes: number;
}

/** What a reduce task reads of one map output: its rows, or where they are stored. */
export type ReduceBlock = ShuffleBlock | StoredBlock;

export const isStored = (b: ReduceBlock): b is StoredBlock => 'stored' in b;

/** Rows [from, to) of a block: views of its typed arrays (strings are copied). */
export function sliceBlock(b: ShuffleBlock, from: number, to: number): ShuffleBlock {
  if (from === 0 && to === b.rows) return b;
  return {
    rows: to - from, keys: b.keys.map((k) => sliceKey(k, from, to)), states: b.states.map((s) => s.map((f) => f.subarray(from, to))),
    ...(b.distinct ? { distinct: true } : {}),
  };
}

/** The rows of partitions [start, end) of a map output. */
export function partitionRows(out: MapOutput, start: number, end: number): ShuffleBlock;
export function partitionRows(out: MapOutput | StoredMapOutput, start: number, end: number): ReduceBlock;
export function partitionRows(out: MapOutput | StoredMapOutput, start: number, end: number): ReduceBlock {
  const from = out.offsets[start], to = out.offsets[end];
  const b = out.block;
  if (!isStored(b)) return sliceBlock(b, from, to);
  return { ...b, from: b.from + from, rows: to - from, bytes: b.rows ? Math.round((b.bytes * (to - from)) / b.rows) : 0 };
}

/** Approximate bytes of a block as it would be sent: typed array bytes, 2 bytes per string char (a stored block's: as stored). */
export function blockBytes(b: ReduceBlock): number {
  if (isStored(b)) return b.bytes;
  let bytes = 0;
  for (const k of b.keys) {
    const v = k.values;
    bytes += Array.isArray(v) ? v.reduce((a, s) => a + 4 + 2 * s.length, 0)
      : isUtf8(v) ? v.offsets.byteLength + v.offsets[v.offsets.length - 1] - v.offsets[0] : v.byteLength;
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

/**
 * A stable counting sort of n rows by their partition `ids[i]` in [0, parts): ids is overwritten
 * with each row's position in partition order; returns where each partition starts (parts + 1
 * entries). Writing rows to their positions reads them in order, one output stream per partition.
 */
export function countingSortPositions(ids: Int32Array, n: number, parts: number): Int32Array {
  const offsets = new Int32Array(parts + 1);
  for (let i = 0; i < n; i++) offsets[ids[i] + 1]++;
  for (let p = 0; p < parts; p++) offsets[p + 1] += offsets[p];
  const at = offsets.slice(0, parts);
  for (let i = 0; i < n; i++) ids[i] = at[ids[i]]++;
  return offsets;
}

/**
 * Where each of n partial groups goes in a block ordered by reduce partition, and where each
 * partition starts. pos is null for one partition (no move).
 */
export function partitionPositions(keys: readonly KeyColumn[], n: number, partitions: number): { pos: Int32Array | null; offsets: Int32Array } {
  if (partitions === 1) return { pos: null, offsets: Int32Array.of(0, n) };
  const pos = partitionIds(keys, n, partitions);
  return { pos, offsets: countingSortPositions(pos, n, partitions) };
}

/** A block whose string keys are UTF-8 (to cross threads), and back (where a task reads it). */
export const encodeBlock = (b: ShuffleBlock): ShuffleBlock => ({ ...b, keys: b.keys.map(encodeKey) });
export const decodeBlock = (b: ShuffleBlock): ShuffleBlock => ({ ...b, keys: b.keys.map(decodeKey) });
