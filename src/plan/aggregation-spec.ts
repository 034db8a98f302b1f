/**
 * The aggregation a job runs, as the plan describes it to every executor: its input, filter, group
 * keys (with their kinds) and aggregates, and the schema of its result. Both executors' map tasks
 * start from it; nothing here belongs to one executor.
 */
import * as arrow from 'apache-arrow';
import type { AggSpec } from '../aggregate/registry.ts';
import { columnsOfTyped } from '../expr/columns.ts';
import type { Schema, TExpr } from '../expr/resolve.ts';
import { keyToArrow } from '../shuffle/key-column.ts';
import { isDecimal128, isWide, type DType } from '../types.ts';

/** The aggregation a job runs: Filter → HashAggregate(partial) → Exchange → HashAggregate(final). */
export interface AggregationSpec {
  readonly input: Schema;
  readonly filter: TExpr | null;
  readonly keys: readonly KeyInfo[];
  readonly aggs: readonly AggSpec[];
  /** Reduce partitions of the exchange (1 for a global aggregate). */
  readonly partitions: number;
  /**
   * With countDistinct: the first `groupKeys` keys are the query's; the others are the distinct
   * arguments, which map tasks group by too but do not partition by (absent: every key is the query's).
   */
  readonly groupKeys?: number;
  /** The cached input's id (DataFrame.cache()): a GPU executor keeps its chunks on the device. */
  readonly cacheInput?: number;
  /**
   * Group keys that are not input columns (groupBy over a withColumn or select, distinct()): each
   * task computes them from the input columns first (`input` holds their fields too).
   */
  readonly computed?: readonly ComputedColumn[];
}

/**
 * A column a task computes before it aggregates: its typed expression over input columns, and an
 * internal name (the output name after a NUL, so that it never meets an input column's).
 */
export interface ComputedColumn {
  readonly name: string;
  readonly expr: TExpr;
}

/** The internal name of a computed column whose output is named `name`, and back. */
export const computedName = (name: string): string => `\u0000${name}`;
/** The internal name of the i-th countDistinct argument (never an output column). */
export const distinctName = (i: number): string => `\u0001${i}`;
/** The query's own group keys (countDistinct arguments left out). */
export const queryKeys = (spec: AggregationSpec): readonly KeyInfo[] => spec.keys.slice(0, spec.groupKeys ?? spec.keys.length);
export const outputNameOf = (column: string): string => (column.startsWith('\u0000') ? column.slice(1) : column);

/** How a map task finds a row's group: one group, a dense composite index, or a hash table. */
export type GroupMode = 'global' | 'dense' | 'hash';
/** `dec`: a 128-bit decimal, hashed as its four words (hash mode only; CPU only). */
export type KeyKind = 'int' | 'wide' | 'dec' | 'float' | 'bool' | 'str';

export interface KeyInfo {
  readonly column: string;
  readonly dtype: DType;
  readonly kind: KeyKind;
}

export function keyKind(t: DType): KeyKind {
  if (t.id === 'utf8') return 'str';
  if (t.id === 'bool') return 'bool';
  if (t.id === 'float32' || t.id === 'float64') return 'float';
  if (isDecimal128(t)) return 'dec';
  return isWide(t) ? 'wide' : 'int';
}

/** The result's schema: the keys, then the aggregates. */
export function outputSchema(spec: AggregationSpec): arrow.Schema {
  return new arrow.Schema([
    ...queryKeys(spec).map((k) => new arrow.Field(outputNameOf(k.column), keyToArrow({ dtype: k.dtype, values: [], valid: null }).type, true)),
    ...spec.aggs.map((a) => new arrow.Field(a.name, keyToArrow({ dtype: a.result, values: [], valid: null }).type, true)),
  ]);
}

/**
 * The input columns whose value ranges a task's grouping plan reads: the group keys that are
 * input columns, and those a computed key only renames (its chunk is the input's).
 */
export function keyRangeColumns(spec: AggregationSpec): { column: string; dtype: DType }[] {
  return spec.keys.flatMap((k) => {
    const c = spec.computed?.find((x) => x.name === k.column);
    if (!c) return [{ column: k.column, dtype: k.dtype }];
    return c.expr.kind === 'col' ? [{ column: c.expr.name, dtype: c.expr.dtype }] : [];
  });
}

/** The input columns a task reads from its batches: those the spec uses, computed ones replaced by what they read. */
export function sourceColumnsOfSpec(spec: AggregationSpec): string[] {
  const computed = spec.computed ?? [];
  if (computed.length === 0) return columnsOfSpec(spec);
  const out: string[] = [];
  for (const n of columnsOfSpec(spec)) {
    const c = computed.find((x) => x.name === n);
    if (c) columnsOfTyped(c.expr, out);
    else if (!out.includes(n)) out.push(n);
  }
  return out;
}

/** The columns an aggregation's kernels read (computed ones included). */
export function columnsOfSpec(spec: AggregationSpec): string[] {
  const out: string[] = [];
  if (spec.filter) columnsOfTyped(spec.filter, out);
  for (const k of spec.keys) if (!out.includes(k.column)) out.push(k.column);
  for (const a of spec.aggs) if (a.arg) columnsOfTyped(a.arg, out);
  return out;
}
