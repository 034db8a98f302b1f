/**
 * The driver's final select / withColumn over a job's gathered result: a column taken as it is
 * stays the same Arrow vector; a computed one is computed per batch (compute-columns.ts) and
 * becomes an Arrow vector of its type.
 */
import * as arrow from 'apache-arrow';
import { bindColumn, type ColumnChunk } from '../arrow/column-chunk.ts';
import { decimalWordsOfInt64 } from '../arrow/decimal.ts';
import { columnsOfTyped } from '../expr/columns.ts';
import { fieldOf, type Schema, type TExpr } from '../expr/resolve.ts';
import { computeChunk } from '../executor/cpu/compute-columns.ts';
import { StringIds } from '../executor/string-ids.ts';
import { isDecimal128 } from '../types.ts';

/** A computed chunk as Arrow data of `type` (string literals repeat their one value; decimals widen to 128 bits). */
function toArrowData(c: ColumnChunk, type: arrow.DataType): arrow.Data {
  if (c.dictionary) return arrow.vectorFromArray(Array.from(c.values as Int32Array, (code) => c.dictionary![code]!), new arrow.Utf8()).data[0]!;
  const data = !arrow.DataType.isDecimal(type) ? c.values
    : isDecimal128(c.dtype) ? new Uint32Array(c.words!.buffer, c.words!.byteOffset, c.length * 4) : decimalWordsOfInt64(c.values as BigInt64Array);
  return arrow.makeData({ type, length: c.length, nullCount: c.nullCount, nullBitmap: c.validity, data } as never);
}

export function projectTable(table: arrow.Table, schema: Schema, projection: readonly { readonly name: string; readonly expr: TExpr }[], out: arrow.Schema): arrow.Table {
  const read = [...new Set(projection.flatMap((c) => (c.expr.kind === 'col' ? [] : columnsOfTyped(c.expr))))];
  const batches = table.batches.map((b) => {
    const columns = new Map(read.map((n) => [n, bindColumn(b.getChild(n)!.data[0]!, fieldOf(schema, n).dtype)]));
    const strings = new StringIds();
    const children = projection.map(({ expr }, i) => (expr.kind === 'col'
      ? b.getChild(expr.name)!.data[0]!
      : toArrowData(computeChunk(expr, columns, b.numRows, strings), out.fields[i]!.type)));
    return new arrow.RecordBatch(out, arrow.makeData({ type: new arrow.Struct(out.fields), length: b.numRows, nullCount: 0, children }));
  });
  return batches.length ? new arrow.Table(out, batches) : new arrow.Table(out);
}
