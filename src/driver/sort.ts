/** Sort of a gathered result on the driver: ASC NULLS FIRST / DESC NULLS LAST as Spark; NaN greatest. */
import { compareCodePoints } from '../arrow/code-point-order.ts';
import * as arrow from 'apache-arrow';
import type { SortKey } from '../expr/expr.ts';
import { takeRows } from '../arrow/take.ts';
import { unscaledValues } from '../arrow/decimal.ts';

type Value = number | bigint | string | boolean | null;

function compareValues(a: Value, b: Value): number {
  if (a === b) return 0;
  if (typeof a === 'number' && typeof b === 'number') {
    if (a !== a) return b !== b ? 0 : 1;
    if (b !== b) return -1;
  }
  if (typeof a === 'string' && typeof b === 'string') return compareCodePoints(a, b);
  return a! < b! ? -1 : a! > b! ? 1 : 0;
}


/**
 * A sort key column's values: 64-bit temporals (timestamps, date64) as their stored BigInt units,
 * since Vector.get turns nanoseconds into float milliseconds and ties values ns apart.
 */
function keyValues(v: arrow.Vector, n: number): Value[] {
  const values: Value[] = new Array(n);
  const t = v.type;
  // Decimals compare as their unscaled integers (one scale per column).
  if (arrow.DataType.isDecimal(t)) return unscaledValues(v);
  if (arrow.DataType.isTimestamp(t) || (arrow.DataType.isDate(t) && t.unit === arrow.DateUnit.MILLISECOND)) {
    let i = 0;
    for (const d of v.data) {
      // apache-arrow stores 64-bit temporals as BigInt64Array (as column-chunk.ts reads them too).
      const raw = d.values as BigInt64Array;
      for (let j = 0; j < d.length; j++, i++) values[i] = d.getValid(j) ? raw[j]! : null;
    }
    return values;
  }
  for (let i = 0; i < n; i++) {
    const x = v.get(i) as Value | Date;
    values[i] = x instanceof Date ? x.getTime() : x;
  }
  return values;
}

export function sortTable(table: arrow.Table, keys: readonly SortKey[]): arrow.Table {
  const n = table.numRows;
  if (n <= 1 || keys.length === 0) return table;
  const columns = keys.map((k) => keyValues(table.getChild(k.column)!, n));
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((i, j) => {
    for (let c = 0; c < keys.length; c++) {
      const a = columns[c][i], b = columns[c][j];
      const desc = keys[c].descending;
      if (a === null || b === null) {
        if (a === b) continue;
        return (a === null ? -1 : 1) * (desc ? -1 : 1);
      }
      const r = compareValues(a, b);
      if (r !== 0) return desc ? -r : r;
    }
    return i - j;
  });
  return new arrow.Table([takeRows(table.schema, table.batches, Int32Array.from(order))]);
}
