/**
 * One column of one record batch, bound for reading by kernels without copying: fixed-width values
 * indexed by row, validity as the Arrow bitmap at a bit offset, 64-bit values also as 32-bit words,
 * and every string column as codes into a decoded dictionary (Dictionary<Utf8> as it is; plain
 * Utf8 is dictionary-encoded once per Data and cached).
 */
import * as arrow from 'apache-arrow';
import { isWide, type DType } from '../types.ts';

export type NumericArray =
  | Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array
  | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

export interface ColumnChunk {
  readonly dtype: DType;
  readonly length: number;
  readonly nullCount: number;
  /** Arrow validity bitmap (bit `offset + row`), or null when the chunk has no nulls. */
  readonly validity: Uint8Array | null;
  readonly offset: number;
  /** Fixed width: values by row. Bool: the bit-packed values (bit `offset + row`). Utf8: codes by row. */
  readonly values: NumericArray;
  /** 64-bit types: the values as (low, high) 32-bit word pairs. */
  readonly words: Int32Array | null;
  /** Utf8: the strings that codes refer to. */
  readonly dictionary: readonly string[] | null;
}

const decodedDictionaries = new WeakMap<object, string[]>();
const encodedStrings = new WeakMap<arrow.Data, { codes: Int32Array; dictionary: string[] }>();
const decoder = new TextDecoder();

function decodeDictionary(dict: arrow.Vector): string[] {
  let out = decodedDictionaries.get(dict);
  if (!out) {
    out = new Array<string>(dict.length);
    for (let j = 0; j < dict.length; j++) out[j] = (dict.get(j) as string | null) ?? '';
    decodedDictionaries.set(dict, out);
  }
  return out;
}

/**
 * Arrow lets a valid index point at a null dictionary entry: such rows are null. Folds those into
 * a fresh validity bitmap (bit offset 0), cached per Data.
 */
const foldedNulls = new WeakMap<arrow.Data, { validity: Uint8Array | null; offset: number; nullCount: number }>();
function withNullEntries(data: arrow.Data, codes: NumericArray): { validity: Uint8Array | null; offset: number; nullCount: number } {
  let out = foldedNulls.get(data);
  if (out) return out;
  const dict = data.dictionary!;
  const validity = new Uint8Array((data.length + 7) >> 3);
  let nullCount = 0;
  for (let i = 0; i < data.length; i++) {
    if (data.getValid(i) && dict.isValid(Number(codes[i]))) validity[i >> 3] |= 1 << (i & 7);
    else nullCount++;
  }
  out = { validity: nullCount > 0 ? validity : null, offset: 0, nullCount };
  foldedNulls.set(data, out);
  return out;
}

/** Dictionary-encodes a plain Utf8/LargeUtf8 column: one decode per row, then Map lookups. */
function encodeStrings(data: arrow.Data): { codes: Int32Array; dictionary: string[] } {
  let out = encodedStrings.get(data);
  if (out) return out;
  const offsets = data.valueOffsets as Int32Array | BigInt64Array;
  const bytes = data.values as Uint8Array;
  const codes = new Int32Array(data.length);
  const dictionary: string[] = [];
  const ids = new Map<string, number>();
  for (let i = 0; i < data.length; i++) {
    const s = decoder.decode(bytes.subarray(Number(offsets[i]), Number(offsets[i + 1])));
    let id = ids.get(s);
    if (id === undefined) {
      id = dictionary.length;
      dictionary.push(s);
      ids.set(s, id);
    }
    codes[i] = id;
  }
  out = { codes, dictionary };
  encodedStrings.set(data, out);
  return out;
}

export function bindColumn(data: arrow.Data, dtype: DType): ColumnChunk {
  const nullCount = data.nullCount;
  const validity = nullCount > 0 && data.nullBitmap && data.nullBitmap.length > 0 ? data.nullBitmap : null;
  const base = { dtype, length: data.length, nullCount, validity, offset: data.offset };
  if (dtype.id === 'utf8') {
    if (data.typeId === arrow.Type.Dictionary) {
      const dictionary = decodeDictionary(data.dictionary!);
      const codes = data.values as NumericArray;
      if (data.dictionary!.nullCount > 0) return { ...base, ...withNullEntries(data, codes), values: codes, words: null, dictionary };
      return { ...base, values: codes, words: null, dictionary };
    }
    const enc = encodeStrings(data);
    return { ...base, values: enc.codes, words: null, dictionary: enc.dictionary };
  }
  const values = data.values as NumericArray;
  const words = isWide(dtype) ? new Int32Array(values.buffer, values.byteOffset, data.length * 2) : null;
  return { ...base, values, words, dictionary: null };
}

/** Is row i of the chunk valid (not null)? */
export function isValid(c: ColumnChunk, i: number): boolean {
  if (c.validity === null) return true;
  const bit = c.offset + i;
  return ((c.validity[bit >> 3] >> (bit & 7)) & 1) === 1;
}

/** min and max of an integer chunk's stored values (null slots included: they only widen the range). */
const rangeCache = new WeakMap<ColumnChunk['values'], [number, number]>();
export function intValueRange(c: ColumnChunk): [number, number] {
  let r = rangeCache.get(c.values);
  if (r) return r;
  const v = c.values as Int32Array;
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < c.length; i++) {
    const x = v[i];
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  r = [lo, hi];
  rangeCache.set(c.values, r);
  return r;
}
