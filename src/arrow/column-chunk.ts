/**
 * One column of one record batch, bound for reading by kernels without copying: fixed-width values
 * indexed by row, validity as the Arrow bitmap at a bit offset, 64-bit values also as 32-bit words,
 * and every string column as codes into a decoded dictionary (Dictionary<Utf8> as it is; plain
 * Utf8 is dictionary-encoded once per Data and cached).
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import * as arrow from 'apache-arrow';
import { isDecimal128, isWide, type DType } from '../types.ts';
import { unscaled128, unscaledInt64 } from './decimal.ts';

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
  /** Integer key columns: min and max of the stored values, when the driver computed them. */
  readonly range?: readonly [number, number];
}

const decodedDictionaries = new WeakMap<object, string[]>();
const encodedStrings = new WeakMap<object, { codes: Int32Array; dictionary: string[] }>();
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

/**
 * Dictionary-encodes a plain Utf8/LargeUtf8 column (cached per offsets array). Rows are matched
 * by their bytes in an open-addressing table (FNV-1a hash, then a byte compare with the value's
 * first row), so only distinct values are decoded into JS strings: decoding every row cost ~85
 * ns a row, most of a map task over a string column read from Parquet (docs/performance.md).
 * It yields every `step` rows, so that a caller can run it in slices.
 */
export function* encodeStringsSteps(offsets: Int32Array | BigInt64Array, bytes: Uint8Array, length: number, step: number): Generator<void, { codes: Int32Array; dictionary: string[] }, void> {
  let out = encodedStrings.get(offsets);
  if (out) return out;
  const off = offsets instanceof Int32Array ? offsets : Float64Array.from(offsets, Number);
  const codes = new Int32Array(length);
  const dictionary: string[] = [];
  let mask = 1023;
  let slots = new Int32Array(mask + 1).fill(-1);
  let starts = new Float64Array(256), ends = new Float64Array(256), hashes = new Int32Array(256);
  for (let i = 0; i < length; i++) {
    if (i > 0 && i % step === 0) yield;
    const s = off[i]!, e = off[i + 1]!;
    let h = 0x811c9dc5 | 0;
    for (let k = s; k < e; k++) h = Math.imul(h ^ bytes[k]!, 0x01000193);
    let at = h & mask;
    for (;;) {
      const id = slots[at]!;
      if (id < 0) {
        const n = dictionary.length;
        if (n === starts.length) {
          const grow = <T extends Float64Array | Int32Array>(a: T): T => { const b = new (a.constructor as new (n: number) => T)(n * 2); b.set(a); return b; };
          starts = grow(starts); ends = grow(ends); hashes = grow(hashes);
        }
        starts[n] = s; ends[n] = e; hashes[n] = h;
        dictionary.push(decoder.decode(bytes.subarray(s, e)));
        slots[at] = n;
        codes[i] = n;
        if ((n + 1) * 2 > mask) {
          mask = mask * 2 + 1;
          slots = new Int32Array(mask + 1).fill(-1);
          for (let j = 0; j <= n; j++) {
            let a = hashes[j]! & mask;
            while (slots[a]! >= 0) a = (a + 1) & mask;
            slots[a] = j;
          }
        }
        break;
      }
      if (hashes[id] === h && ends[id]! - starts[id]! === e - s) {
        let k = 0;
        const o = starts[id]! - s;
        while (s + k < e && bytes[s + k] === bytes[s + k + o]) k++;
        if (s + k === e) { codes[i] = id; break; }
      }
      at = (at + 1) & mask;
    }
  }
  out = { codes, dictionary };
  encodedStrings.set(offsets, out);
  return out;
}

function encodeStrings(offsets: Int32Array | BigInt64Array, bytes: Uint8Array, length: number): { codes: Int32Array; dictionary: string[] } {
  const steps = encodeStringsSteps(offsets, bytes, length, Infinity);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * A column as plain data that can cross a thread boundary: typed arrays (shareable), decoded
 * dictionaries, and plain strings still as offsets + bytes (encoded by whoever binds them).
 */
export interface WireColumn {
  readonly dtype: DType;
  readonly length: number;
  readonly nullCount: number;
  readonly validity: Uint8Array | null;
  readonly offset: number;
  /** Fixed width values or dictionary codes; null for plain strings. */
  readonly values: NumericArray | null;
  readonly dictionary: readonly string[] | null;
  readonly utf8: { readonly offsets: Int32Array | BigInt64Array; readonly bytes: Uint8Array } | null;
  readonly range?: readonly [number, number];
}

/**
 * Describes an Arrow column without touching its rows (dictionaries are decoded once and cached).
 * With `range`, an integer column also carries its min and max, computed once per Data here on
 * the driver: executors on other threads receive fresh array objects and could not cache it.
 * Decimals are described by their unscaled Int64 values, or 128-bit ones two Int64 words a row (decimal.ts).
 */
export function describeColumn(data: arrow.Data, dtype: DType, range = false, column = ''): WireColumn {
  const nullCount = data.nullCount;
  const validity = nullCount > 0 && data.nullBitmap && data.nullBitmap.length > 0 ? data.nullBitmap : null;
  const base = { dtype, length: data.length, nullCount, validity, offset: data.offset, dictionary: null, utf8: null };
  if (isDecimal128(dtype)) {
    const w = unscaled128(data, column);
    return { ...base, values: new BigInt64Array(w.buffer, w.byteOffset, data.length * 2) };
  }
  if (dtype.id === 'decimal') return { ...base, values: unscaledInt64(data, column) };
  if (dtype.id !== 'utf8') {
    const values = data.values as NumericArray;
    return { ...base, values, ...(range && hasValueRange(dtype) ? { range: valueRange(values, data.length) } : {}) };
  }
  if (data.typeId === arrow.Type.Dictionary) {
    const codes = data.values as NumericArray;
    const dictionary = decodeDictionary(data.dictionary!);
    if (data.dictionary!.nullCount > 0) return { ...base, ...withNullEntries(data, codes), values: codes, dictionary };
    return { ...base, values: codes, dictionary };
  }
  return { ...base, values: null, utf8: { offsets: data.valueOffsets as Int32Array | BigInt64Array, bytes: data.values as Uint8Array } };
}

/** Binds a described column for kernels: 64-bit words, plain strings dictionary-encoded. */
export function fromWire(w: WireColumn): ColumnChunk {
  const base = { dtype: w.dtype, length: w.length, nullCount: w.nullCount, validity: w.validity, offset: w.offset };
  if (w.utf8) {
    const enc = encodeStrings(w.utf8.offsets, w.utf8.bytes, w.length);
    return { ...base, values: enc.codes, words: null, dictionary: enc.dictionary };
  }
  const values = w.values!;
  const words = isWide(w.dtype) || isDecimal128(w.dtype) ? new Int32Array(values.buffer, values.byteOffset, w.length * (isWide(w.dtype) ? 2 : 4)) : null;
  return { ...base, values, words, dictionary: w.dictionary, ...(w.range ? { range: w.range } : {}) };
}

export const bindColumn = (data: arrow.Data, dtype: DType): ColumnChunk => fromWire(describeColumn(data, dtype));

/** Is row i of the chunk valid (not null)? */
export function isValid(c: ColumnChunk, i: number): boolean {
  if (c.validity === null) return true;
  const bit = c.offset + i;
  return ((c.validity[bit >> 3] >> (bit & 7)) & 1) === 1;
}

/** min and max of an integer chunk's stored values (null slots included: they only widen the range). */
const rangeCache = new WeakMap<ColumnChunk['values'], [number, number]>();
export function intValueRange(c: ColumnChunk): readonly [number, number] {
  return c.range ?? valueRange(c.values, c.length);
}

function valueRange(values: NumericArray, length: number): [number, number] {
  let r = rangeCache.get(values);
  if (r) return r;
  r = rangeOf(values, 0, length, [Infinity, -Infinity]);
  rangeCache.set(values, r);
  return r;
}

function rangeOf(values: NumericArray, from: number, to: number, r: [number, number]): [number, number] {
  const v = values as Int32Array;
  let [lo, hi] = r;
  for (let i = from; i < to; i++) {
    const x = v[i];
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  return [lo, hi];
}

/** Narrow integer columns (32 bits or less) carry their value range. */
const hasValueRange = (dtype: DType): boolean =>
  dtype.id !== 'utf8' && !isWide(dtype) && dtype.id !== 'bool' && dtype.id !== 'float32' && dtype.id !== 'float64';

/** Values scanned between two turns of the event loop (a few ms). */
const RANGE_SLICE = 1 << 22;

/**
 * Computes (and caches) the value range of a narrow integer column, as describeColumn(…, true)
 * would, between turns of the event loop: a key column of 1e8 rows is a scan of ~100 ms.
 */
export async function cacheValueRange(data: arrow.Data, dtype: DType): Promise<void> {
  if (!hasValueRange(dtype)) return;
  const values = data.values as NumericArray;
  if (rangeCache.has(values)) return;
  let r: [number, number] = [Infinity, -Infinity];
  for (let at = 0; at < data.length; at += RANGE_SLICE) {
    if (at > 0) await nextTurn();
    r = rangeOf(values, at, Math.min(data.length, at + RANGE_SLICE), r);
  }
  rangeCache.set(values, r);
}
