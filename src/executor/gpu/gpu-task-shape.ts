/**
 * What a GPU map task's data decides before any kernel is planned: whether every column has a GPU
 * form, the task's columns bound with their task-wide string ids, the slot layout of the
 * aggregates' argument forms and the slot words a row of the task can write, and each float sum's
 * fixed-point shift and facts (finite, non-negative, exact). A task that cannot run on the GPU
 * gets the reason instead.
 */
import type * as arrow from 'apache-arrow';
import { argForms, argNullable } from '../../aggregate/gpu-argument.ts';
import { bindColumn, type ColumnChunk } from '../../arrow/column-chunk.ts';
import { fieldOf } from '../../expr/resolve.ts';
import { columnForm, GpuUnsupported } from '../../expr/to-wgsl.ts';
import { isFloat } from '../../types.ts';
import { type AggregationSpec, columnsOfSpec } from '../../plan/aggregation-spec.ts';
import { StringIds } from '../string-ids.ts';
import { f64Stats, mergeStats, sumShift, type F64Stats } from './float-sum-scale.ts';
import { gpuAccLayout, keptWords, type GpuAccLayout } from './gpu-acc-layout.ts';

export interface GpuTaskShape {
  readonly rows: number;
  /** Per batch, the columns the spec reads, bound for packing. */
  readonly chunks: readonly ReadonlyMap<string, ColumnChunk>[];
  /** Task-wide string ids of every dictionary's strings, batch by batch. */
  readonly strings: StringIds;
  /** Columns with nulls somewhere in the task (one kernel serves all its batches). */
  readonly nullable: readonly string[];
  /** The slot words a row of this task can write: those the task's slot array and an invocation's own words keep (keptWords). */
  readonly sharedWords: readonly number[];
  readonly ownWords: readonly number[];
  readonly layout: GpuAccLayout;
  /** Per aggregate: a float sum's fixed-point shift (0 for the others). */
  readonly shifts: readonly number[];
  /** Per aggregate: a float sum whose task's values all lie on its fixed-point grid (exact). */
  readonly exactSums: readonly boolean[];
  /** Per aggregate: a float sum over a float column with no NaN or ±Inf. */
  readonly finite: readonly boolean[];
  /** Per aggregate: a float sum over a float column with no negative value. */
  readonly nonNegative: readonly boolean[];
}

const beyondInt64 = new WeakMap<arrow.Data, boolean>();
/**
 * Whether a uint64 column holds a valid value of 2^63 or more: the kernels read uint64 as int64,
 * exact only below 2^63 (once per Data).
 */
function uint64BeyondInt64(data: arrow.Data): boolean {
  let beyond = beyondInt64.get(data);
  if (beyond !== undefined) return beyond;
  const v = data.values as BigUint64Array;
  const w = new Uint32Array(v.buffer, v.byteOffset, data.length * 2);
  beyond = false;
  for (let i = 0; i < data.length && !beyond; i++) beyond = w[2 * i + 1] >= 0x80000000 && data.getValid(i);
  beyondInt64.set(data, beyond);
  return beyond;
}

/** The shape of a task over `batches`. */
export function gpuTaskShape(spec: AggregationSpec, batches: readonly arrow.RecordBatch[]): GpuTaskShape | { fallback: string } {
  const names = columnsOfSpec(spec);
  const datas = batches.map((b) => new Map(names.map((n) => [n, b.getChild(n)!.data[0]])));
  const rows = batches.reduce((a, b) => a + b.numRows, 0);
  try {
    for (const n of names) columnForm(fieldOf(spec.input, n).dtype, n);
    const beyond = names.find((n) => fieldOf(spec.input, n).dtype.id === 'uint64' && datas.some((m) => uint64BeyondInt64(m.get(n)!)));
    if (beyond !== undefined) return { fallback: `uint64 column '${beyond}' holds values of 2^63 or more` };
    if (rows >= 2 ** 32) return { fallback: 'a map task of 2^32 rows or more' };
    const layout = gpuAccLayout(spec.aggs, argForms(spec.aggs));
    const statsOf = new Map<string, F64Stats>();
    const stats = (name: string) => {
      let s = statsOf.get(name);
      if (!s) statsOf.set(name, (s = mergeStats(datas.map((m) => f64Stats(m.get(name)!)))));
      return s;
    };
    const shifts = spec.aggs.map((a) => (a.state === 'fsum' ? sumShift(a.arg!, stats, rows) : 0));
    // A float sum over a float column: its values' range (min is over the finite values; -0, whose
    // sign bit is set, adds nothing to either half).
    const summed = spec.aggs.map((a) => (a.state === 'fsum' && a.arg?.kind === 'col' && a.arg.dtype && isFloat(a.arg.dtype) ? stats(a.arg.name) : null));
    const finite = summed.map((st) => st !== null && !st.nonFinite);
    const nonNegative = summed.map((st) => st !== null && !(st.min < 0));
    const strings = new StringIds();
    const chunks = datas.map((m) => new Map([...m].map(([n, d]) => [n, bindColumn(d, fieldOf(spec.input, n).dtype)])));
    // Task-wide string ids, batch by batch (the plan counts them; kernels map codes through them).
    for (const m of chunks) for (const c of m.values()) if (c.dictionary) strings.remap(c.dictionary);
    const nullable = names.filter((name) => chunks.some((c) => c.get(name)!.nullCount > 0));
    const argNulls = argNullable(spec.aggs, nullable);
    const facts = spec.aggs.map((_, j) => ({ nullable: argNulls[j]!, finite: finite[j]!, nonNegative: nonNegative[j]! }));
    return {
      rows, chunks, strings, nullable, layout, shifts, finite, nonNegative,
      sharedWords: keptWords(layout, facts, false),
      ownWords: keptWords(layout, facts, true),
      // Exact: every value's lowest mantissa bit lies on the sum's grid 2^-S (nothing truncated).
      exactSums: spec.aggs.map((a, j) => summed[j] !== null && summed[j]!.minE - (a.arg!.dtype!.id === 'float32' ? 23 : 52) >= -shifts[j]),
    };
  } catch (e) {
    if (e instanceof GpuUnsupported) return { fallback: e.message };
    throw e;
  }
}
