/** The input columns an aggregation reads. */
import { columnsOfTyped } from '../../expr/columns.ts';
import type { AggregationSpec } from '../task.ts';

export function columnsOfSpec(spec: AggregationSpec): string[] {
  const out: string[] = [];
  if (spec.filter) columnsOfTyped(spec.filter, out);
  for (const k of spec.keys) if (!out.includes(k.column)) out.push(k.column);
  for (const a of spec.aggs) if (a.arg) columnsOfTyped(a.arg, out);
  return out;
}
