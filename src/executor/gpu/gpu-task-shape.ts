/**
 * What a GPU map task's data decides before any kernel is planned: whether every column has a GPU
 * form, the task's columns bound with their task-wide string ids, the slot layout of the
 * aggregates' argument forms and the slot words a row of the task can write, and each float sum's
 * fixed-point shift and facts (finite, non-negative, exact). A task that cannot run on the GPU
 * gets the reason instead.
 *
 * Its scans (float ranges, uint64 checks, string encoding, string ids) grow with the input, so
 * they are steps of a generator: prepareGpuTaskShape runs them between turns of the driver's event
 * loop and keeps the shape for gpuTaskShape, which otherwise runs them in one go.
 */
import type * as arrow from 'apache-arrow';
import { argForms, argNullable } from '../../aggregate/gpu-argument.ts';
import { cacheValueRange, describeColumn, encodeStringsSteps, fromWire, type ColumnChunk } from '../../arrow/column-chunk.ts';
import { prepareBatches } from '../../arrow/wire-batch.ts';
import { ArithmeticOverflowError, JobCancelledError } from '../../errors.ts';
import { cacheUnscaled, unscaledInt64 } from '../../arrow/decimal.ts';
import { columnsOfTyped } from '../../expr/columns.ts';
import { fieldOf } from '../../expr/resolve.ts';
import { columnForm, GpuUnsupported } from '../../expr/to-wgsl.ts';
import { DECIMAL64_PRECISION, decimalType, isDecimal128, isFloat, type DType } from '../../types.ts';
import { type AggregationSpec, columnsOfSpec, sourceColumnsOfSpec } from '../../plan/aggregation-spec.ts';
import { StringIds } from '../string-ids.ts';
import { f64Stats, mergeStats, sumShift, type F64Stats } from './float-sum-scale.ts';
import { gpuAccLayout, keptWords, type GpuAccLayout } from './gpu-acc-layout.ts';
import { nextSlice } from './host-slices.ts';

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
  /**
   * Per aggregate: the exponent of the lowest mantissa bit of a float sum's values (exact on a
   * grid 2^-S when it is ≥ -S; -Infinity where no grid holds them, +Infinity for no nonzero value).
   */
  readonly sumGrid: readonly number[];
  /** Per aggregate: a float sum over a float column with no NaN or ±Inf. */
  readonly finite: readonly boolean[];
  /** Per aggregate: a float sum over a float column with no negative value. */
  readonly nonNegative: readonly boolean[];
}

/** Steps of host work: each yield is a point where the event loop may take a turn. */
type Steps<T> = Generator<void, T, void>;

/** Values a step scans (a few ms), and strings a step encodes or numbers (each a decode or a Map lookup). */
const STEP_VALUES = 1 << 20;
const STEP_STRINGS = 1 << 12;
/** Host time between two turns of the event loop. */
const SLICE_MS = 10;

const runSteps = <T>(steps: Steps<T>): T => {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
};

/**
 * Runs the steps in turns of the event loop of their own (a stage starts its tasks in one turn),
 * ~SLICE_MS each; an abort stops them between turns.
 */
async function runSliced<T>(steps: Steps<T>, signal?: AbortSignal): Promise<T> {
  for (;;) {
    await nextSlice();
    if (signal?.aborted) throw new JobCancelledError('the job was cancelled');
    const since = performance.now();
    for (;;) {
      const r = steps.next();
      if (r.done) return r.value;
      if (performance.now() - since >= SLICE_MS) break;
    }
  }
}

const floatStats = new WeakMap<arrow.Data, F64Stats>();
/** f64Stats of a float column, a slice of rows per step (once per Data). */
function* floatStatsSteps(data: arrow.Data): Steps<F64Stats> {
  let s = floatStats.get(data);
  if (s) return s;
  const parts: F64Stats[] = [];
  for (let at = 0; at < data.length; at += STEP_VALUES) {
    if (at > 0) yield;
    parts.push(f64Stats(data.slice(at, Math.min(STEP_VALUES, data.length - at))));
  }
  s = mergeStats(parts);
  floatStats.set(data, s);
  return s;
}

const beyondInt64 = new WeakMap<arrow.Data, boolean>();
/**
 * Whether a uint64 column holds a valid value of 2^63 or more: the kernels read uint64 as int64,
 * exact only below 2^63 (once per Data).
 */
function* uint64BeyondInt64(data: arrow.Data): Steps<boolean> {
  let beyond = beyondInt64.get(data);
  if (beyond !== undefined) return beyond;
  const v = data.values as BigUint64Array;
  const w = new Uint32Array(v.buffer, v.byteOffset, data.length * 2);
  beyond = false;
  for (let i = 0; i < data.length && !beyond; i++) {
    if (i > 0 && i % STEP_VALUES === 0) yield;
    beyond = w[2 * i + 1] >= 0x80000000 && data.getValid(i);
  }
  beyondInt64.set(data, beyond);
  return beyond;
}

/** Whether a decimal column's valid values all fit 64 bits (its Int64 copy, made and cached here where they do). */
function fitsInt64(data: arrow.Data, name: string): boolean {
  try {
    unscaledInt64(data, name);
    return true;
  } catch (e) {
    if (e instanceof ArithmeticOverflowError) return false;
    throw e;
  }
}

/**
 * A column bound for packing (bindColumn): a plain Utf8 column is dictionary-encoded a slice of
 * rows per step (once per offsets array).
 */
function* bindSteps(data: arrow.Data, dtype: DType, name: string): Steps<ColumnChunk> {
  // A decimal of more than 18 digits whose task's values fit 64 bits (checked): read as a 64-bit one's.
  if (isDecimal128(dtype)) return { ...fromWire(describeColumn(data, decimalType(DECIMAL64_PRECISION, dtype.scale!), false, name)), dtype };
  const w = describeColumn(data, dtype);
  // Encoded in slices here, the strings are then bound from column-chunk.ts's cache.
  if (w.utf8) yield* encodeStringsSteps(w.utf8.offsets, w.utf8.bytes, w.length, STEP_STRINGS);
  return fromWire(w);
}

/** Task-wide string ids whose code → id tables are built in steps (StringIds.remap makes one in one go). */
class SteppedStringIds extends StringIds {
  private readonly tables = new Map<readonly string[], Int32Array>();

  /** Numbers a dictionary's strings, a slice per step, and keeps its code → id table. */
  *number(dictionary: readonly string[]): Steps<void> {
    if (this.tables.has(dictionary)) return;
    const table = new Int32Array(dictionary.length);
    for (let at = 0; at < dictionary.length; at += STEP_STRINGS) {
      if (at > 0) yield;
      for (let j = at; j < Math.min(dictionary.length, at + STEP_STRINGS); j++) table[j] = this.id(dictionary[j]);
    }
    this.tables.set(dictionary, table);
  }

  override remap(dictionary: readonly string[]): Int32Array {
    return this.tables.get(dictionary) ?? super.remap(dictionary);
  }
}

/** Shapes made ahead by prepareGpuTaskShape, by spec and the task's batches. */
const prepared = new WeakMap<AggregationSpec, WeakMap<readonly arrow.RecordBatch[], GpuTaskShape | { fallback: string }>>();

/**
 * Makes the shape of a task over `batches` between turns of the event loop, and keeps it for the
 * gpuTaskShape call that plans the task. Key ranges (the grouping plan's) are cached here too.
 */
export async function prepareGpuTaskShape(spec: AggregationSpec, batches: readonly arrow.RecordBatch[], signal?: AbortSignal): Promise<void> {
  for (const k of spec.keys) {
    for (const b of batches) {
      await cacheValueRange(b.getChild(k.column)!.data[0], k.dtype);
      if (signal?.aborted) throw new JobCancelledError('the job was cancelled');
    }
  }
  await prepareBatches(spec.input, sourceColumnsOfSpec(spec), batches);
  // Wide decimals the kernels read as 64-bit words: their Int64 copies, in slices (a value beyond stops it).
  for (const n of sourceColumnsOfSpec(spec)) {
    if (!isDecimal128(fieldOf(spec.input, n).dtype)) continue;
    for (const b of batches) await cacheUnscaled(b.getChild(n)!.data[0]!, n).catch((e: unknown) => { if (!(e instanceof ArithmeticOverflowError)) throw e; });
  }
  const shape = await runSliced(shapeSteps(spec, batches), signal);
  let ofSpec = prepared.get(spec);
  if (!ofSpec) prepared.set(spec, (ofSpec = new WeakMap()));
  ofSpec.set(batches, shape);
}

/** The shape of a task over `batches` (the one prepareGpuTaskShape made, if it did). */
export function gpuTaskShape(spec: AggregationSpec, batches: readonly arrow.RecordBatch[]): GpuTaskShape | { fallback: string } {
  const ahead = prepared.get(spec)?.get(batches);
  prepared.get(spec)?.delete(batches);
  return ahead ?? runSteps(shapeSteps(spec, batches));
}

function* shapeSteps(spec: AggregationSpec, batches: readonly arrow.RecordBatch[]): Steps<GpuTaskShape | { fallback: string }> {
  const names = columnsOfSpec(spec);
  const datas = batches.map((b) => new Map(names.map((n) => [n, b.getChild(n)!.data[0]])));
  const rows = batches.reduce((a, b) => a + b.numRows, 0);
  try {
    for (const n of names) columnForm(fieldOf(spec.input, n).dtype, n);
    for (const n of names) {
      if (fieldOf(spec.input, n).dtype.id !== 'uint64') continue;
      for (const m of datas) if (yield* uint64BeyondInt64(m.get(n)!)) return { fallback: `uint64 column '${n}' holds values of 2^63 or more` };
    }
    for (const n of names) {
      if (!isDecimal128(fieldOf(spec.input, n).dtype)) continue;
      for (const m of datas) if (!fitsInt64(m.get(n)!, n)) return { fallback: `decimal column '${n}' holds values beyond 64 bits` };
    }
    if (rows >= 2 ** 32) return { fallback: 'a map task of 2^32 rows or more' };
    const layout = gpuAccLayout(spec.aggs, argForms(spec.aggs));
    // The float columns float sums read: their ranges, scanned ahead in steps.
    const statsOf = new Map<string, F64Stats>();
    for (const a of spec.aggs) {
      if (a.state !== 'fsum' || !a.arg) continue;
      for (const n of columnsOfTyped(a.arg)) {
        if (statsOf.has(n) || !isFloat(fieldOf(spec.input, n).dtype)) continue;
        const parts: F64Stats[] = [];
        for (const m of datas) parts.push(yield* floatStatsSteps(m.get(n)!));
        statsOf.set(n, mergeStats(parts));
      }
    }
    const stats = (name: string) => {
      let s = statsOf.get(name);
      if (!s) statsOf.set(name, (s = mergeStats(datas.map((m) => runSteps(floatStatsSteps(m.get(name)!))))));
      return s;
    };
    const shifts = spec.aggs.map((a) => (a.state === 'fsum' ? sumShift(a.arg!, stats, rows) : 0));
    // A float sum over a float column: its values' range (min is over the finite values; -0, whose
    // sign bit is set, adds nothing to either half).
    const summed = spec.aggs.map((a) => (a.state === 'fsum' && a.arg?.kind === 'col' && a.arg.dtype && isFloat(a.arg.dtype) ? stats(a.arg.name) : null));
    const finite = summed.map((st) => st !== null && !st.nonFinite);
    const nonNegative = summed.map((st) => st !== null && !(st.min < 0));
    const strings = new SteppedStringIds();
    const chunks: Map<string, ColumnChunk>[] = [];
    for (const m of datas) {
      const bound = new Map<string, ColumnChunk>();
      for (const [n, d] of m) bound.set(n, yield* bindSteps(d, fieldOf(spec.input, n).dtype, n));
      chunks.push(bound);
    }
    // Task-wide string ids, batch by batch (the plan counts them; kernels map codes through them).
    for (const m of chunks) for (const c of m.values()) if (c.dictionary) yield* strings.number(c.dictionary);
    const nullable = names.filter((name) => chunks.some((c) => c.get(name)!.nullCount > 0));
    const argNulls = argNullable(spec.aggs, nullable);
    const facts = spec.aggs.map((_, j) => ({ nullable: argNulls[j]!, finite: finite[j]!, nonNegative: nonNegative[j]! }));
    const sumGrid = spec.aggs.map((a, j) => (summed[j] !== null ? summed[j]!.minE - (a.arg!.dtype!.id === 'float32' ? 23 : 52) : -Infinity));
    return {
      rows, chunks, strings, nullable, layout, shifts, finite, nonNegative, sumGrid,
      sharedWords: keptWords(layout, facts, false),
      ownWords: keptWords(layout, facts, true),
      // Exact: every value's lowest mantissa bit lies on the sum's grid 2^-S (nothing truncated).
      exactSums: sumGrid.map((g, j) => g >= -shifts[j]),
    };
  } catch (e) {
    if (e instanceof GpuUnsupported) return { fallback: e.message };
    throw e;
  }
}
