/**
 * Sorts of Arrow tables, as orderBy wants them: ASC NULLS FIRST / DESC NULLS LAST as Spark; NaN
 * greatest; ties in row order. The driver sorts a gathered result; a result task's rows under
 * orderBy(...).limit(n) are cut to their first n (topRows), on the driver or where the task ran.
 */
import { compareCodePoints } from './code-point-order.ts';
import * as arrow from 'apache-arrow';
import type { SortKey } from '../expr/expr.ts';
import { takeRows } from './take.ts';
import { unscaledValues } from './decimal.ts';

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


const isNumber = (t: arrow.DataType): boolean => arrow.DataType.isInt(t) || (arrow.DataType.isFloat(t) && t.precision !== arrow.Precision.HALF);

/** An integer or float column (not half floats, stored as bits) of one chunk and no nulls: its typed array, no copy. */
function plainValues(v: arrow.Vector): ArrayLike<number> | ArrayLike<bigint> | null {
  return isNumber(v.type) && v.data.length === 1 && v.data[0]!.nullCount === 0 ? v.data[0]!.values as ArrayLike<number> | ArrayLike<bigint> : null;
}

/**
 * A sort key column's values: 64-bit temporals (timestamps, date64) as their stored BigInt units,
 * since Vector.get turns nanoseconds into float milliseconds and ties values ns apart.
 */
function keyValues(v: arrow.Vector, n: number): ArrayLike<Value> {
  const t = v.type;
  // Decimals compare as their unscaled integers (one scale per column).
  if (arrow.DataType.isDecimal(t)) return unscaledValues(v);
  const plain = plainValues(v);
  if (plain) return plain;
  const values: Value[] = new Array(n);
  if (arrow.DataType.isTimestamp(t) || (arrow.DataType.isDate(t) && t.unit === arrow.DateUnit.MILLISECOND)) {
    let i = 0;
    for (const d of v.data) {
      // apache-arrow stores 64-bit temporals as BigInt64Array (as column-chunk.ts reads them too).
      const raw = d.values as BigInt64Array;
      for (let j = 0; j < d.length; j++, i++) values[i] = d.getValid(j) ? raw[j]! : null;
    }
    return values;
  }
  // Integers and floats (not half floats, stored as bits) straight from their typed arrays.
  if (isNumber(t)) {
    let i = 0;
    for (const d of v.data) {
      const raw = d.values as ArrayLike<number | bigint>;
      if (d.nullCount === 0) for (let j = 0; j < d.length; j++, i++) values[i] = raw[j]!;
      else for (let j = 0; j < d.length; j++, i++) values[i] = d.getValid(j) ? raw[j]! : null;
    }
    return values;
  }
  for (let i = 0; i < n; i++) {
    const x = v.get(i) as Value | Date;
    values[i] = x instanceof Date ? x.getTime() : x;
  }
  return values;
}

/** Compares row indices of `table` by `keys`; ties go by row index, so a sort with it is stable. */
function rowComparator(table: arrow.Table, keys: readonly SortKey[]): (i: number, j: number) => number {
  const columns = keys.map((k) => keyValues(table.getChild(k.column)!, table.numRows));
  return (i, j) => {
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
  };
}

const taken = (table: arrow.Table, order: ArrayLike<number>): arrow.Table =>
  new arrow.Table([takeRows(table.schema, table.batches, Int32Array.from(order))]);

export function sortTable(table: arrow.Table, keys: readonly SortKey[]): arrow.Table {
  const n = table.numRows;
  if (n <= 1 || keys.length === 0) return table;
  return taken(table, Array.from({ length: n }, (_, i) => i).sort(rowComparator(table, keys)));
}

/**
 * The first `n` rows of sortTable(table, keys), ties in row order as there, chosen with a heap of
 * n rows: about one comparison a row where a sort takes log2(rows). Batch by batch, then among
 * their first n rows (in batch order, so ties keep theirs): a batch's key columns are single
 * typed arrays, read without a copy.
 */
export function topRows(table: arrow.Table, keys: readonly SortKey[], n: number): arrow.Table {
  if (table.batches.length <= 1 || table.numRows <= n) return heapTop(table, keys, n);
  const firsts = table.batches.flatMap((b) => heapTop(new arrow.Table([b]), keys, n).batches);
  return heapTop(new arrow.Table(firsts), keys, n);
}

function heapTop(table: arrow.Table, keys: readonly SortKey[], n: number): arrow.Table {
  const rows = table.numRows;
  if (rows <= n) return sortTable(table, keys);
  if (n === 0) return new arrow.Table(table.schema);
  if (keys.length === 0) return table.slice(0, n);
  const cmp = rowComparator(table, keys);
  // A max-heap of the n first rows so far: the last of them in order at its root.
  const heap = new Int32Array(n);
  const down = (at: number) => {
    const x = heap[at];
    for (;;) {
      let child = 2 * at + 1;
      if (child >= n) break;
      if (child + 1 < n && cmp(heap[child + 1], heap[child]) > 0) child++;
      if (cmp(heap[child], x) <= 0) break;
      heap[at] = heap[child];
      at = child;
    }
    heap[at] = x;
  };
  for (let i = 0; i < n; i++) heap[i] = i;
  for (let at = (n >> 1) - 1; at >= 0; at--) down(at);
  // Most rows lose to the root on the first key alone: a plain column's values skip the comparator
  // (strictly after the root only; NaN compares false, so it takes the comparator).
  const first = plainValues(table.getChild(keys[0].column)!) as ArrayLike<number> | null;
  const desc = keys[0].descending;
  let root = first ? first[heap[0]] : 0;
  for (let i = n; i < rows; i++) {
    if (first !== null && (desc ? first[i] < root : first[i] > root)) continue;
    if (cmp(i, heap[0]) < 0) {
      heap[0] = i;
      down(0);
      if (first) root = first[heap[0]];
    }
  }
  return taken(table, Array.from(heap).sort(cmp));
}
