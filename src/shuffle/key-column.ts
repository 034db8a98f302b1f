/**
 * Group-key values as plain, serializable arrays: the form keys take in shuffle blocks and in the
 * final stage. Numbers keep their Arrow typed array (64-bit as BigInt64Array), booleans are bytes,
 * strings are JS strings; `valid` has a byte per row (1 = valid) or is null when nothing is null.
 */
import * as arrow from 'apache-arrow';
import type { NumericArray } from '../arrow/column-chunk.ts';
import { isTextKey, toArrowType, valuesArrayFor, type DType } from '../types.ts';
import { decimalWordsOfInt64, scaledLiteral, toDecimal128Words } from '../arrow/decimal.ts';
import { decodeUtf8, encodeUtf8, type Utf8Values } from './utf8-values.ts';

export interface KeyColumn {
  readonly dtype: DType;
  /** Utf8Values: strings as they cross threads in a map task's output (decodeKeys turns them back). */
  readonly values: NumericArray | string[] | Utf8Values;
  readonly valid: Uint8Array | null;
}

export function emptyValues(dtype: DType, n: number): NumericArray | string[] {
  return isTextKey(dtype) ? new Array<string>(n).fill('') : new (valuesArrayFor(dtype))(n);
}

/** Rows `index` of a key column, in that order. */
export function takeKey(c: KeyColumn, index: Int32Array, n: number = index.length): KeyColumn {
  const values = emptyValues(c.dtype, n);
  // The common key arrays get loops of their own: one element kind per loop keeps them fast.
  if (values instanceof Int32Array) gather32(c.values as Int32Array, values, index, n);
  else if (values instanceof Float64Array) gather64(c.values as Float64Array, values, index, n);
  else {
    const src = c.values as unknown as ArrayLike<unknown>, dst = values as unknown as unknown[];
    for (let j = 0; j < n; j++) dst[j] = src[index[j]];
  }
  let valid: Uint8Array | null = null;
  if (c.valid) {
    valid = new Uint8Array(n);
    for (let j = 0; j < n; j++) valid[j] = c.valid[index[j]];
  }
  return { dtype: c.dtype, values, valid };
}

/**
 * Row i of a key column moved to row pos[i], for n rows: the scatter of a counting sort, which reads
 * the column in order (a gather by index reads it at random, a cache miss a row when it is big).
 */
export function scatterKey(c: KeyColumn, pos: Int32Array, n: number): KeyColumn {
  const values = emptyValues(c.dtype, n);
  if (values instanceof Int32Array) scatter32(c.values as Int32Array, values, pos, n);
  else if (values instanceof Float64Array) scatter64(c.values as Float64Array, values, pos, n);
  else {
    const src = c.values as unknown as ArrayLike<unknown>, dst = values as unknown as unknown[];
    for (let j = 0; j < n; j++) dst[pos[j]] = src[j];
  }
  let valid: Uint8Array | null = null;
  if (c.valid) {
    valid = new Uint8Array(n);
    for (let j = 0; j < n; j++) valid[pos[j]] = c.valid[j];
  }
  return { dtype: c.dtype, values, valid };
}

function scatter32(src: Int32Array, dst: Int32Array, pos: Int32Array, n: number): void {
  for (let j = 0; j < n; j++) dst[pos[j]] = src[j];
}

function scatter64(src: Float64Array, dst: Float64Array, pos: Int32Array, n: number): void {
  for (let j = 0; j < n; j++) dst[pos[j]] = src[j];
}

/** Rows [from, to) of a key column: views of its typed arrays (JS strings are copied). */
export function sliceKey(c: KeyColumn, from: number, to: number): KeyColumn {
  const v = c.values;
  const values = Array.isArray(v) ? v.slice(from, to) : isUtf8(v) ? { offsets: v.offsets.subarray(from, to + 1), bytes: v.bytes } : v.subarray(from, to);
  return { dtype: c.dtype, values: values as KeyColumn['values'], valid: c.valid ? c.valid.subarray(from, to) : null };
}

export const isUtf8 = (v: KeyColumn['values']): v is Utf8Values => !Array.isArray(v) && !ArrayBuffer.isView(v);

/** The values of a column whose strings are decoded (every step but the crossing between threads). */
export function decodedValues(c: KeyColumn): NumericArray | string[] {
  if (isUtf8(c.values)) throw new Error('internal: a key column still UTF-8 encoded (decodeKey it first)');
  return c.values;
}

/** A key column with its strings as UTF-8 (to cross threads as typed arrays), and back. */
export const encodeKey = (c: KeyColumn): KeyColumn => (Array.isArray(c.values) ? { ...c, values: encodeUtf8(c.values, null) } : c);
export const decodeKey = (c: KeyColumn): KeyColumn => (isUtf8(c.values) ? { ...c, values: decodeUtf8(c.values) } : c);

function gather32(src: Int32Array, dst: Int32Array, index: Int32Array, n: number): void {
  for (let j = 0; j < n; j++) dst[j] = src[index[j]];
}

function gather64(src: Float64Array, dst: Float64Array, index: Int32Array, n: number): void {
  for (let j = 0; j < n; j++) dst[j] = src[index[j]];
}

/** Concatenation of key columns of one type. */
export function concatKeys(parts: readonly KeyColumn[], dtype: DType): KeyColumn {
  const n = parts.reduce((a, p) => a + decodedValues(p).length, 0);
  const values = emptyValues(dtype, n);
  const anyNull = parts.some((p) => p.valid !== null);
  const valid = anyNull ? new Uint8Array(n).fill(1) : null;
  let at = 0;
  for (const p of parts) {
    if (Array.isArray(values)) {
      const src = p.values as string[];
      for (let j = 0; j < src.length; j++) values[at + j] = src[j];
    } else {
      (values as Float64Array).set(p.values as Float64Array, at);
    }
    if (valid && p.valid) valid.set(p.valid, at);
    at += decodedValues(p).length;
  }
  return { dtype, values, valid };
}

/** Packs a byte-per-row validity into an Arrow bitmap. */
export function packValidity(valid: Uint8Array | null, n: number): { bitmap: Uint8Array | undefined; nullCount: number } {
  if (!valid) return { bitmap: undefined, nullCount: 0 };
  const bitmap = new Uint8Array(((n + 63) >> 6) << 3);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    if (valid[i]) bitmap[i >> 3] |= 1 << (i & 7);
    else nulls++;
  }
  return nulls === 0 ? { bitmap: undefined, nullCount: 0 } : { bitmap, nullCount: nulls };
}

/** An Arrow vector of the given type from values and byte validity. */
export function toArrowVector(dtype: DType, values: NumericArray | string[] | Utf8Values, valid: Uint8Array | null): arrow.Vector {
  const type = toArrowType(dtype);
  if (dtype.id === 'utf8') {
    const utf8 = Array.isArray(values) ? encodeUtf8(values, valid) : values as Utf8Values;
    const n = utf8.offsets.length - 1;
    const { bitmap, nullCount } = packValidity(valid, n);
    return arrow.makeVector(arrow.makeData({ type: type as arrow.Utf8, length: n, nullCount, nullBitmap: bitmap, valueOffsets: utf8.offsets, data: utf8.bytes }));
  }
  if (dtype.id === 'decimal') return decimalVector(type, isUtf8(values) ? decodeUtf8(values) : values, valid);
  const n = (values as NumericArray).length;
  const { bitmap, nullCount } = packValidity(valid, n);
  if (dtype.id === 'bool') {
    const bits = new Uint8Array(((n + 63) >> 6) << 3);
    const v = values as Uint8Array;
    for (let i = 0; i < n; i++) if (v[i]) bits[i >> 3] |= 1 << (i & 7);
    return arrow.makeVector(arrow.makeData({ type: type as arrow.Bool, length: n, nullCount, nullBitmap: bitmap, data: bits }));
  }
  return arrow.makeVector(arrow.makeData({ type, length: n, nullCount, nullBitmap: bitmap, data: values } as never));
}

/**
 * A Decimal128 vector from unscaled Int64 values (sign-extended to 128 bits), from Decimal128
 * words already (4 a row: exact sums and extremes beyond 64 bits), or from 128-bit keys' text.
 */
function decimalVector(type: arrow.DataType, values: NumericArray | string[], valid: Uint8Array | null): arrow.Vector {
  const scale = (type as arrow.Decimal).scale;
  const data = values instanceof Uint32Array ? values
    : Array.isArray(values) ? toDecimal128Words(values.map((t, i) => (valid !== null && valid[i] === 0 ? 0n : scaledLiteral(t, scale)!.floor)))
      : decimalWordsOfInt64(values as BigInt64Array);
  const n = data.length / 4;
  const { bitmap, nullCount } = packValidity(valid, n);
  return arrow.makeVector(arrow.makeData({ type: type as arrow.Decimal, length: n, nullCount, nullBitmap: bitmap, data }));
}

export const keyToArrow = (c: KeyColumn): arrow.Vector => toArrowVector(c.dtype, c.values, c.valid);
