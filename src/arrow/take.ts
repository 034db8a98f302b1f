/**
 * Gathers rows of Arrow columns by index, keeping each column's type (dictionaries keep their
 * dictionary when every row comes from one chunk). Used for filter-only results and for sorting.
 */
import * as arrow from 'apache-arrow';
import { packValidity } from '../shuffle/key-column.ts';

/** Rows `index` (positions across the chunks, in order) of a column split into chunks. */
export function gatherColumn(chunks: readonly arrow.Data[], index: Int32Array, m: number = index.length): arrow.Data {
  const type = chunks[0].type;
  const starts: number[] = [];
  let total = 0;
  for (const c of chunks) { starts.push(total); total += c.length; }
  const part = new Int32Array(m), local = new Int32Array(m);
  for (let j = 0; j < m; j++) {
    const i = index[j];
    let p = chunks.length - 1;
    while (starts[p] > i) p--;
    part[j] = p;
    local[j] = i - starts[p];
  }
  const anyNull = chunks.some((c) => c.nullCount > 0);
  let valid: Uint8Array | null = null;
  if (anyNull) {
    valid = new Uint8Array(m);
    for (let j = 0; j < m; j++) valid[j] = chunks[part[j]].getValid(local[j]) ? 1 : 0;
  }
  const { bitmap, nullCount } = packValidity(valid, m);
  const sameDictionary = chunks.every((c) => c.dictionary === chunks[0].dictionary);
  if (type.typeId === arrow.Type.Utf8 || type.typeId === arrow.Type.LargeUtf8 || (type.typeId === arrow.Type.Dictionary && !sameDictionary)) {
    const vectors = chunks.map((c) => arrow.makeVector(c));
    const strings: (string | null)[] = new Array(m);
    for (let j = 0; j < m; j++) strings[j] = vectors[part[j]].get(local[j]) as string | null;
    const t = type.typeId === arrow.Type.Dictionary ? new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()) : type;
    return arrow.vectorFromArray(strings, t as arrow.Utf8).data[0];
  }
  if (type.typeId === arrow.Type.Bool) {
    const bits = new Uint8Array(((m + 63) >> 6) << 3);
    for (let j = 0; j < m; j++) {
      const c = chunks[part[j]], b = c.offset + local[j];
      if (((c.values as Uint8Array)[b >> 3] >> (b & 7)) & 1) bits[j >> 3] |= 1 << (j & 7);
    }
    return arrow.makeData({ type: type as arrow.Bool, length: m, nullCount, nullBitmap: bitmap, data: bits });
  }
  if (type.typeId === arrow.Type.Decimal) {
    // Several words a value.
    const per = (type as arrow.Decimal).bitWidth / 32, words = new Uint32Array(m * per);
    for (let j = 0; j < m; j++) words.set((chunks[part[j]].values as Uint32Array).subarray(local[j] * per, local[j] * per + per), j * per);
    return arrow.makeData({ type: type as arrow.Decimal, length: m, nullCount, nullBitmap: bitmap, data: words });
  }
  type Indexable = { [i: number]: unknown };
  const first = chunks[0].values as unknown as { constructor: new (n: number) => Indexable };
  const out = new first.constructor(m);
  const srcs = chunks.map((c) => c.values as unknown as Indexable);
  for (let j = 0; j < m; j++) out[j] = srcs[part[j]][local[j]];
  if (type.typeId === arrow.Type.Dictionary) {
    return arrow.makeData({ type: type as arrow.Dictionary, length: m, nullCount, nullBitmap: bitmap, data: out as Int32Array, dictionary: chunks[0].dictionary! });
  }
  return arrow.makeData({ type, length: m, nullCount, nullBitmap: bitmap, data: out } as never);
}

/** Rows `index` of a table (or batch list) as one record batch. */
export function takeRows(schema: arrow.Schema, batches: readonly arrow.RecordBatch[], index: Int32Array, m: number = index.length): arrow.RecordBatch {
  const children = schema.fields.map((f, c) => gatherColumn(batches.map((b) => b.data.children[c]), index, m));
  const fields = schema.fields.map((f, c) => (children[c].type === f.type ? f : new arrow.Field(f.name, children[c].type, f.nullable)));
  const out = new arrow.Schema(fields, schema.metadata);
  return new arrow.RecordBatch(out, arrow.makeData({ type: new arrow.Struct(fields), length: m, nullCount: 0, children }));
}
