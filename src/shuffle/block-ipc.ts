/**
 * A map output as an Arrow IPC stream, the form it takes in a cluster's object store: one record
 * batch whose columns are the block's key values (`k0`, …; strings as Utf8), their byte validity
 * (`k0.valid`, where a key has nulls) and its accumulator state fields (`s0.0`, …, Float64); the
 * schema's metadata keeps each key's logical type, the partition offsets and the distinct flag.
 * Reading it back takes views of the IPC buffer, not copies.
 */
import * as arrow from 'apache-arrow';
import type { NumericArray } from '../arrow/column-chunk.ts';
import { isTextKey, valuesArrayFor as valuesArray, type DType } from '../types.ts';
import { encodeKey, isUtf8, type KeyColumn } from './key-column.ts';
import type { MapOutput, ShuffleBlock } from './shuffle-block.ts';
import type { Utf8Values } from './utf8-values.ts';

interface BlockMeta {
  readonly keys: readonly DType[];
  /** Fields of each aggregate's state. */
  readonly states: readonly number[];
  readonly valid: readonly boolean[];
  readonly distinct: boolean;
}

export function mapOutputToIPC(out: MapOutput): Uint8Array {
  const b = out.block;
  const columns: Record<string, arrow.Vector> = {};
  const keys = b.keys.map(encodeKey);
  keys.forEach((k, i) => {
    columns[`k${i}`] = isUtf8(k.values) ? utf8Vector(k.values) : arrow.makeVector(k.values as NumericArray);
    if (k.valid) columns[`k${i}.valid`] = arrow.makeVector(k.valid);
  });
  b.states.forEach((s, a) => s.forEach((f, j) => { columns[`s${a}.${j}`] = arrow.makeVector(f); }));
  const meta: BlockMeta = { keys: keys.map((k) => k.dtype), states: b.states.map((s) => s.length), valid: keys.map((k) => k.valid !== null), distinct: b.distinct === true };
  const fields = Object.entries(columns).map(([name, v]) => new arrow.Field(name, v.type, false));
  const schema = new arrow.Schema(fields, new Map([
    ['gpuframe.block', JSON.stringify(meta)],
    ['gpuframe.offsets', Buffer.from(out.offsets.buffer, out.offsets.byteOffset, out.offsets.byteLength).toString('base64')],
  ]));
  const data = arrow.makeData({ type: new arrow.Struct(fields), length: b.rows, nullCount: 0, children: Object.values(columns).map((v) => v.data[0]) });
  return arrow.tableToIPC(new arrow.Table([new arrow.RecordBatch(schema, data)]), 'stream');
}

export function mapOutputFromIPC(bytes: Uint8Array): MapOutput {
  const table = arrow.tableFromIPC(bytes);
  const meta = JSON.parse(table.schema.metadata.get('gpuframe.block') ?? 'null') as BlockMeta | null;
  const offsetsText = table.schema.metadata.get('gpuframe.offsets');
  if (!meta || offsetsText === undefined) throw new Error('not a gpuframe shuffle block (its schema has no gpuframe.block metadata)');
  const raw = Buffer.from(offsetsText, 'base64');
  const offsets = new Int32Array(raw.byteLength >> 2);
  new Uint8Array(offsets.buffer).set(raw);
  const batch = table.batches[0];
  const rows = batch?.numRows ?? 0;
  const column = (name: string): arrow.Data => {
    const data = batch?.getChild(name)?.data[0];
    if (!data) throw new Error(`shuffle block lacks column ${name}`);
    return data;
  };
  // A read buffer is padded past its rows: views of exactly the rows.
  const values = <T extends NumericArray>(name: string): T => {
    const d = column(name);
    return (d.values as T).subarray(d.offset, d.offset + rows) as T;
  };
  const empty = rows === 0 && !batch;
  const keys: KeyColumn[] = meta.keys.map((dtype, i) => {
    const valid = meta.valid[i] ? (empty ? new Uint8Array(0) : values<Uint8Array>(`k${i}.valid`)) : null;
    if (empty) return { dtype, values: isTextKey(dtype) ? { offsets: new Int32Array(1), bytes: new Uint8Array(0) } : new (valuesArray(dtype))(0), valid };
    if (!isTextKey(dtype)) return { dtype, values: values(`k${i}`), valid };
    const d = column(`k${i}`);
    const utf8: Utf8Values = { offsets: (d.valueOffsets as Int32Array).subarray(d.offset, d.offset + rows + 1), bytes: d.values as Uint8Array };
    return { dtype, values: utf8, valid };
  });
  const states = meta.states.map((n, a) => Array.from({ length: n }, (_, j) => (empty ? new Float64Array(0) : values<Float64Array>(`s${a}.${j}`))));
  const block: ShuffleBlock = { rows, keys, states, ...(meta.distinct ? { distinct: true } : {}) };
  return { block, offsets };
}

/** A Utf8 vector of UTF-8 values, its offsets rebased to start at 0 (a sliced column's do not). */
function utf8Vector(v: Utf8Values): arrow.Vector {
  const n = v.offsets.length - 1;
  const first = v.offsets[0];
  const offsets = first === 0 ? v.offsets : v.offsets.map((o) => o - first);
  return arrow.makeVector(arrow.makeData({ type: new arrow.Utf8(), length: n, nullCount: 0, valueOffsets: offsets, data: v.bytes.subarray(first, v.offsets[n]) }));
}
