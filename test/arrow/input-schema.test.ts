/**
 * fromArrow's input check: batches whose columns differ from the first (names, order, types) and
 * duplicate column names are InvalidOptionErrors naming the batch and column, never a wrong sum
 * or a task crash; batches built separately with the same columns are taken.
 */
import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { count, InvalidOptionError, sum } from '../../src/index.ts';
import { withSession } from '../support/tables.ts';

type Values = Int32Array | Float64Array;
const batch = (cols: Record<string, Values>): arrow.RecordBatch => arrow.tableFromArrays(cols).batches[0] as arrow.RecordBatch;

/** One record batch whose columns are `fields` (names may repeat). */
function batchOf(fields: [string, arrow.Int32 | arrow.Float64, Values][]): arrow.RecordBatch {
  const schema = new arrow.Schema(fields.map(([n, t]) => new arrow.Field(n, t)));
  const children = fields.map(([, type, data]) => arrow.makeData({ type, data, length: data.length } as never));
  const data = arrow.makeData({ type: new arrow.Struct(schema.fields), length: children[0].length, children } as never) as unknown as arrow.Data<arrow.Struct>;
  return new arrow.RecordBatch(schema, data);
}

describe('fromArrow input schema', () => {
  it('rejects a batch whose column type differs from the first', async () => {
    await withSession(async (s) => {
      const batches = [batch({ a: Int32Array.of(1, 2) }), batch({ a: Float64Array.of(1.5, 2.25) })];
      expect(() => s.fromArrow(batches)).toThrow(new InvalidOptionError("fromArrow: column 'a' is float64 in record batch 1, int32 in the input"));
    });
  });

  it('rejects a batch with other columns or another column order', async () => {
    await withSession(async (s) => {
      const a = batch({ a: Int32Array.of(1), b: Int32Array.of(2) });
      expect(() => s.fromArrow([a, batch({ b: Int32Array.of(1) })])).toThrow('fromArrow: record batch 1 has the columns (b), the input (a, b)');
      expect(() => s.fromArrow([a, batch({ b: Int32Array.of(1), a: Int32Array.of(2) })])).toThrow('record batch 1 has the columns (b, a)');
    });
  });

  it('rejects duplicate column names', async () => {
    await withSession(async (s) => {
      const b = batchOf([['a', new arrow.Int32(), Int32Array.of(1, 2)], ['a', new arrow.Float64(), Float64Array.of(0.5, 1)]]);
      expect(() => s.fromArrow([b])).toThrow(new InvalidOptionError("fromArrow: the input has two columns named 'a'; column names must be unique"));
    });
  });

  it('takes batches built apart with the same columns (dictionary index widths may differ)', async () => {
    await withSession(async (s) => {
      const dict = (codes: Int8Array | Int32Array, index: arrow.Int8 | arrow.Int32) => arrow.makeVector(arrow.makeData({
        type: new arrow.Dictionary(new arrow.Utf8(), index), data: codes, length: codes.length,
        dictionary: arrow.vectorFromArray(['x', 'y']),
      } as never));
      const b1 = new arrow.Table({ k: dict(Int8Array.of(0, 1), new arrow.Int8()), v: arrow.makeVector(Int32Array.of(1, 2)) }).batches[0];
      const b2 = new arrow.Table({ k: dict(Int32Array.of(1, 1), new arrow.Int32()), v: arrow.makeVector(Int32Array.of(3, 4)) }).batches[0];
      const t = await s.fromArrow([b1, b2]).groupBy('k').agg(sum('v'), count()).orderBy('k').collect();
      expect(t.toArray().map((r) => [r.k, r['sum(v)'], r['count(1)']])).toEqual([['x', 1n, 1n], ['y', 9n, 3n]]);
    });
  });
});
