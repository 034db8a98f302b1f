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
import { isWide, type DType } from '../types.ts';

/** The aggregation a job runs: Filter → HashAggregate(partial) → Exchange → HashAggregate(final). */
export interface AggregationSpec {
  readonly input: Schema;
  readonly filter: TExpr | null;
  readonly keys: readonly KeyInfo[];
  readonly aggs: readonly AggSpec[];
  /** Reduce partitions of the exchange (1 for a global aggregate). */
  readonly partitions: number;
  /** The cached input's id (DataFrame.cache()): a GPU executor keeps its chunks on the device. */
  readonly cacheInput?: number;
}

/** How a map task finds a row's group: one group, a dense composite index, or a hash table. */
export type GroupMode = 'global' | 'dense' | 'hash';
export type KeyKind = 'int' | 'wide' | 'float' | 'bool' | 'str';

export interface KeyInfo {
  readonly column: string;
  readonly dtype: DType;
  readonly kind: KeyKind;
}

export function keyKind(t: DType): KeyKind {
  if (t.id === 'utf8') return 'str';
  if (t.id === 'bool') return 'bool';
  if (t.id === 'float32' || t.id === 'float64') return 'float';
  return isWide(t) ? 'wide' : 'int';
}

/** The result's schema: the keys, then the aggregates. */
export function outputSchema(spec: AggregationSpec): arrow.Schema {
  return new arrow.Schema([
    ...spec.keys.map((k) => new arrow.Field(k.column, keyToArrow({ dtype: k.dtype, values: [], valid: null }).type, true)),
    ...spec.aggs.map((a) => new arrow.Field(a.name, keyToArrow({ dtype: a.result, values: [], valid: null }).type, true)),
  ]);
}

/** The input columns an aggregation reads. */
export function columnsOfSpec(spec: AggregationSpec): string[] {
  const out: string[] = [];
  if (spec.filter) columnsOfTyped(spec.filter, out);
  for (const k of spec.keys) if (!out.includes(k.column)) out.push(k.column);
  for (const a of spec.aggs) if (a.arg) columnsOfTyped(a.arg, out);
  return out;
}
