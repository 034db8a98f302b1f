/**
 * A reduce task on the CPU: concatenate the partition's shuffle blocks, group their rows by key
 * words, merge the accumulator states per group, and finalize into an Arrow record batch.
 */
import * as arrow from 'apache-arrow';
import { finalizeAggregate } from '../../aggregate/finalize.ts';
import { mergeRows, newState, type State } from '../../aggregate/registry.ts';
import { concatKeys, takeKey, toArrowVector, type KeyColumn } from '../../shuffle/key-column.ts';
import { encodeUtf8, type Utf8Values } from '../../shuffle/utf8-values.ts';
import type { NumericArray } from '../../arrow/column-chunk.ts';
import type { DType } from '../../types.ts';
import { compareCodePoints } from '../../arrow/code-point-order.ts';
import { groupWidth, writeGroupWords } from '../../shuffle/key-words.ts';
import { decodeBlock, type ShuffleBlock } from '../../shuffle/shuffle-block.ts';
import { groupDense, groupRows, type Grouping, type PartitionedGrouping } from './hash-grouper.ts';
import { outputSchema, type AggregationSpec } from '../../plan/aggregation-spec.ts';


/** A reduce task's result: its groups' key and aggregate columns, as plain arrays (strings as UTF-8: utf8-values.ts). */
export interface ReduceOutput {
  readonly rows: number;
  readonly columns: readonly OutputColumn[];
}

export interface OutputColumn {
  readonly dtype: DType;
  readonly values: NumericArray | Utf8Values;
  readonly valid: Uint8Array | null;
}

export function runReduceTask(spec: AggregationSpec, encoded: readonly ShuffleBlock[]): ReduceOutput {
  // String keys that crossed from another thread come as UTF-8.
  const blocks = encoded.map(decodeBlock);
  const n = blocks.reduce((a, b) => a + b.rows, 0);
  const keys = spec.keys.map((k, j) => concatKeys(blocks.map((b) => b.keys[j]), k.dtype));
  let grouping: Grouping | PartitionedGrouping;
  if (spec.keys.length === 0) {
    // A global aggregate has exactly one group, even over no input.
    grouping = { ids: new Int32Array(n), reps: new Int32Array(1), groups: 1 };
  } else if (blocks.every((b) => b.rows === 0 || b.distinct)) {
    // Only blocks of distinct keys (a stage merged on the device): each row is its group.
    const ids = new Int32Array(n);
    for (let i = 0; i < n; i++) ids[i] = i;
    grouping = { ids, reps: ids, groups: n };
  } else {
    grouping = groupDense(keys, n) ?? groupByWords(keys, n);
  }
  // Radix-partitioned grouping numbers the rows in partition order: states are moved there too.
  const { pos = null, order = null } = grouping as Partial<PartitionedGrouping>;
  const reps = order ? grouping.reps.map((q) => order[q]) : grouping.reps;
  const groupKeys = keys.map((k) => takeKey(k, reps));
  const states = spec.aggs.map((a, j) => {
    const dst: State = newState(a.state, grouping.groups);
    if (pos) {
      mergeRows(a.state, dst, grouping.ids, 0, permuteStates(blocks, j, pos, n), n);
    } else {
      let base = 0;
      for (const b of blocks) {
        mergeRows(a.state, dst, grouping.ids, base, b.states[j], b.rows);
        base += b.rows;
      }
    }
    return dst;
  });
  if (spec.groupKeys !== undefined) return countDistinct(spec, groupKeys, states, grouping.groups);
  const columns: OutputColumn[] = groupKeys.map(toOutput);
  spec.aggs.forEach((a, j) => columns.push(toOutput(finalizeAggregate(a, states[j]!, grouping.groups))));
  return { rows: grouping.groups, columns };
}

/** Groups of `keys` (n rows): one group for no keys, even of no rows. */
function groupKeyRows(keys: readonly KeyColumn[], n: number): Grouping {
  if (keys.length === 0) return { ids: new Int32Array(n), reps: new Int32Array(1), groups: 1 };
  const g = groupDense(keys, n) ?? groupByWords(keys, n);
  const { pos = null, order = null } = g as Partial<PartitionedGrouping>;
  if (!pos || !order) return g;
  // Back to input row order: row i's group, and each group's first row as an input row.
  return { ids: Int32Array.from(pos, (q) => g.ids[q]!), reps: g.reps.map((q) => order[q]!), groups: g.groups };
}

/**
 * The second level of a reduce with countDistinct (or min / max of strings): its groups are (query
 * keys, arguments); they are grouped again by the query's keys, their states merged there; each
 * countDistinct counts the distinct non-null values of its argument in a query group, a min / max
 * keeps the least / greatest by code point.
 */
function countDistinct(spec: AggregationSpec, keys: readonly KeyColumn[], states: readonly State[], n: number): ReduceOutput {
  const own = spec.groupKeys!;
  const outer = groupKeyRows(keys.slice(0, own), n);
  const columns: OutputColumn[] = keys.slice(0, own).map((k) => toOutput(takeKey(k, outer.reps)));
  spec.aggs.forEach((a, j) => {
    if (a.state !== 'distinct') {
      const dst = newState(a.state, outer.groups);
      mergeRows(a.state, dst, outer.ids, 0, states[j]!, n);
      columns.push(toOutput(finalizeAggregate(a, dst, outer.groups)));
      return;
    }
    const arg = keys[spec.keys.findIndex((k) => k.column === a.distinctKey)]!;
    if (a.fn === 'min' || a.fn === 'max') {
      columns.push(toOutput(extremeString(arg, outer, n, a.fn === 'min' ? -1 : 1)));
      return;
    }
    // Distinct (query keys, argument) pairs: one per group of those columns whose argument is not null.
    const pairs = groupKeyRows([...keys.slice(0, own), arg], n);
    const counts = new BigInt64Array(outer.groups);
    for (let p = 0; p < pairs.groups; p++) {
      const r = pairs.reps[p]!;
      if (arg.valid === null || arg.valid[r] === 1) counts[outer.ids[r]!]++;
    }
    columns.push({ dtype: a.result, values: counts, valid: null });
  });
  return { rows: outer.groups, columns };
}

/** Per outer group, the least (sign -1) or greatest (1) non-null string of `arg` among its rows. */
function extremeString(arg: KeyColumn, outer: Grouping, n: number, sign: number): KeyColumn {
  const values = arg.values as readonly (string | null)[];
  const best = new Array<string | null>(outer.groups).fill(null);
  for (let r = 0; r < n; r++) {
    if (arg.valid !== null && arg.valid[r] === 0) continue;
    const g = outer.ids[r]!, v = values[r]!, b = best[g];
    if (b === null || compareCodePoints(v, b) * sign > 0) best[g] = v;
  }
  return { dtype: arg.dtype, values: best.map((v) => v ?? ''), valid: best.some((v) => v === null) ? Uint8Array.from(best, (v) => (v === null ? 0 : 1)) : null };
}

const toOutput = (c: KeyColumn): OutputColumn =>
  Array.isArray(c.values) ? { ...c, values: encodeUtf8(c.values, c.valid) } : c as OutputColumn;

/** The Arrow record batch of a reduce output. */
export function toRecordBatch(spec: AggregationSpec, out: ReduceOutput): arrow.RecordBatch {
  const schema = outputSchema(spec);
  const columns: Record<string, arrow.Vector> = {};
  schema.fields.forEach((f, j) => { const c = out.columns[j]; columns[f.name] = toArrowVector(c.dtype, c.values, c.valid); });
  return batchOf(schema, columns, out.rows);
}

function groupByWords(keys: readonly KeyColumn[], n: number): PartitionedGrouping {
  const width = keys.reduce((a, k) => a + groupWidth(k), 0);
  const words = new Int32Array(n * width);
  const strIds = new Map<string, number>();
  let at = 0;
  for (const k of keys) {
    writeGroupWords(k, words, width, at, strIds);
    at += groupWidth(k);
  }
  return groupRows(words, width, n);
}

/** Aggregate j's states of the blocks, concatenated, row i moved to row pos[i]. */
function permuteStates(blocks: readonly ShuffleBlock[], j: number, pos: Int32Array, n: number): State {
  return blocks[0].states[j].map((_, f) => {
    const out = new Float64Array(n);
    let base = 0;
    for (const b of blocks) {
      const src = b.states[j][f], rows = b.rows;
      for (let r = 0; r < rows; r++) out[pos[base + r]] = src[r];
      base += rows;
    }
    return out;
  });
}

/** A record batch of the schema's columns, in schema order. */
export function batchOf(schema: arrow.Schema, columns: Record<string, arrow.Vector>, rows: number): arrow.RecordBatch {
  const data = arrow.makeData({
    type: new arrow.Struct(schema.fields),
    length: rows,
    nullCount: 0,
    children: schema.fields.map((f) => columns[f.name].data[0]),
  });
  return new arrow.RecordBatch(schema, data);
}
